import Foundation

/// A JSON writer into one byte buffer, compact or indented: members in the order written, strings escaped as
/// `JSONEncoder` escapes them with `.withoutEscapingSlashes`, numbers in Swift's shortest round-trip form (non-finite
/// ones, which JSON cannot carry, as `null`).
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Spaces per nesting level; 0 writes compact JSON.
    private let indent: Int
    private var depth = 0
    private var needsComma = false
    /// A member's name was just written: its value follows the colon directly.
    private var afterName = false

    public init(capacity: Int = 512, indent: Int = 0) {
        bytes.reserveCapacity(capacity)
        self.indent = indent
    }

    public var data: Data { Data(bytes) }

    /// The bytes as text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// A whole document written by `body`.
    public static func document(capacity: Int = 512, _ body: (inout JSONWriter) -> Void) -> Data {
        var writer = JSONWriter(capacity: capacity)
        body(&writer)
        return writer.data
    }

    public mutating func object(_ members: (inout JSONWriter) -> Void) {
        container(open: UInt8(ascii: "{"), close: UInt8(ascii: "}")) { members(&$0) }
    }

    public mutating func array<T>(_ items: some Sequence<T>, _ item: (inout JSONWriter, T) -> Void) {
        container(open: UInt8(ascii: "["), close: UInt8(ascii: "]")) { writer in
            for element in items { item(&writer, element) }
        }
    }

    public mutating func member(_ key: String, _ value: (inout JSONWriter) -> Void) {
        separate()
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
        if indent > 0 { bytes.append(UInt8(ascii: " ")) }
        needsComma = false
        afterName = true
        value(&self)
        afterName = false
        needsComma = true
    }

    public mutating func string(_ text: String) {
        separate()
        writeString(text)
        needsComma = true
    }

    public mutating func number(_ value: Double) {
        separate()
        if value.isFinite { bytes.append(contentsOf: "\(value)".utf8) } else { bytes.append(contentsOf: "null".utf8) }
        needsComma = true
    }

    public mutating func number(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    /// A value tree; objects' members in name order.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let value): bool(value)
        // Whole numbers as integers (a tree's counts, ids and timestamps read as int64 by protobuf-JSON servers).
        case .number(let value) where value == value.rounded() && abs(value) < 9_007_199_254_740_992: number(Int(value))
        case .number(let value): number(value)
        case .string(let text): string(text)
        case .array(let items): array(items) { $0.value($1) }
        case .object(let members):
            object { for key in members.keys.sorted() { $0.member(key) { $0.value(members[key]!) } } }
        }
    }

    private mutating func container(open: UInt8, close: UInt8, _ contents: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(open)
        depth += 1
        needsComma = false
        let start = bytes.count
        contents(&self)
        depth -= 1
        if indent > 0, bytes.count != start { newline() }
        bytes.append(close)
        needsComma = true
    }

    /// The comma (and, indented, the line break) before a value or member that follows another.
    private mutating func separate() {
        if afterName {
            afterName = false
            return
        }
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        if indent > 0, depth > 0 { newline() }
    }

    private mutating func newline() {
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * depth))
    }

    private mutating func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
