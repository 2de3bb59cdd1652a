import Foundation
import Testing
@testable import ExperimentModel

@Suite struct JSONReaderTests {
    static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue { try JSONReader.parse(Array(text.utf8)) }

    @Test func stringsNumbersAndEscapes() throws {
        let value = try Self.parse(#" {"a": "x\"y\\z\/\n\u00e9\ud83d\ude00", "b": [-0.5e2, 0, 12, true, false, null]} "#)
        guard case .string(let a)? = value.member("a"), case .array(let b)? = value.member("b") else {
            Issue.record("unexpected shape")
            return
        }
        #expect(a == "x\"y\\z/\né😀")
        guard case .number(let n) = b[0], case .number(let zero) = b[1], case .bool(true) = b[3], case .null = b[5] else {
            Issue.record("unexpected array")
            return
        }
        #expect(n == "-0.5e2" && Double(n) == -50 && zero == "0")
    }

    @Test(arguments: [
        ("{\"a\": 1,\n \"b\": }", "line 2, column 7: unexpected character '}', expected a value"),
        ("[1, 2", "line 1, column 6: unexpected end of input inside an array"),
        ("{\"a\": 01}", "line 1, column 8: expected ',' or '}' in an object"),
        ("{\"a\": 1.}", "line 1, column 9: invalid number: digits expected after '.'"),
        ("\"abc", "line 1, column 5: unterminated string"),
        ("{\"a\": tru}", "line 1, column 7: invalid literal, expected true"),
        ("{} x", "line 1, column 4: unexpected text after the document"),
    ])
    func syntaxErrorsSayWhere(text: String, message: String) {
        #expect(throws: JSONSyntaxError.self) { try Self.parse(text) }
        do { _ = try Self.parse(text) } catch { #expect(error.description == message) }
    }

    @Test func hostileNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        do {
            _ = try Self.parse(deep)
            Issue.record("expected a depth error")
        } catch {
            #expect(error.reason == "nested deeper than 256 levels")
        }
    }

    @Test func protobufJSONRules() throws {
        // snake_case names, integers as strings or as 2.0, enums as numbers.
        let request = try KatibJSON.decode(GetSuggestionsRequest.self, from: Data("""
            {"experiment": {"spec": {"parameter_specs": {"parameters": [
               {"name": "x", "parameter_type": 1, "feasible_space": {"min": "0", "max": "1"}}]},
               "algorithm": {"algorithm_name": "random"}}},
             "current_request_number": "3", "totalRequestNumber": 4.0}
            """.utf8))
        #expect(request.currentRequestNumber == 3 && request.totalRequestNumber == 4)
        #expect(request.experiment.spec.parameterSpecs.parameters[0].parameterType.name == "1")
        #expect(throws: KatibStatus.invalidArgument(
            "malformed request JSON: at currentRequestNumber: 2.5 is not a 64-bit integer")) {
            try KatibJSON.decode(GetSuggestionsRequest.self, from: Data(#"{"currentRequestNumber": 2.5}"#.utf8))
        }
    }
}
