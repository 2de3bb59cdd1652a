@testable import ExperimentModel
import Foundation
@testable import KatibWire
import Testing

@Suite struct KatibMessagesTests {
    static let request = """
        {"experiment": {"name": "random", "spec": {
           "parameterSpecs": {"parameters": [
             {"name": "lr", "parameterType": "DOUBLE", "feasibleSpace": {"min": "0.01", "max": "0.05", "distribution": "UNIFORM"}},
             {"name": "num-layers", "parameterType": "INT", "feasibleSpace": {"min": "2", "max": "5", "distribution": "UNIFORM"}},
             {"name": "optimizer", "parameterType": "CATEGORICAL", "feasibleSpace": {"list": ["sgd", "adam", "ftrl"]}}]},
           "objective": {"type": "MAXIMIZE", "goal": 0.99, "objectiveMetricName": "accuracy", "additionalMetricNames": ["loss"]},
           "algorithm": {"algorithmName": "random", "algorithmSettings": [{"name": "random_state", "value": "10"}]},
           "parallelTrialCount": 3, "maxTrialCount": 12}},
         "trials": [
           {"name": "random-x7bq2lkd",
            "spec": {"parameterAssignments": {"assignments": [{"name": "lr", "value": "0.0268"}, {"name": "num-layers", "value": "3"}, {"name": "optimizer", "value": "adam"}]}},
            "status": {"condition": "SUCCEEDED",
                       "observation": {"metrics": [{"name": "accuracy", "value": "0.9712"}, {"name": "loss", "value": "0.0893"}]}}},
           {"name": "random-9k4wzt5d",
            "spec": {"parameterAssignments": {"assignments": [{"name": "lr", "value": "0.0412"}, {"name": "num-layers", "value": "5"}, {"name": "optimizer", "value": "sgd"}]}},
            "status": {"condition": "RUNNING", "observation": {}}}],
         "currentRequestNumber": 2, "totalRequestNumber": 4}
        """

    @Test func decodesKatibsExampleRequest() throws {
        let request = try KatibJSON.decode(GetSuggestionsRequest.self, from: Data(Self.request.utf8))
        #expect(request.currentRequestNumber == 2)
        #expect(request.totalRequestNumber == 4)
        let experiment = try request.experiment.toExperiment()
        #expect(experiment.objective.type == .maximize)
        #expect(experiment.searchSpace.names == ["lr", "num-layers", "optimizer"])
        let records = request.trials.map(\.record)
        #expect(records[0].observedValue(of: "accuracy") == 0.9712)
        #expect(records[1].condition == .running && records[1].observedValue(of: "accuracy") == nil)
    }

    @Test func acceptsSnakeCaseNamesEnumNumbersAndMissingFields() throws {
        let json = """
            {"experiment": {"spec": {"parameter_specs": {"parameters": [
                {"name": "x", "parameter_type": 1, "feasible_space": {"min": 0, "max": "1"}}]},
              "objective": {"objective_metric_name": "loss"}, "algorithm": {"algorithm_name": "random"}}},
             "trials": [{"name": "t", "status": {"condition": 4}}], "current_request_number": 1, "unknownField": true}
            """
        let request = try KatibJSON.decode(GetSuggestionsRequest.self, from: Data(json.utf8))
        let experiment = try request.experiment.toExperiment()
        #expect(experiment.objective.type == .minimize)
        #expect(experiment.searchSpace.parameters[0].domain
            == .double(DoubleRange(lower: 0, upper: 1, step: nil, distribution: .uniform, decimals: nil)))
        #expect(request.trials[0].record.condition == .failed)
        #expect(request.currentRequestNumber == 1)
    }

    @Test func malformedJSONSaysWhere() {
        #expect {
            try KatibJSON.decode(GetSuggestionsRequest.self, from: Data(#"{"trials": [{"name": 5}]}"#.utf8))
        } throws: { error in
            (error as? KatibStatus).map { $0.code == .invalidArgument && $0.message.contains("trials[0].name") } ?? false
        }
    }

    /// The hand-written reply encoder writes what JSONEncoder writes, escapes included.
    @Test func replyWriterMatchesJSONEncoder() {
        func viaEncoder<T: Encodable>(_ value: T) -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return try! encoder.encode(value)
        }
        let awkward = "q\"b\\s/é€😀\u{01}\u{1F}\n\r\t\u{08}\u{0C}\u{7F}"
        let replies = [
            GetSuggestionsReply(parameterAssignments: []),
            GetSuggestionsReply(parameterAssignments: [.init(assignments: [])], algorithm: KatibAlgorithm()),
            GetSuggestionsReply(
                parameterAssignments: [
                    .init(assignments: [.init(name: "x", value: "1"), .init(name: awkward, value: awkward)],
                          trialName: awkward, labels: ["b": awkward, "a": "1", awkward: ""]),
                    .init(assignments: [.init(name: "y", value: "0.25")], labels: [:]),
                ],
                algorithm: KatibAlgorithm(algorithmName: "tpe", algorithmSettings: [.init(name: awkward, value: "2")])),
        ]
        for reply in replies {
            #expect(String(decoding: KatibJSON.encode(reply), as: UTF8.self) == String(decoding: viaEncoder(reply), as: UTF8.self))
        }
        let rules = GetEarlyStoppingRulesReply(earlyStoppingRules: [
            KatibEarlyStoppingRule(name: awkward, value: "0.5", comparison: "LESS", startStep: 3),
            KatibEarlyStoppingRule(name: "loss", value: "1e-05", comparison: "GREATER", startStep: 2_147_483_647),
        ])
        #expect(String(decoding: KatibJSON.encode(rules), as: UTF8.self) == String(decoding: viaEncoder(rules), as: UTF8.self))
        let status = KatibStatus.invalidArgument(awkward)
        #expect(String(decoding: KatibJSON.encode(status), as: UTF8.self) == String(decoding: viaEncoder(status), as: UTF8.self))
    }

    @Test func repliesOmitAbsentFields() {
        let reply = GetSuggestionsReply(parameterAssignments: [.init(assignments: [.init(name: "x", value: "1")])])
        #expect(String(decoding: KatibJSON.encode(reply), as: UTF8.self)
            == #"{"parameterAssignments":[{"assignments":[{"name":"x","value":"1"}]}]}"#)
    }
}

@Suite struct ValueFormattingTests {
    static func parameter(_ type: ParameterType, _ space: FeasibleSpace) throws -> SearchParameter {
        try SearchSpace(specs: [ParameterSpec(name: "p", parameterType: type, feasibleSpace: space)]).parameters[0]
    }

    /// A max just below a grid point does not admit it: 0…0.29999999999 step 0.1 is 0, 0.1, 0.2 (it gave 0.3, above
    /// max); 0…0.3 step 0.1 keeps 0.3 although 0.3/0.1 is 2.9999999999999996.
    @Test func gridsStopAtMax() throws {
        let below = try Self.parameter(.double, FeasibleSpace(min: "0", max: "0.29999999999", step: "0.1"))
        guard case .double(let belowRange) = below.domain else { Issue.record("not a double"); return }
        #expect(belowRange.gridCount == 3)
        #expect((0..<3).allSatisfy { belowRange.gridValue($0) <= 0.29999999999 })
        let exact = try Self.parameter(.double, FeasibleSpace(min: "0", max: "0.3", step: "0.1"))
        guard case .double(let exactRange) = exact.domain else { Issue.record("not a double"); return }
        #expect(exactRange.gridCount == 4)
        #expect(exact.format(.double(exactRange.gridValue(3))) == "0.3")
    }

    @Test func formatsLikeKatib() throws {
        let grid = try Self.parameter(.double, FeasibleSpace(min: "0.01", max: "0.05", step: "0.005"))
        guard case .double(let range) = grid.domain else { Issue.record("not a double"); return }
        #expect(grid.format(.double(range.gridValue(3))) == "0.025")
        #expect(range.gridCount == 9)
        let free = try Self.parameter(.double, FeasibleSpace(min: "0", max: "1"))
        #expect(free.format(.double(0.1 + 0.2)) == "0.30000000000000004")
        let list = try Self.parameter(.discrete, FeasibleSpace(list: ["0.10", "1e-3"]))
        #expect(list.format(.choice(0)) == "0.10")
        #expect(list.format(.choice(1)) == "1e-3")
        #expect(list.parse("0.1") == nil)
        #expect(list.parse("0.10") == .choice(0))
        let integer = try Self.parameter(.int, FeasibleSpace(min: "1", max: "9", step: "2"))
        #expect(integer.format(.int(7)) == "7")
        #expect(integer.parse("3.0") == .int(3))
    }
}
