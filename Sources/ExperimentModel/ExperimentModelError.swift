/// Problems with an experiment specification or a Katib request; each names what is wrong and where.
public enum ExperimentModelError: Error, Equatable, CustomStringConvertible {
    /// The file is not valid YAML/JSON.
    case malformedDocument(file: String, message: String)
    /// A field is missing or has the wrong shape; `path` is the field path (e.g. `spec.parameters[1].feasibleSpace.min`).
    case invalidField(path: String, line: Int?, message: String)
    /// A parameter's feasible space is impossible or inconsistent.
    case invalidParameter(name: String, message: String)
    /// The experiment as a whole is inconsistent (counts, objective, template).
    case invalidExperiment(String)

    public var description: String {
        switch self {
        case .malformedDocument(let file, let message):
            "\(file): not a valid YAML/JSON document: \(message)"
        case .invalidField(let path, let line, let message):
            if let line, line > 0 { "line \(line), field '\(path)': \(message)" } else { "field '\(path)': \(message)" }
        case .invalidParameter(let name, let message):
            "parameter '\(name)': \(message)"
        case .invalidExperiment(let message):
            message
        }
    }
}
