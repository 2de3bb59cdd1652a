/// Problems with traffic files or settings; each names the file, line and field where it can.
public enum TrafficDataError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case malformed(file: String, line: Int, field: String, message: String)
    case invalidSettings(String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): "\(file): \(reason)"
        case .malformed(let file, let line, let field, let message): "\(file), line \(line), field '\(field)': \(message)"
        case .invalidSettings(let message): message
        }
    }
}
