/// Problems writing or reading versioned artifacts.
public enum ArtifactError: Error, Equatable, CustomStringConvertible {
    case invalidVersion(String)
    case versionExists(version: String, path: String)
    case notFound(path: String)
    case ioFailure(path: String, reason: String)
    case corrupt(path: String, reason: String)
    /// Another process holds the lock (its PID when known).
    case locked(path: String, owner: Int32?)

    public var description: String {
        switch self {
        case .invalidVersion(let version):
            "model version '\(version)' is not allowed: use letters, digits, '.', '_' and '-' (e.g. 2025-06-01)"
        case .versionExists(let version, let path):
            "model version '\(version)' already exists at \(path); choose another --model-version or pass --force"
        case .notFound(let path): "\(path): no such artifact"
        case .ioFailure(let path, let reason): "\(path): \(reason)"
        case .corrupt(let path, let reason): "\(path): \(reason)"
        case .locked(let path, let owner):
            "\(path) is locked by \(owner.map { "process \($0)" } ?? "another process"); wait for it to finish or choose another --model-version"
        }
    }
}
