import Foundation
import HTTPTypes

/// Prediction request bodies as Foundation values (`[String: Any]`, `[Any]`, `String`, `NSNumber`, `Bool`, `NSNull`), read by
/// a strict RFC 8259 parser: numbers go through `strtod`, so every decimal becomes the nearest double (Foundation's
/// `JSONSerialization` on Linux misses it by an ulp now and then, which changes predictions); nesting is bounded
/// (a hostile body is an error, never a stack overflow); errors give the line and column.
enum JSONBody {
    static let maxDepth = 64

    /// True for JSON's `true` and `false` (the parser gives them as `Bool`; on Linux every `NSNumber` also casts to
    /// `Bool`, so `is Bool` cannot tell them from numbers).
    static func isBoolean(_ value: Any) -> Bool { type(of: value) == Bool.self }

    /// The body's value. `listLimits` bounds lists that are members of the top-level object, by member name
    /// (`instances` → the row limit): a longer one is refused (413) as soon as the parser passes the limit, before the
    /// rest of it is read.
    static func parse(_ body: Data, listLimits: [String: Int] = [:]) throws(InferenceFailure) -> Any {
        let result: Result<Any, InferenceFailure> = body.withUnsafeBytes { raw in
            var parser = Parser(bytes: raw.bindMemory(to: UInt8.self), listLimits: listLimits)
            do throws(InferenceFailure) {
                parser.skipWhitespace()
                let value = try parser.value(depth: 0)
                parser.skipWhitespace()
                guard parser.position == parser.bytes.count else { throw parser.failure("unexpected text after the JSON value") }
                return .success(value)
            } catch let failure {
                return .failure(failure)
            }
        }
        return try result.get()
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0
        let listLimits: [String: Int]
        /// The limit for the list about to be read, when it is a limited member of the top-level object.
        var pendingLimit: (member: String, limit: Int)?

        init(bytes: UnsafeBufferPointer<UInt8>, listLimits: [String: Int]) {
            self.bytes = bytes
            self.listLimits = listLimits
        }

        func failure(_ reason: String) -> InferenceFailure {
            var line = 1, column = 1
            for byte in bytes.prefix(position) {
                if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
            }
            return .invalid("the body is not valid JSON: line \(line), column \(column): \(reason)")
        }

        mutating func skipWhitespace() {
            while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
        }

        mutating func value(depth: Int) throws(InferenceFailure) -> Any {
            guard position < bytes.count else { throw failure("the body ends where a value should be") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return try string()
            case UInt8(ascii: "t"): try literal("true"); return true
            case UInt8(ascii: "f"): try literal("false"); return false
            case UInt8(ascii: "n"): try literal("null"); return NSNull()
            default: return NSNumber(value: try number())
            }
        }

        private mutating func object(depth: Int) throws(InferenceFailure) -> [String: Any] {
            guard depth <= maxDepth else { throw failure("nested more than \(maxDepth) levels deep") }
            position += 1
            var members: [String: Any] = [:]
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return members }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw failure("expected a member name") }
                let key = try string()
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure("expected ':' after a member name") }
                position += 1
                skipWhitespace()
                if depth == 1, let limit = listLimits[key] { pendingLimit = (key, limit) }
                members[key] = try value(depth: depth)
                pendingLimit = nil
                skipWhitespace()
                guard position < bytes.count else { throw failure("the body ends inside an object") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                guard bytes[position] == UInt8(ascii: "}") else { throw failure("expected ',' or '}'") }
                position += 1
                return members
            }
        }

        private mutating func array(depth: Int) throws(InferenceFailure) -> [Any] {
            guard depth <= maxDepth else { throw failure("nested more than \(maxDepth) levels deep") }
            position += 1
            var items: [Any] = []
            let limit = pendingLimit
            pendingLimit = nil
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return items }
            while true {
                skipWhitespace()
                if let limit, items.count == limit.limit {
                    throw InferenceFailure(.contentTooLarge, "\"\(limit.member)\" has more than the limit of \(limit.limit) items")
                }
                items.append(try value(depth: depth))
                skipWhitespace()
                guard position < bytes.count else { throw failure("the body ends inside a list") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                guard bytes[position] == UInt8(ascii: "]") else { throw failure("expected ',' or ']'") }
                position += 1
                return items
            }
        }

        private mutating func literal(_ word: StaticString) throws(InferenceFailure) {
            let count = word.utf8CodeUnitCount
            guard position + count <= bytes.count,
                  (0..<count).allSatisfy({ bytes[position + $0] == word.utf8Start[$0] }) else { throw failure("unexpected character") }
            position += count
        }

        /// RFC 8259's number grammar, converted by `strtod` (correctly rounded); beyond ±1.8e308 is an error.
        private mutating func number() throws(InferenceFailure) -> Double {
            let start = position
            func digits() -> Int {
                let from = position
                while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
                return position - from
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
            let integer = position
            guard digits() > 0 else { throw failure("unexpected character") }
            if bytes[integer] == UInt8(ascii: "0"), position - integer > 1 { throw failure("a number has a leading zero") }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { throw failure("a number's fraction has no digits") }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
                guard digits() > 0 else { throw failure("a number's exponent has no digits") }
            }
            var text = [CChar](repeating: 0, count: position - start + 1)
            for k in start..<position { text[k - start] = CChar(bitPattern: bytes[k]) }
            let value = strtod(text, nil)
            guard value.isFinite else {
                let number = String(decoding: bytes[start..<position], as: UTF8.self)
                position = start
                throw failure("number \(number) is out of range")
            }
            return value
        }

        private mutating func string() throws(InferenceFailure) -> String {
            position += 1
            var utf8: [UInt8] = []
            while true {
                guard position < bytes.count else { throw failure("the body ends inside a string") }
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: utf8, as: UTF8.self) else { throw failure("a string is not UTF-8") }
                    return text
                case UInt8(ascii: "\\"):
                    guard position < bytes.count else { throw failure("the body ends inside a string") }
                    let escape = bytes[position]
                    position += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                    case UInt8(ascii: "b"): utf8.append(0x08)
                    case UInt8(ascii: "f"): utf8.append(0x0C)
                    case UInt8(ascii: "n"): utf8.append(0x0A)
                    case UInt8(ascii: "r"): utf8.append(0x0D)
                    case UInt8(ascii: "t"): utf8.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                                throw failure("a lone UTF-16 surrogate in a string")
                            }
                            position += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw failure("a lone UTF-16 surrogate in a string") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw failure("a lone UTF-16 surrogate in a string") }
                        utf8.append(contentsOf: Array(String(Character(unicode)).utf8))
                    default: throw failure("an unknown escape in a string")
                    }
                case 0..<0x20: throw failure("a control character in a string")
                default: utf8.append(byte)
                }
            }
        }

        private mutating func hex4() throws(InferenceFailure) -> UInt32 {
            guard position + 4 <= bytes.count else { throw failure("the body ends inside a \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = UInt32(String(UnicodeScalar(bytes[position])), radix: 16) else { throw failure("a \\u escape needs 4 hex digits") }
                value = value * 16 + digit
                position += 1
            }
            return value
        }
    }
}
