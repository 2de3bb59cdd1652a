import ExperimentModel
import Foundation
@testable import KatibWire
import Testing

@Suite struct JSONCursorTests {
    static func decode(_ text: String) throws(KatibStatus) -> GetSuggestionsRequest {
        try KatibJSON.decode(GetSuggestionsRequest.self, from: Data(text.utf8))
    }

    @Test func stringsNumbersAndEscapes() throws {
        let request = try Self.decode(#"""
             {"unknown": {"a": [-0.5e2, 0, 12, true, false, null, {"x\"": [[]]}]},
              "experiment": {"name": "x\"y\\z\/\n\u00e9\ud83d\ude00", "spec": {"objective": {"goal": -0.5e2}}},
              "trials": [{"n\u0061me": "t", "status": {"condition": 2}}], "currentRequestNumber": null}
            """#)
        #expect(request.experiment.name == "x\"y\\z/\né😀")
        #expect(request.experiment.spec.objective.goal == -50)
        #expect(request.trials.first?.name == "t", "an escaped member name matches")
        #expect(request.trials.first?.status.condition.name == "2")
        #expect(request.currentRequestNumber == 0)
    }

    /// Strings are scanned eight bytes at a time: a quote, backslash or control character at any offset of a word,
    /// in keys, values and skipped members, is still found.
    @Test func everyOffsetOfAStringIsScanned() throws {
        for length in 0..<24 {
            let plain = String(repeating: "é", count: length / 2) + String(repeating: "a", count: length % 2)
            #expect(try Self.decode(#"{"experiment": {"name": "\#(plain)"}, "x\#(plain)": "\#(plain)"}"#).experiment.name == plain)
            let escaped = plain + "\\n" + plain
            #expect(try Self.decode(#"{"experiment": {"name": "\#(escaped)"}}"#).experiment.name == plain + "\n" + plain)
            for control in ["\u{01}", "\u{1F}", "\n"] {
                #expect(throws: KatibStatus.self) { try Self.decode(#"{"experiment": {"name": "\#(plain + control)z"}}"#) }
                #expect(throws: KatibStatus.self) { try Self.decode(#"{"x": "\#(plain + control)z"}"#) }
            }
        }
    }

    @Test(arguments: [
        ("{\"a\": 1,\n \"b\": }", "line 2, column 7: unexpected character '}', expected a value"),
        ("{\"a\": [1, 2", "line 1, column 12: unexpected end of input inside an array"),
        ("{\"a\": 01}", "line 1, column 8: a number has a leading zero"),
        ("{\"a\": 1.}", "line 1, column 9: invalid number: digits expected after '.'"),
        ("{\"a\": \"abc", "line 1, column 11: unterminated string"),
        ("{\"a\": tru}", "line 1, column 7: invalid literal, expected true"),
        ("{} x", "line 1, column 4: unexpected text after the document"),
        ("{\"trials\": [{\"name\": \"a\" \"b\"}]}", "line 1, column 26: expected ',' or '}' in an object"),
    ])
    func syntaxErrorsSayWhere(text: String, message: String) {
        #expect(throws: KatibStatus.invalidArgument("malformed request JSON: " + message)) { try Self.decode(text) }
    }

    @Test func wrongKindsSayWhichMember() {
        #expect(throws: KatibStatus.invalidArgument(
            "malformed request JSON: at trials[1].spec.parameter_assignments: expected an object, found an array")) {
            try Self.decode(#"{"trials": [{}, {"spec": {"parameter_assignments": []}}]}"#)
        }
        #expect(throws: KatibStatus.invalidArgument("malformed request JSON: at the top level: expected an object, found null")) {
            try Self.decode("null")
        }
    }

    @Test func hostileNestingIsAnErrorNotACrash() {
        let deep = #"{"unknown": "# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(throws: KatibStatus.invalidArgument("malformed request JSON: line 1, column 268: nested deeper than 256 levels")) {
            try Self.decode(deep)
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
        #expect(request.currentRequestNumber == 3)
        #expect(request.totalRequestNumber == 4)
        #expect(request.experiment.spec.parameterSpecs.parameters[0].parameterType.name == "1")
        #expect(throws: KatibStatus.invalidArgument(
            "malformed request JSON: at currentRequestNumber: 2.5 is not a 64-bit integer")) {
            try KatibJSON.decode(GetSuggestionsRequest.self, from: Data(#"{"currentRequestNumber": 2.5}"#.utf8))
        }
    }
}
