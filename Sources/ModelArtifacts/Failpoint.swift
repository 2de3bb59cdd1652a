import Foundation

/// Crash points for the kill-at-any-moment tests: when `TUNEKIT_FAILPOINT` names a point, the process sends itself
/// SIGKILL there (as `kill -9` would). Never set in normal use.
public enum Failpoint {
    /// Dies here if the environment asks for it.
    public static func hit(_ name: String) {
        guard ProcessInfo.processInfo.environment["TUNEKIT_FAILPOINT"] == name else { return }
        kill(getpid(), SIGKILL)
    }
}
