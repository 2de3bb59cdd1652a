/// Why and where a document could not be read: bad JSON (line and column), a value of the wrong kind or out of range
/// (the member path, "trials[3].status.condition"), or a list longer than its limit.
public struct JSONError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Not JSON: where the reader stopped, 1-based, columns counted in Unicode scalars.
        case syntax(line: Int, column: Int)
        /// JSON, but not what the reader expected at `path` (empty: the top level).
        case value(path: String)
        /// A list at `path` longer than the reader allows.
        case limit(path: String)
    }

    public let kind: Kind
    public let reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var description: String {
        switch kind {
        case let .syntax(line, column): "line \(line), column \(column): \(reason)"
        case let .value(path), let .limit(path): "at \(path.isEmpty ? "the top level" : path): \(reason)"
        }
    }
}
