import Foundation
import NumericKernels
import StrictJSON
import Testing

/// The reader and writer every wire format goes through: strictness, limits, exact numbers, round trips.
@Suite struct StrictJSONTests {
    static func tree(_ text: String, maxDepth: Int = 256) throws(JSONError) -> JSONValue {
        try JSONCursor.read(Data(text.utf8), maxDepth: maxDepth) { (cursor: inout JSONCursor) throws(JSONError) in try cursor.value() }
    }

    @Test func treesKeepNullsAndTheLastOfRepeatedNames() throws {
        let value = try Self.tree(#" {"a": [1, -2.5e1, "x", true, false, null, {}], "b": null, "a2": {"k": 1, "k": 2}} "#)
        #expect(value == .object([
            "a": .array([.number(1), .number(-25), .string("x"), .bool(true), .bool(false), .null, .object([:])]),
            "b": .null,
            "a2": .object(["k": .number(2)]),
        ]))
    }

    /// A list over its limit is refused when its next element starts: the rest of a huge body is never read.
    @Test func listLimitsStopReadingAtTheLimit() {
        let body = Data((#"{"rows": [1, 2, 3, 4, "# + String(repeating: "x", count: 1_000)).utf8)
        #expect(throws: JSONError(.limit(path: "rows"), "more than the limit of 3 items")) {
            try JSONCursor.read(body) { (cursor: inout JSONCursor) throws(JSONError) in
                try cursor.object { (cursor, key) throws(JSONError) in
                    _ = try cursor.array(limit: 3) { (cursor: inout JSONCursor) throws(JSONError) in try cursor.number() }
                }
            }
        }
    }

    @Test(arguments: [
        ("\"a\u{1}\"", "line 1, column 3: control character in a string"),
        (#""\ud800""#, "line 1, column 8: a lone UTF-16 surrogate in a string"),
        (#""\ud800\u0041""#, "line 1, column 14: a lone UTF-16 surrogate in a string"),
        (#""\udc00""#, "line 1, column 8: a lone UTF-16 surrogate in a string"),
        ("01", "line 1, column 2: a number has a leading zero"),
        ("-", "line 1, column 2: invalid number"),
        ("1e400", "line 1, column 1: number 1e400 is out of range"),
        ("[1,]", "line 1, column 4: unexpected character ']', expected a value"),
        ("nul", "line 1, column 1: invalid literal, expected null"),
        ("{\"a\" 1}", "line 1, column 6: expected ':' after member name \"a\""),
        ("[[[[1]]]]", "line 1, column 4: nested deeper than 3 levels"),
    ])
    func malformedDocumentsSayWhere(text: String, message: String) {
        #expect(throws: JSONError.self) { try Self.tree(text, maxDepth: 3) }
        do {
            _ = try Self.tree(text, maxDepth: 3)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func invalidUTF8IsAnErrorNotRepaired() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0x5C, 0x6E, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(throws: JSONError(.syntax(line: 1, column: 1), "a string is not UTF-8")) {
                try JSONCursor.read(Data(bytes)) { (cursor: inout JSONCursor) throws(JSONError) in try cursor.string() }
            }
        }
        let pair = try? Self.tree(#""\ud83d\ude00 é""#)
        #expect(pair == .string("😀 é"))
    }

    /// Numbers are the nearest double to the decimal (as Swift's and glibc's correctly rounded conversions give it),
    /// including halfway cases, subnormals and 17+ significant digits.
    @Test func numbersAreCorrectlyRounded() throws {
        let texts = [
            "0.1", "2.2250738585072011e-308", "2.2250738585072012e-308", "4.9e-324", "9007199254740993", "1e23",
            "8.98846567431158e307", "1.7976931348623157e308", "0.30000000000000004", "123456789012345678901234567890",
            "-0", "0.000000000000000000000000000001", "7.038531e-26", "2.4703282292062328e-324",
        ]
        for text in texts {
            #expect(try Self.tree(text) == .number(Double(text)!), "\(text)")
        }
    }

    /// What the writer writes reads back as the same tree; strings are escaped exactly as JSONEncoder escapes them.
    @Test func writerRoundTripsAndEscapesAsJSONEncoder() throws {
        let awkward = "q\"b\\s/é€😀\u{01}\u{1F}\n\r\t\u{08}\u{0C}\u{7F}"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var writer = JSONWriter()
        writer.string(awkward)
        #expect(writer.text == String(decoding: try encoder.encode(awkward), as: UTF8.self))

        var generator = SplitMix64(seed: 20261207)
        for _ in 0..<200 {
            let value = Self.randomValue(depth: 0, using: &generator)
            let written = JSONWriter.document { $0.value(value) }
            #expect(try JSONCursor.read(written) { (cursor: inout JSONCursor) throws(JSONError) in try cursor.value() } == value)
        }
        #expect(JSONWriter.document { $0.array([1.5, .nan, .infinity]) { $0.number($1) } } == Data("[1.5,null,null]".utf8))
    }

    static func randomValue(depth: Int, using generator: inout SplitMix64) -> JSONValue {
        let pieces = ["a", "é", "\"", "\\", "\n", "😀", "\u{1}", "key", " "]
        func text() -> String { (0..<Int.random(in: 0...4, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined() }
        switch Int.random(in: 0..<(depth < 4 ? 7 : 5), using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .number(Double(bitPattern: UInt64.random(in: 0...0x7FEF_FFFF_FFFF_FFFF, using: &generator)))
        case 3: return .number(Double(Int.random(in: -1_000_000...1_000_000, using: &generator)) / 64)
        case 4: return .string(text())
        case 5: return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &generator) { members[text()] = randomValue(depth: depth + 1, using: &generator) }
            return .object(members)
        }
    }
}
