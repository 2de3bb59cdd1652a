import Foundation

/// A JSON writer into one byte buffer, compact or indented: members in the order written, strings escaped as
/// `JSONEncoder` escapes them with `.withoutEscapingSlashes`, numbers in Swift's shortest round-trip form (non-finite
/// ones, which JSON cannot carry, as `null`).
public struct JSONWriter {
    @usableFromInline var storage: [UInt8] = []
    /// Spaces per nesting level; 0 writes compact JSON.
    @usableFromInline let indent: Int
    @usableFromInline var depth = 0
    @usableFromInline var needsComma = false
    /// A member's name was just written: its value follows the colon directly.
    @usableFromInline var afterName = false

    @inlinable public init(capacity: Int = 512, indent: Int = 0) {
        storage.reserveCapacity(capacity)
        self.indent = indent
    }

    @inlinable public var data: Data { Data(storage) }

    /// The bytes as text.
    @inlinable public var text: String { String(decoding: storage, as: UTF8.self) }

    /// A whole document written by `body`.
    @inlinable public static func document(capacity: Int = 512, _ body: (inout JSONWriter) -> Void) -> Data {
        var writer = JSONWriter(capacity: capacity)
        body(&writer)
        return writer.data
    }

    @inlinable public mutating func object(_ members: (inout JSONWriter) -> Void) {
        container(open: UInt8(ascii: "{"), close: UInt8(ascii: "}")) { members(&$0) }
    }

    @inlinable public mutating func array<T>(_ items: some Sequence<T>, _ item: (inout JSONWriter, T) -> Void) {
        container(open: UInt8(ascii: "["), close: UInt8(ascii: "]")) { writer in
            for element in items { item(&writer, element) }
        }
    }

    @inlinable public mutating func member(_ key: String, _ value: (inout JSONWriter) -> Void) {
        separate()
        writeString(key)
        storage.append(UInt8(ascii: ":"))
        if indent > 0 { storage.append(UInt8(ascii: " ")) }
        needsComma = false
        afterName = true
        value(&self)
        afterName = false
        needsComma = true
    }

    @inlinable public mutating func string(_ text: String) {
        separate()
        writeString(text)
        needsComma = true
    }

    @inlinable public mutating func number(_ value: Double) {
        separate()
        if value.isFinite { storage.append(contentsOf: "\(value)".utf8) } else { storage.append(contentsOf: "null".utf8) }
        needsComma = true
    }

    @inlinable public mutating func number(_ value: Int) {
        separate()
        storage.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    @inlinable public mutating func bool(_ value: Bool) {
        separate()
        storage.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    @inlinable public mutating func null() {
        separate()
        storage.append(contentsOf: "null".utf8)
        needsComma = true
    }

    /// A value tree; objects' members in name order.
    @inlinable public mutating func value(_ value: JSONValue) {
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

    @inlinable mutating func container(open: UInt8, close: UInt8, _ contents: (inout JSONWriter) -> Void) {
        separate()
        storage.append(open)
        depth += 1
        needsComma = false
        let start = storage.count
        contents(&self)
        depth -= 1
        if indent > 0, storage.count != start { newline() }
        storage.append(close)
        needsComma = true
    }

    /// The comma (and, indented, the line break) before a value or member that follows another.
    @inlinable mutating func separate() {
        if afterName {
            afterName = false
            return
        }
        if needsComma { storage.append(UInt8(ascii: ",")) }
        if indent > 0, depth > 0 { newline() }
    }

    @inlinable mutating func newline() {
        storage.append(UInt8(ascii: "\n"))
        storage.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * depth))
    }

    @inlinable mutating func writeString(_ text: String) {
        storage.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: storage.append(byte)
            }
        }
        storage.append(UInt8(ascii: "\""))
    }
}
