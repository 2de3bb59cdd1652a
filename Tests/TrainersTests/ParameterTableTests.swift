import Testing
import Trainers

@Suite struct ParameterTableTests {
    let table = RidgeTrainer.parameterTable

    @Test func aliasesDashesAndDefaults() throws {
        let resolved = try table.resolve([("reg_lambda", "2.5"), ("fit-intercept", "False")])
        #expect(resolved.double("alpha") == 2.5)
        #expect(resolved.bool("fit_intercept") == false)
        #expect(resolved.bool("standardize") == true)
    }

    @Test func resolvedParametersRoundTrip() throws {
        let resolved = try table.resolve([("alpha", " 0.5"), ("standardize", "0")])
        #expect(try table.resolve(resolved.pairs) == resolved)
    }

    @Test(arguments: [
        ("alpha", "-1", "parameter 'alpha': '-1' is outside the allowed range [0.0, ∞)"),
        ("alpha", "abc", "parameter 'alpha': 'abc' is not a number; allowed: [0.0, ∞)"),
        ("standardize", "maybe", "parameter 'standardize': 'maybe' is not a boolean; use true or false"),
        ("learning_rate", "0.1", "parameter 'learning_rate': unknown; accepted: alpha, fit_intercept, standardize"),
    ])
    func badValuesNameTheParameter(name: String, value: String, message: String) {
        #expect(throws: TrainerError.self) { try table.resolve([(name, value)]) }
        do { _ = try table.resolve([(name, value)]) } catch { #expect(error.description == message) }
    }

    @Test func theSameParameterTwiceUnderTwoNamesIsRejected() {
        #expect(throws: TrainerError.self) { try table.resolve([("alpha", "1"), ("reg_lambda", "2")]) }
    }
}
