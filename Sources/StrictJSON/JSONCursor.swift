import Foundation

/// A type that reads itself from a `JSONCursor` positioned at its value.
public protocol JSONCursorDecodable {
    init(from cursor: inout JSONCursor) throws(JSONError)
}

/// A strict RFC 8259 reader over UTF-8 bytes that decodes straight into typed values, with no intermediate document
/// tree unless asked for one (`value()`): members are matched by name as they are read, unknown members are skipped
/// (still checked for syntax), and only the strings the caller keeps are made. Katib's Suggestion API and the model
/// server's V1/V2 bodies are read with it: building a tree of `String` keys and boxed values cost more than a
/// suggestion on 100-trial histories.
///
/// Strings must be UTF-8 with paired surrogates; numbers are converted correctly rounded (`strtod`); nesting is
/// bounded (hostile nesting is an error, never a stack overflow); lists can be bounded before they are read to the
/// end. Protobuf's JSON rules are available as well: `JSONKey.is` matches lowerCamelCase or snake_case names, and
/// `text`, `int` and `double` take numbers or strings. Errors say where: line and column for bad JSON, the member
/// path ("trials[3].status.condition") for a value of the wrong kind.
public struct JSONCursor {
    /// What the cursor sits on.
    public enum Kind: Sendable, Equatable {
        case object, array, string, number, bool, null
    }

    /// One step of the path to the current value: a member (the key's byte range in the input) or an array index.
    @usableFromInline enum PathStep {
        case member(Range<Int>)
        case element(Int)
    }

    @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
    @usableFromInline let maxDepth: Int
    @usableFromInline var position = 0
    @usableFromInline var depth = 0
    @usableFromInline var path: [PathStep] = []

    /// Decodes one `T` from the whole input (only whitespace may follow it), nested at most `maxDepth` levels.
    @inlinable public static func decode<T: JSONCursorDecodable>(_ type: T.Type, from data: Data, maxDepth: Int = 256) throws(JSONError) -> T {
        try read(data, maxDepth: maxDepth) { (cursor: inout JSONCursor) throws(JSONError) in try T(from: &cursor) }
    }

    /// Reads the whole input with `body`, which must read exactly one value (only whitespace may follow it). The cursor
    /// reads the input in place: it is valid only inside `body`.
    @inlinable public static func read<T>(
        _ data: Data, maxDepth: Int = 256, _ body: (inout JSONCursor) throws(JSONError) -> T
    ) throws(JSONError) -> T {
        let result: Result<T, JSONError> = data.withUnsafeBytes { raw in
            var cursor = JSONCursor(bytes: raw.bindMemory(to: UInt8.self), maxDepth: maxDepth)
            cursor.path.reserveCapacity(16)
            cursor.skipWhitespace()
            do throws(JSONError) {
                let value = try body(&cursor)
                cursor.skipWhitespace()
                guard cursor.position == cursor.bytes.count else { throw cursor.syntaxError("unexpected text after the document") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    @inlinable init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// The kind of value at the cursor; nil at the end of the input or on a byte no value starts with.
    @inlinable public var kind: Kind? {
        guard let byte = current else { return nil }
        return switch byte {
        case UInt8(ascii: "{"): .object
        case UInt8(ascii: "["): .array
        case UInt8(ascii: "\""): .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): .bool
        case UInt8(ascii: "n"): .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): .number
        default: nil
        }
    }

    // MARK: Reading values (the cursor sits on a value; whitespace before it is already skipped)

    /// Reads an object, calling `member` with each key, the cursor on its value; `member` must read or `skip` it.
    /// Members whose value is `null` are passed on only with `includingNulls` (protobuf: they keep their zero value).
    @inlinable public mutating func object(
        includingNulls: Bool = false, _ member: (inout JSONCursor, JSONKey) throws(JSONError) -> Void
    ) throws(JSONError) {
        guard current == UInt8(ascii: "{") else { throw typeError("an object") }
        try enter()
        position += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw syntaxError("expected a quoted member name") }
            let keyStart = position
            let key = try key()
            let keyRange = keyStart..<position
            skipWhitespace()
            guard current == UInt8(ascii: ":") else {
                throw syntaxError("expected ':' after member name \(String(decoding: bytes[keyRange], as: UTF8.self))")
            }
            position += 1
            skipWhitespace()
            if isNull, !includingNulls {
                position += 4
            } else {
                path.append(.member(keyRange))
                try member(&self, key)
                path.removeLast()
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return
            case nil: throw syntaxError("unexpected end of input inside an object")
            default: throw syntaxError("expected ',' or '}' in an object")
            }
        }
    }

    /// Reads an array, each element with `element`; more than `limit` elements is a `.limit` error, raised as soon as
    /// the next element starts.
    @inlinable public mutating func array<T>(
        limit: Int = .max, _ element: (inout JSONCursor) throws(JSONError) -> T
    ) throws(JSONError) -> [T] {
        guard current == UInt8(ascii: "[") else { throw typeError("an array") }
        try enter()
        position += 1
        var items: [T] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return items
        }
        items.reserveCapacity(4)  // most lists here are short; saves the 1 → 2 → 4 regrowths
        while true {
            skipWhitespace()
            guard items.count < limit else {
                throw JSONError(.limit(path: pathDescription), "more than the limit of \(limit) items")
            }
            path.append(.element(items.count))
            items.append(try element(&self))
            path.removeLast()
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return items
            case nil: throw syntaxError("unexpected end of input inside an array")
            default: throw syntaxError("expected ',' or ']' in an array")
            }
        }
    }

    @inlinable public mutating func decode<T: JSONCursorDecodable>() throws(JSONError) -> T { try T(from: &self) }

    @inlinable public mutating func list<T: JSONCursorDecodable>() throws(JSONError) -> [T] {
        try array { (cursor: inout JSONCursor) throws(JSONError) -> T in try T(from: &cursor) }
    }

    /// A list of strings or numbers, kept as text.
    @inlinable public mutating func textList() throws(JSONError) -> [String] {
        try array { (cursor: inout JSONCursor) throws(JSONError) -> String in try cursor.text() }
    }

    @inlinable public mutating func string() throws(JSONError) -> String {
        guard current == UInt8(ascii: "\"") else { throw typeError("a string") }
        return try stringLiteral()
    }

    /// A string, or a number's text (proto enums by number, numeric values sent unquoted).
    @inlinable public mutating func text() throws(JSONError) -> String {
        if current == UInt8(ascii: "\"") { return try stringLiteral() }
        guard isNumberStart else { throw typeError("a string or a number") }
        let range = try numberRange()
        return String(decoding: bytes[range], as: UTF8.self)
    }

    /// A 64-bit integer as a number or a string; 2.0 and 2e3 are integers too, 2.5 or out-of-range values are not.
    @inlinable public mutating func int() throws(JSONError) -> Int {
        guard current == UInt8(ascii: "\"") || isNumberStart else { throw typeError("an integer") }
        let text = try text()
        if let number = Int(text) { return number }
        if let number = Double(text), number.rounded() == number, abs(number) < 9.0e18 { return Int(number) }
        throw failure("\(text) is not a 64-bit integer")
    }

    /// A number, or a string holding one (also "NaN", "Infinity" as protobuf allows).
    @inlinable public mutating func double() throws(JSONError) -> Double {
        guard current == UInt8(ascii: "\"") || isNumberStart else { throw typeError("a number") }
        let text = try text()
        if let number = Double(text) { return number }
        throw failure("\(text) is not a number")
    }

    /// A JSON number (not a string), correctly rounded to the nearest double; beyond ±1.8e308 is an error.
    @inlinable public mutating func number() throws(JSONError) -> Double {
        guard isNumberStart else { throw typeError("a number") }
        let start = position
        let range = try numberRange()
        let value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: range.count + 1) { text in
            for (k, byte) in bytes[range].enumerated() { text[k] = CChar(bitPattern: byte) }
            text[range.count] = 0
            return strtod(text.baseAddress!, nil)
        }
        guard value.isFinite else {
            position = start
            throw syntaxError("number \(String(decoding: bytes[range], as: UTF8.self)) is out of range")
        }
        return value
    }

    /// `true` or `false`.
    @inlinable public mutating func bool() throws(JSONError) -> Bool {
        switch current {
        case UInt8(ascii: "t"):
            try literal("true")
            return true
        case UInt8(ascii: "f"):
            try literal("false")
            return false
        default: throw typeError("true or false")
        }
    }

    /// Any value as a document tree (objects keep the last of repeated names).
    @inlinable public mutating func value() throws(JSONError) -> JSONValue {
        switch kind {
        case .object:
            var members: [String: JSONValue] = [:]
            try object(includingNulls: true) { (cursor, key) throws(JSONError) in members[key.text] = try cursor.value() }
            return .object(members)
        case .array: return .array(try array { (cursor: inout JSONCursor) throws(JSONError) in try cursor.value() })
        case .string: return .string(try stringLiteral())
        case .number: return .number(try number())
        case .bool: return .bool(try bool())
        case .null:
            try literal("null")
            return .null
        case nil: throw typeError("a value")
        }
    }

    /// Skips any value, checking its syntax (unknown members).
    @inlinable public mutating func skip() throws(JSONError) {
        guard let byte = current else { throw syntaxError("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): try object { (cursor, _) throws(JSONError) in try cursor.skip() }
        case UInt8(ascii: "["): _ = try array { (cursor: inout JSONCursor) throws(JSONError) in try cursor.skip() }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try numberRange()
        default: throw syntaxError("unexpected character '\(Unicode.Scalar(byte))', expected a value")
        }
    }

    // MARK: Errors

    /// A value error at the cursor's path: for callers whose checks go beyond the value's kind.
    public func failure(_ reason: String) -> JSONError { JSONError(.value(path: pathDescription), reason) }

    @usableFromInline func syntaxError(_ reason: String) -> JSONError {
        var line = 1, column = 1
        for byte in bytes[0..<min(position, bytes.count)] {
            if byte == UInt8(ascii: "\n") { (line, column) = (line + 1, 1) } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return JSONError(.syntax(line: line, column: column), reason)
    }

    /// A value of the wrong kind (or a syntax error, when there is no value at all).
    @usableFromInline func typeError(_ expected: String) -> JSONError {
        guard let byte = current else { return syntaxError("unexpected end of input, expected a value") }
        let found: String
        switch byte {
        case UInt8(ascii: "{"): found = "an object"
        case UInt8(ascii: "["): found = "an array"
        case UInt8(ascii: "\""): found = "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): found = "a boolean"
        case UInt8(ascii: "n"): found = "null"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): found = "a number"
        default: return syntaxError("unexpected character '\(Unicode.Scalar(byte))', expected a value")
        }
        return failure("expected \(expected), found \(found)")
    }

    /// The path to the current value, "trials[3].status.condition" (member names as the request spelled them).
    @usableFromInline var pathDescription: String {
        var text = ""
        for step in path {
            switch step {
            case .member(let range):
                if !text.isEmpty { text += "." }
                // The key without its quotes (escapes left as written).
                text += String(decoding: bytes[(range.lowerBound + 1)..<(range.upperBound - 1)], as: UTF8.self)
            case .element(let index): text += "[\(index)]"
            }
        }
        return text
    }

    // MARK: Lexing

    @inlinable var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    @inlinable var isNull: Bool {
        position + 4 <= bytes.count && bytes[position] == UInt8(ascii: "n") && bytes[position + 1] == UInt8(ascii: "u")
            && bytes[position + 2] == UInt8(ascii: "l") && bytes[position + 3] == UInt8(ascii: "l")
    }

    @inlinable var isNumberStart: Bool {
        guard let byte = current else { return false }
        return byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    @inlinable mutating func enter() throws(JSONError) {
        guard depth < maxDepth else { throw syntaxError("nested deeper than \(maxDepth) levels") }
        depth += 1
    }

    @inlinable mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    @inlinable mutating func literal(_ literal: StaticString) throws(JSONError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count,
              (0..<count).allSatisfy({ bytes[position + $0] == literal.utf8Start[$0] })
        else { throw syntaxError("invalid literal, expected \(literal)") }
        position += count
    }

    /// A member name: its raw bytes when it has no escapes (the common case, no copy), else decoded.
    @inlinable mutating func key() throws(JSONError) -> JSONKey {
        let start = position + 1
        if let end = unescapedStringEnd() {
            position = end + 1
            return JSONKey(raw: UnsafeBufferPointer(rebasing: bytes[start..<end]))
        }
        return JSONKey(decoded: Array(try stringLiteral().utf8))
    }

    /// The index of the closing quote of the string at the cursor when it has no escapes; nil otherwise.
    @inlinable func unescapedStringEnd() -> Int? {
        let index = Self.specialByte(in: bytes, from: position + 1)
        return index < bytes.count && bytes[index] == UInt8(ascii: "\"") ? index : nil
    }

    /// The index of the first byte at or after `start` that ends a string's plain run — a quote, a backslash or a
    /// control character — or `bytes.count`. Eight bytes at a time (SWAR): string contents are most of a request.
    @inlinable static func specialByte(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        if let base = bytes.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            while index + 8 <= bytes.count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                // A byte is flagged when it equals '"' or '\\', or is below 0x20 (the classic has-zero-byte tests).
                let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
                let flagged = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (word &- ones &* 0x20) & ~word)
                    & highs
                if flagged != 0 { break }
                index += 8
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return index }
            index += 1
        }
        return index
    }

    @inlinable mutating func skipString() throws(JSONError) {
        if let end = unescapedStringEnd() {
            position = end + 1
        } else {
            _ = try stringLiteral()
        }
    }

    @inlinable mutating func stringLiteral() throws(JSONError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes.
        position = Self.specialByte(in: bytes, from: position)
        guard let stop = current else { throw syntaxError("unterminated string") }
        guard stop >= 0x20 else { throw syntaxError("control character in a string") }
        if stop == UInt8(ascii: "\"") {
            position += 1
            guard let text = Self.utf8String(UnsafeBufferPointer(rebasing: bytes[start..<(position - 1)])) else {
                position = start - 1
                throw syntaxError("a string is not UTF-8")
            }
            return text
        }
        var utf8 = Array(bytes[start..<position])
        while true {
            guard let byte = current else { throw syntaxError("unterminated string") }
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = utf8.withUnsafeBufferPointer(Self.utf8String) else {
                    position = start - 1
                    throw syntaxError("a string is not UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                guard let escaped = current else { throw syntaxError("unterminated string") }
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                            throw syntaxError("a lone UTF-16 surrogate in a string")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw syntaxError("a lone UTF-16 surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw syntaxError("a lone UTF-16 surrogate in a string") }
                    utf8.append(contentsOf: String(Character(unicode)).utf8)
                default: throw syntaxError("invalid escape '\\\(Unicode.Scalar(escaped))'")
                }
            default:
                guard byte >= 0x20 else { throw syntaxError("control character in a string") }
                utf8.append(byte)
            }
        }
    }

    /// The text of UTF-8 bytes, nil when they are not valid UTF-8. ASCII, most of what requests carry, is checked eight
    /// bytes at a time; the standard library's validating initializer is far slower on it.
    @inlinable static func utf8String(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var index = 0, high: UInt64 = 0
        if let base = bytes.baseAddress {
            while index + 8 <= bytes.count {
                high |= UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                index += 8
            }
        }
        while index < bytes.count {
            high |= UInt64(bytes[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0 ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
    }

    @inlinable mutating func hex4() throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Self.hexValue(byte) else { throw syntaxError("invalid \\u escape") }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    @inlinable static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    @inlinable mutating func numberRange() throws(JSONError) -> Range<Int> {
        let start = position
        func digits() -> Int {
            let from = position
            while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { position += 1 }
            return position - from
        }
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
            if let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { throw syntaxError("a number has a leading zero") }
        } else if digits() == 0 {
            throw syntaxError("invalid number")
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw syntaxError("invalid number: digits expected after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw syntaxError("invalid number: digits expected in the exponent") }
        }
        return start..<position
    }
}

/// A member name as read: matched against a field's lowerCamelCase name, or the snake_case form of it, without
/// making a string.
public struct JSONKey {
    @usableFromInline let raw: UnsafeBufferPointer<UInt8>?
    @usableFromInline let decoded: [UInt8]

    @inlinable init(raw: UnsafeBufferPointer<UInt8>) {
        self.raw = raw
        decoded = []
    }

    @inlinable init(decoded: [UInt8]) {
        raw = nil
        self.decoded = decoded
    }

    /// The name as text (escapes decoded).
    @inlinable public var text: String {
        if let raw { return String(decoding: raw, as: UTF8.self) }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// True when the key is exactly `name`.
    @inlinable public func equals(_ name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        if let raw { return raw.count == count && (count == 0 || memcmp(raw.baseAddress!, name.utf8Start, count) == 0) }
        return decoded.count == count && decoded.withUnsafeBufferPointer { count == 0 || memcmp($0.baseAddress!, name.utf8Start, count) == 0 }
    }

    /// True when the key is `camel` ("parameterSpecs") or its snake_case form ("parameter_specs").
    @inlinable public func `is`(_ camel: StaticString) -> Bool {
        if let raw { return Self.matches(raw, camel) }
        return decoded.withUnsafeBufferPointer { Self.matches($0, camel) }
    }

    @inlinable static func matches(_ key: UnsafeBufferPointer<UInt8>, _ camel: StaticString) -> Bool {
        let name = camel.utf8Start
        let count = camel.utf8CodeUnitCount
        if key.count == count, let base = key.baseAddress { return memcmp(base, name, count) == 0 }
        // snake_case: every capital letter of the camel name is '_' and its lowercase letter.
        var index = 0
        for offset in 0..<count {
            let letter = name[offset]
            guard index < key.count else { return false }
            if key[index] == letter {
                index += 1
            } else if letter < UInt8(ascii: "A") || letter > UInt8(ascii: "Z") || key[index] != UInt8(ascii: "_")
                        || index + 1 == key.count || key[index + 1] != letter + 32 {
                return false
            } else {
                index += 2
            }
        }
        return index == key.count
    }
}
