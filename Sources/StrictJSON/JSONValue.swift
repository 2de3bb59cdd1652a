import Foundation

/// A JSON document as a tree, for the parts of a request whose shape is the caller's to check (a V1 instance's cells,
/// a V2 tensor's nested data). Numbers are doubles, correctly rounded.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public var stringValue: String? { if case .string(let text) = self { text } else { nil } }
    public var numberValue: Double? { if case .number(let number) = self { number } else { nil } }
    public var boolValue: Bool? { if case .bool(let flag) = self { flag } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let items) = self { items } else { nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let members) = self { members } else { nil } }

    /// An object's member (nil for a missing one and for other kinds).
    public subscript(name: String) -> JSONValue? { objectValue?[name] }

    /// A whole document (only whitespace may follow the value).
    public static func parse(_ data: Data, maxDepth: Int = 256) throws(JSONError) -> JSONValue {
        try JSONCursor.read(data, maxDepth: maxDepth) { (cursor: inout JSONCursor) throws(JSONError) in try cursor.value() }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements) { _, last in last })
    }
}
