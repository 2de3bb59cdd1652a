import Foundation
import Testing

/// Seeded mutations of a valid GetSuggestions request — extreme numbers, wrong types, odd enums, hostile counts — sent
/// to every algorithm: each gets an answer below 500 and the server stays up. The mutations were not used to develop
/// the limits (they come from the generator, not from known crashes).
@Suite struct RequestFuzzTests {
    /// SplitMix64: a small, seedable generator for the mutations.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }
    }

    static let numbers = [
        "0", "-0", "1", "-1", "0.5", "1e308", "-1e308", "1.7976931348623157e308", "5e-324", "1e-320", "nan", "inf", "-inf",
        "1e400", "9223372036854775807", "-9223372036854775808", "2e9", "1e-17", "0x10", "", " 3 ", "abc", "1e30", "0.1",
    ]
    static let distributions = ["UNIFORM", "LOG_UNIFORM", "NORMAL", "LOG_NORMAL", "0", "9", "BOGUS", ""]
    static let algorithms = ["random", "grid", "tpe", "multivariate-tpe", "bayesianoptimization", "cmaes", "sobol", "hyperband"]

    static func request(_ g: inout Generator) -> String {
        var parameters: [String] = []
        for index in 0..<(1 + Int(g.next() % 3)) {
            switch g.next() % 3 {
            case 0:
                let step = g.next() % 2 == 0 ? "" : #", "step": "\#(g.pick(numbers))""#
                parameters.append(#"{"name": "p\#(index)", "parameterType": "DOUBLE", "feasibleSpace": {"min": "\#(g.pick(numbers))", "max": "\#(g.pick(numbers))"\#(step), "distribution": "\#(g.pick(distributions))"}}"#)
            case 1:
                parameters.append(#"{"name": "p\#(index)", "parameterType": "INT", "feasibleSpace": {"min": "\#(g.pick(numbers))", "max": "\#(g.pick(numbers))", "step": "\#(g.pick(numbers))"}}"#)
            default:
                let list = (0..<(Int(g.next() % 4))).map { _ in #""\#(g.pick(numbers))""# }.joined(separator: ", ")
                parameters.append(#"{"name": "p\#(index)", "parameterType": "CATEGORICAL", "feasibleSpace": {"list": [\#(list)]}}"#)
            }
        }
        let trials = (0..<Int(g.next() % 14)).map { index -> String in
            let assignments = (0..<parameters.count).map { #"{"name": "p\#($0)", "value": "\#(g.pick(numbers))"}"# }.joined(separator: ", ")
            let condition = g.pick(["SUCCEEDED", "RUNNING", "FAILED", "EARLYSTOPPED", "7", "X"])
            return #"{"name": "t\#(index)", "spec": {"parameterAssignments": {"assignments": [\#(assignments)]}}, "status": {"condition": "\#(condition)", "observation": {"metrics": [{"name": "loss", "value": "\#(g.pick(numbers))"}]}}}"#
        }.joined(separator: ", ")
        let settings = g.pick([
            "", #"{"name": "random_state", "value": "\#(g.pick(numbers))"}"#, #"{"name": "n_startup_trials", "value": "\#(g.pick(numbers))"}"#,
            #"{"name": "n_initial_points", "value": "\#(g.pick(numbers))"}"#, #"{"name": "n_ei_candidates", "value": "\#(g.pick(numbers))"}"#,
            #"{"name": "sigma", "value": "\#(g.pick(numbers))"}, {"name": "restart_strategy", "value": "bipop"}"#,
            #"{"name": "r_l", "value": "\#(g.pick(numbers))"}, {"name": "resource_name", "value": "p0"}, {"name": "eta", "value": "\#(g.pick(numbers))"}"#,
        ])
        let current = g.pick(["1", "3", "0", "-1", "10001", "2.5", "\"7\"", "1e9"])
        let total = g.pick(["3", "0", "-9223372036854775808", "9223372036854775807", "2147483647", "\"x\""])
        return """
            {"experiment": {"name": "fuzz", "spec": {"parameterSpecs": {"parameters": [\(parameters.joined(separator: ", "))]},
             "objective": {"type": "\(g.pick(["MINIMIZE", "MAXIMIZE", "0", "5"]))", "objectiveMetricName": "loss"},
             "algorithm": {"algorithmName": "\(g.pick(algorithms))", "algorithmSettings": [\(settings)]}}},
             "trials": [\(trials)], "currentRequestNumber": \(current), "totalRequestNumber": \(total)}
            """
    }

    @Test func seededMutationsNeverGetA5xxOrCrashTheServer() async throws {
        try await LiveServer.run(requestTimeout: .seconds(5)) { server in
            var generator = Generator(state: 20261201)
            var statuses: [Int: Int] = [:]
            for _ in 0..<400 {
                let body = Self.request(&generator)
                let reply = try await server.post(Requests.suggestPath, Data(body.utf8))
                statuses[reply.status, default: 0] += 1
                #expect((200..<500).contains(reply.status), "\(reply.status) \(reply.text) for \(body)")
            }
            #expect(statuses[200, default: 0] > 0 && statuses[400, default: 0] > 0, "the mutations reach both outcomes: \(statuses)")
            #expect(try await server.get("healthz").status == 200)
        }
    }
}
