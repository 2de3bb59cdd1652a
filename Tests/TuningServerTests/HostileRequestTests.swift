import ExperimentModel
import Foundation
import KatibWire
import SuggestionAlgorithms
import Synchronization
import TestSupport
import Testing
@testable import TuningServer

/// Small hostile requests that once crashed, hung or exhausted the server: each gets a 2xx/4xx/5xx answer quickly and
/// the server stays up (the last request of every test is a health check).
@Suite struct HostileRequestTests {
    static func request(
        parameters: String, algorithm: String = "random", settings: String = "", trials: String = "", count: Int = 2
    ) -> Data {
        Data("""
            {"experiment": {"name": "hostile", "spec": {
               "parameterSpecs": {"parameters": [\(parameters)]},
               "objective": {"type": "MINIMIZE", "objectiveMetricName": "loss"},
               "algorithm": {"algorithmName": "\(algorithm)", "algorithmSettings": [\(settings)]}}},
             "trials": [\(trials)], "currentRequestNumber": \(count), "totalRequestNumber": \(count)}
            """.utf8)
    }

    static func trial(_ index: Int, _ assignments: [(String, String)], loss: Double) -> String {
        let values = assignments.map { #"{"name": "\#($0.0)", "value": "\#($0.1)"}"# }.joined(separator: ", ")
        return """
            {"name": "t\(index)", "spec": {"parameterAssignments": {"assignments": [\(values)]}},
             "status": {"condition": "SUCCEEDED", "observation": {"metrics": [{"name": "loss", "value": "\(loss)"}]}}}
            """
    }

    static func expectAlive(_ server: LiveServer) async throws {
        #expect(try await server.get("healthz").status == 200)
    }

    @Test func overflowingDoubleStepIsRefused() async throws {
        try await LiveServer.run { server in
            for algorithm in ["random", "grid", "tpe", "multivariate-tpe", "bayesianoptimization", "sobol"] {
                let body = Self.request(
                    parameters: #"{"name": "x", "parameterType": "DOUBLE", "feasibleSpace": {"min": "0", "max": "1e300", "step": "1e-300"}}"#,
                    algorithm: algorithm)
                let reply = try await server.post(Requests.suggestPath, body)
                #expect(reply.status == 400, "\(algorithm): \(reply.text)")
                #expect(reply.text.contains("step"))
                #expect(try await server.post(Requests.validatePath, body).status == 400)
            }
            try await Self.expectAlive(server)
        }
    }

    @Test func rangesNearTheLargestDoubleDoNotTrap() async throws {
        try await LiveServer.run { server in
            for distribution in ["LOG_UNIFORM", "NORMAL", "LOG_NORMAL", "UNIFORM"] {
                for algorithm in ["random", "tpe", "multivariate-tpe", "bayesianoptimization", "sobol"] {
                    let body = Self.request(
                        parameters: #"{"name": "x", "parameterType": "DOUBLE", "feasibleSpace": {"min": "1", "max": "1.7976931348623157e308", "step": "1e308", "distribution": "\#(distribution)"}}"#,
                        algorithm: algorithm, count: 2)
                    let reply = try await server.post(Requests.suggestPath, body)
                    #expect(reply.status == 200, "\(algorithm) \(distribution): \(reply.text)")
                }
            }
            try await Self.expectAlive(server)
        }
    }

    @Test func stepsFinerThanFifteenDecimalsStayInRange() async throws {
        try await LiveServer.run { server in
            let body = Self.request(
                parameters: #"{"name": "x", "parameterType": "DOUBLE", "feasibleSpace": {"min": "1e-17", "max": "5e-17", "step": "1e-17"}}"#,
                algorithm: "grid", count: 5)
            let reply = try await server.post(Requests.suggestPath, body)
            #expect(reply.status == 200)
            let values = reply.text.components(separatedBy: #""value":""#).dropFirst().compactMap { Double($0.prefix { $0 != "\"" }) }
            #expect(values.count == 5, "\(reply.text)")
            #expect(values.allSatisfy { $0 >= 1e-17 && $0 <= 5e-17 + 1e-30 }, "\(reply.text)")
        }
    }

    @Test func hugeIntStepLeavesOnlyTheMinimum() async throws {
        try await LiveServer.run { server in
            let body = Self.request(
                parameters: #"{"name": "n", "parameterType": "INT", "feasibleSpace": {"min": "3", "max": "9", "step": "1e30"}}"#,
                algorithm: "grid")
            let reply = try await server.post(Requests.suggestPath, body)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.text.contains(#""value":"3""#))
            try await Self.expectAlive(server)
        }
    }

    @Test func historyOutsideTheSpaceIsIgnored() async throws {
        // ≥ 11 observations so multivariate TPE leaves its start-up phase and models the history.
        let trials = (0..<14).map { Self.trial($0, [("n", $0 == 5 ? "500" : "\($0 % 10)"), ("c", "a")], loss: Double($0)) }
        try await LiveServer.run { server in
            for algorithm in ["random", "grid", "tpe", "multivariate-tpe", "bayesianoptimization", "sobol"] {
                let body = Self.request(
                    parameters: #"{"name": "n", "parameterType": "INT", "feasibleSpace": {"min": "0", "max": "9"}}, {"name": "c", "parameterType": "CATEGORICAL", "feasibleSpace": {"list": ["a", "b", "c", "d"]}}"#,
                    algorithm: algorithm, trials: trials.joined(separator: ","))
                let reply = try await server.post(Requests.suggestPath, body)
                #expect(reply.status == 200, "\(algorithm): \(reply.text)")
            }
            try await Self.expectAlive(server)
        }
    }

    @Test func billionValueGridsAreNotMaterialised() async throws {
        let parameters = #"{"name": "a", "parameterType": "INT", "feasibleSpace": {"min": "0", "max": "2000000000"}}, {"name": "b", "parameterType": "INT", "feasibleSpace": {"min": "0", "max": "2000000000"}}"#
        let trials = (0..<12).map { Self.trial($0, [("a", "\($0 * 1000)"), ("b", "\($0 * 7)")], loss: Double($0 % 5)) }
        try await LiveServer.run { server in
            for algorithm in ["random", "grid", "tpe", "multivariate-tpe", "bayesianoptimization", "cmaes", "sobol"] {
                let body = Self.request(parameters: parameters, algorithm: algorithm, trials: trials.joined(separator: ","), count: 3)
                let reply = try await server.post(Requests.suggestPath, body)
                #expect(reply.status == 200, "\(algorithm): \(reply.text)")
            }
            try await Self.expectAlive(server)
        }
    }

    @Test func requestCountIsCapped() async throws {
        try await LiveServer.run { server in
            let body = Self.request(
                parameters: #"{"name": "x", "parameterType": "DOUBLE", "feasibleSpace": {"min": "0", "max": "1"}}"#,
                count: 1_000_000_000)
            let reply = try await server.post(Requests.suggestPath, body)
            #expect(reply.status == 400)
            #expect(reply.text.contains("10000"))
            try await Self.expectAlive(server)
        }
    }

    @Test func extremeTotalRequestNumbersAreRefused() async throws {
        try await LiveServer.run { server in
            for total in ["-9223372036854775808", "9223372036854775807", "-1"] {
                var body = String(decoding: Self.request(
                    parameters: #"{"name": "x", "parameterType": "DOUBLE", "feasibleSpace": {"min": "0", "max": "1"}}"#), as: UTF8.self)
                body = body.replacingOccurrences(of: #""totalRequestNumber": 2"#, with: #""totalRequestNumber": \#(total)"#)
                let reply = try await server.post(Requests.suggestPath, Data(body.utf8))
                #expect(reply.status == 400, "\(total): \(reply.text)")
                #expect(reply.text.contains("totalRequestNumber"), "\(total): \(reply.text)")
            }
            try await Self.expectAlive(server)
        }
    }

    @Test func candidateCountsAreCapped() async throws {
        try await LiveServer.run { server in
            for (algorithm, name) in [("tpe", "n_EI_candidates"), ("multivariate-tpe", "n_ei_candidates")] {
                let body = Self.request(
                    parameters: #"{"name": "x", "parameterType": "DOUBLE", "feasibleSpace": {"min": "0", "max": "1"}}"#,
                    algorithm: algorithm, settings: #"{"name": "\#(name)", "value": "1000000000"}"#)
                let reply = try await server.post(Requests.suggestPath, body)
                #expect(reply.status == 400, "\(algorithm): \(reply.text)")
                #expect(reply.text.contains("limit"))
            }
            try await Self.expectAlive(server)
        }
    }

    /// A model-based request past the deadline is stopped with 504 and the server stays up.
    @Test func slowModelBasedRequestsHitTheDeadline() async throws {
        let parameters = (0..<4).map { #"{"name": "x\#($0)", "parameterType": "DOUBLE", "feasibleSpace": {"min": "0", "max": "1"}}"# }
        let trials = (0..<300).map { i in
            Self.trial(i, (0..<4).map { ("x\($0)", "\(Double((i * 37 + $0 * 11) % 101) / 100)") }, loss: Double((i * 13) % 17))
        }
        let body = Self.request(
            parameters: parameters.joined(separator: ","), algorithm: "bayesianoptimization",
            settings: #"{"name": "random_state", "value": "1"}"#, trials: trials.joined(separator: ","), count: 500)
        try await LiveServer.run(requestTimeout: .milliseconds(300)) { server in
            let reply = try await server.post(Requests.suggestPath, body)
            #expect(reply.status == 504, "\(reply.text)")
            #expect(reply.json["code"] as? String == "deadline_exceeded")
            try await Self.expectAlive(server)
        }
    }

    /// Health checks are answered while a gated suggestion is still computing — shown without timing: the handler
    /// holds its slot until the test has its health answers, then ends only once the deadline has cancelled it.
    @Test func healthChecksAnswerWhileAGatedSuggestionComputes() async throws {
        let state = Mutex((inFlight: false, released: false))
        let handlers = SuggestionEndpoints.Handlers(
            getSuggestions: { _, cancellation, _ in
                state.withLock { $0.inFlight = true }
                while !(state.withLock { $0.released } && cancellation.isCancelled) { usleep(1_000) }
                state.withLock { $0.inFlight = false }
                throw KatibStatus.deadlineExceeded("stopped")
            },
            validate: { _ in })
        try await LiveServer.run(requestTimeout: .milliseconds(50), handlers: handlers) { server in
            async let slow = server.post(Requests.suggestPath, Requests.getSuggestions("tpe"))
            while !state.withLock({ $0.inFlight }) { try await Task.sleep(for: .milliseconds(5)) }
            for _ in 0..<5 {
                try await Self.expectAlive(server)
                #expect(state.withLock { $0.inFlight }, "the suggestion is still computing")
            }
            state.withLock { $0.released = true }
            let reply = try await slow
            #expect(reply.status == 504 && reply.json["code"] as? String == "deadline_exceeded", "\(reply.text)")
        }
    }
}

/// Katib's EarlyStopping API beside the Suggestion API.
@Suite struct EarlyStoppingEndpointTests {
    @Test func rulesValidationAndTrialStatusOverHTTP() async throws {
        try await LiveServer.run { server in
            let rules = try await server.post("api.v1.beta1.EarlyStopping/GetEarlyStoppingRules", Data("""
                {"experiment": {"name": "e", "spec": {
                   "objective": {"type": "MAXIMIZE", "objectiveMetricName": "accuracy"},
                   "earlyStopping": {"algorithmName": "medianstop", "algorithmSettings": [{"name": "min_trials_required", "value": "1"}, {"name": "start_step", "value": "2"}]}}},
                 "trials": [{"name": "t1", "status": {"condition": "SUCCEEDED"},
                             "observationLog": {"metricLogs": [{"metric": {"name": "accuracy", "value": "0.5"}}, {"metric": {"name": "accuracy", "value": "0.7"}}]}}],
                 "dbManagerAddress": "katib-db-manager.kubeflow:6789"}
                """.utf8))
            #expect(rules.status == 200, "\(rules.text)")
            #expect(rules.text.contains(#""comparison":"LESS""#))
            #expect(rules.text.contains(#""startStep":2"#))
            #expect(rules.text.contains(#""value":"0.6""#))
            let invalid = try await server.post("api.v1.beta1.EarlyStopping/ValidateEarlyStoppingSettings", Data("""
                {"earlyStopping": {"algorithmName": "medianstop", "algorithmSettings": [{"name": "start_step", "value": "0"}]}}
                """.utf8))
            #expect(invalid.status == 400)
            #expect(invalid.text.contains("start_step must be greater or equal than one (>=1)"))
            let status = try await server.post("api.v1.beta1.EarlyStopping/SetTrialStatus", Data(#"{"trialName": "t1"}"#.utf8))
            #expect(status.status == 501, "\(status.text)")
            #expect(status.text.contains("needs the Kubernetes API"), "\(status.text)")
        }
    }
}

/// A client that announces a body and leaves before sending it is not a server error.
@Suite struct ClientDisconnectTests {
    @Test func aBodyCutOffMidwayIsCountedAsCancelledNotAs500() async throws {
        try await LiveServer.run { server in
            let port = try #require(server.base.port)
            var connection: RawConnection? = try RawConnection(port: port)
            connection?.send("POST /\(Requests.suggestPath) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"experiment\": ")
            try await Task.sleep(for: .milliseconds(200))
            connection = nil
            _ = connection
            var metrics = ""
            for _ in 0..<50 {
                try await Task.sleep(for: .milliseconds(100))
                metrics = try await server.get("metrics").text
                if metrics.contains("status=\"499\"") { break }
            }
            #expect(metrics.contains("endpoint=\"GetSuggestions\",algorithm=\"none\",status=\"499\"} 1"), "\(metrics)")
            #expect(!metrics.contains("status=\"500\""))
            #expect(try await server.get("healthz").status == 200)
        }
    }
}
