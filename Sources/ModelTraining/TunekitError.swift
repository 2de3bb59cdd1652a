/// Failures of training, publishing, tuning and analysis, with what to change.
public enum TunekitError: Error, Equatable, CustomStringConvertible {
    /// Bad `tunekit train` arguments (also inside a trial template).
    case invalidArguments(String)
    /// The experiment cannot run locally as written.
    case notRunnable(String)
    /// Loading or featurizing the data failed.
    case data(String)
    /// The experiment ended without a usable best trial.
    case experimentFailed(String)
    /// Writing artifacts failed.
    case artifacts(String)
    /// SIGINT/SIGTERM stopped the run; its journal holds what finished.
    case interrupted

    public var description: String {
        switch self {
        case .invalidArguments(let message): "invalid train arguments: \(message)"
        case .notRunnable(let message): "experiment cannot run locally: \(message)"
        case .data(let message): message
        case .experimentFailed(let message): "experiment failed: \(message)"
        case .artifacts(let message): message
        case .interrupted: "the run was interrupted; its journal holds the finished trials"
        }
    }
}
