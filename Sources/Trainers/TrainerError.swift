/// Failures while loading data or training; each names the file, line, column or parameter at fault.
public enum TrainerError: Error, Equatable, CustomStringConvertible {
    /// Malformed or unusable input data.
    case invalidData(file: String, line: Int?, field: String?, message: String)
    /// A hyperparameter with a bad value or an unknown name.
    case invalidParameter(name: String, message: String)
    /// Training could not proceed (e.g. too few rows).
    case trainingFailed(String)

    public var description: String {
        switch self {
        case .invalidData(let file, let line, let field, let message):
            var location = file
            if let line { location += ", line \(line)" }
            if let field { location += ", field '\(field)'" }
            return "\(location): \(message)"
        case .invalidParameter(let name, let message):
            return "parameter '\(name)': \(message)"
        case .trainingFailed(let message):
            return message
        }
    }
}
