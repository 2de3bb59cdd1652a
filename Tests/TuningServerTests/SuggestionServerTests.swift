import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ModelRegistry
import SuggestionAlgorithms
import TestSupport
import Testing
@testable import TuningServer

@Suite struct SuggestionServerTests {
    @Test(arguments: ["random", "grid", "tpe", "multivariate-tpe", "bayesianoptimization", "cmaes", "sobol"])
    func everyAlgorithmAnswers(algorithm: String) async throws {
        try await LiveServer.run { server in
            let reply = try await server.post(Requests.suggestPath, Requests.getSuggestions(algorithm, count: 3))
            #expect(reply.status == 200, "\(reply.text)")
            let sets = try #require(reply.json["parameterAssignments"] as? [[String: Any]])
            #expect(sets.count == 3)
            for set in sets {
                let assignments = try #require(set["assignments"] as? [[String: String]])
                #expect(assignments.map { $0["name"] } == ["lr", "layers", "optimizer"])
                let lr = try #require(Double(assignments[0]["value"] ?? "")), layers = try #require(Int(assignments[1]["value"] ?? ""))
                #expect((0.001...0.1).contains(lr))
                #expect((1...8).contains(layers))
                #expect(["sgd", "adam"].contains(assignments[2]["value"] ?? ""))
            }
            // Same request with random_state: same answer, as `tunekit suggest` gives.
            let again = try await server.post(Requests.suggestPath, Requests.getSuggestions(algorithm, count: 3))
            #expect(again.body == reply.body)
        }
    }

    /// Hyperband reads its bracket from the history and returns Katib's state settings in `algorithm`; the resource
    /// (layers) grows past its feasible space, as Katib's service does.
    @Test func hyperbandReturnsItsStateSettings() async throws {
        try await LiveServer.run { server in
            let experiment = Requests.experiment(
                "hyperband", settings: [("r_l", "9"), ("eta", "3"), ("resource_name", "layers"), ("random_state", "3")])
                .replacingOccurrences(of: #""spec": {"#, with: #""spec": {"parallelTrialCount": 9, "#)
            let body = Data("""
                {"experiment": \(experiment), "trials": [\(Requests.history(12))], "currentRequestNumber": 2, "totalRequestNumber": 14}
                """.utf8)
            let reply = try await server.post(Requests.suggestPath, body)
            #expect(reply.status == 200, "\(reply.text)")
            let sets = try #require(reply.json["parameterAssignments"] as? [[String: Any]])
            let layers = sets.compactMap { (($0["assignments"] as? [[String: String]])?[1])?["value"] }
            // The first bracket's last rung (the best of trials 9-11 at 9 layers), then the next bracket's first
            // rung at 3.
            #expect(layers == ["9", "3"])
            let settings = try #require((reply.json["algorithm"] as? [String: Any])?["algorithmSettings"] as? [[String: String]])
            let values = Dictionary(uniqueKeysWithValues: settings.map { ($0["name"] ?? "", $0["value"] ?? "") })
            #expect(values["resource_name"] == "layers" && values["current_s"] == "1" && values["s_max"] == "2")
        }
    }

    @Test func snakeCaseNamesAndNumericEnumsAreAccepted() async throws {
        let body = """
            {"experiment": {"spec": {"parameter_specs": {"parameters": [
               {"name": "x", "parameter_type": 1, "feasible_space": {"min": "0", "max": "1"}}]},
             "objective": {"type": 1, "objective_metric_name": "loss"},
             "algorithm": {"algorithm_name": "random"}}},
             "current_request_number": 1, "total_request_number": 1}
            """
        try await LiveServer.run { server in
            let reply = try await server.post(Requests.suggestPath, Data(body.utf8))
            #expect(reply.status == 200, "\(reply.text)")
            #expect((reply.json["parameterAssignments"] as? [Any])?.count == 1)
        }
    }

    @Test func validateAlgorithmSettingsSaysWhatIsWrong() async throws {
        try await LiveServer.run { server in
            let valid = try await server.post(Requests.validatePath, Data(#"{"experiment": \#(Requests.experiment("tpe"))}"#.utf8))
            #expect(valid.status == 200)
            #expect(valid.text == "{}\n")
            let invalid = try await server.post(
                Requests.validatePath,
                Data(#"{"experiment": \#(Requests.experiment("tpe", settings: [("gamma", "1.5")]))}"#.utf8))
            #expect(invalid.status == 400)
            #expect(invalid.json["code"] as? String == "invalid_argument")
            #expect(invalid.json["message"] as? String == "gamma should be in the range of (0, 1)")
        }
    }

    @Test func errorClassesGetTheirStatus() async throws {
        try await LiveServer.run(maxBodyBytes: 8192) { server in
            let unknown = try await server.post(
                Requests.suggestPath,
                Data(String(decoding: Requests.getSuggestions("pbt"), as: UTF8.self).utf8))
            #expect(unknown.status == 400)
            let message = try #require(unknown.json["message"] as? String)
            #expect(message.contains("pbt is a Katib algorithm"))
            #expect(message.contains("bayesianoptimization"))

            let malformed = try await server.post(Requests.suggestPath, Data(#"{"experiment": {"spec": [1, 2]}}"#.utf8))
            #expect(malformed.status == 400)
            #expect((malformed.json["message"] as? String)?.hasPrefix("malformed request JSON: at experiment.spec") == true)

            let truncated = try await server.post(Requests.suggestPath, Data(#"{"experiment": "#.utf8))
            #expect(truncated.status == 400 && truncated.json["code"] as? String == "invalid_argument")

            let impossible = try await server.post(Requests.suggestPath, Data(String(
                decoding: Requests.getSuggestions("random"), as: UTF8.self
            ).replacingOccurrences(of: #""min": "1", "max": "8""#, with: #""min": "9", "max": "8""#).utf8))
            #expect(impossible.status == 400 && impossible.json["code"] as? String == "invalid_argument")

            let huge = try await server.post(Requests.suggestPath, Requests.getSuggestions("random", trials: 100))
            #expect(huge.status == 429)
            #expect(huge.json["code"] as? String == "resource_exhausted")
        }
    }

    @Test func otherMethodsOnKnownPathsAre405() async throws {
        try await LiveServer.run { server in
            var request = URLRequest(url: server.base.appendingPathComponent(Requests.suggestPath))
            request.httpMethod = "PUT"
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = try #require(response as? HTTPURLResponse)
            #expect(http.statusCode == 405)
            #expect(http.value(forHTTPHeaderField: "Allow") == "POST")
            #expect(String(decoding: data, as: UTF8.self).contains(#""code":"unimplemented""#))
            #expect(try await server.get("no-such-path").status == 404)
        }
    }

    @Test func internalErrorsDoNotLeakDetails() async throws {
        struct Secret: Error { let path = "/var/lib/secret/model.bin" }
        let failing = SuggestionEndpoints.Handlers(getSuggestions: { _, _, _ in throw Secret() }, validate: { _ in })
        try await LiveServer.run(handlers: failing) { server in
            let reply = try await server.post(Requests.suggestPath, Requests.getSuggestions("random"), headers: ["X-Request-Id": "req-42"])
            #expect(reply.status == 500)
            #expect(reply.json["code"] as? String == "internal")
            #expect(reply.json["message"] as? String == "internal error; request id req-42")
            #expect(!reply.text.contains("secret"))
        }
    }

    @Test func healthReadinessMetricsAndRequestIDs() async throws {
        try await LiveServer.run { server in
            #expect(try await server.get("healthz").status == 200)
            #expect(try await server.get("readyz").status == 200)
            let answered = try await server.post(Requests.suggestPath, Requests.getSuggestions("tpe"), headers: ["X-Request-Id": "abc-1"])
            #expect(answered.headers["X-Request-Id"] as? String == "abc-1")
            _ = try await server.post(Requests.suggestPath, Data("{".utf8))
            let metrics = try await server.get("metrics").text
            #expect(metrics.contains(#"tunekit_requests_total{endpoint="GetSuggestions",algorithm="tpe",status="200"} 1"#))
            #expect(metrics.contains(#"tunekit_requests_total{endpoint="GetSuggestions",algorithm="none",status="400"} 1"#))
            #expect(metrics.contains(#"tunekit_request_duration_seconds_count{endpoint="GetSuggestions",algorithm="tpe"} 1"#))
            #expect(metrics.contains(#"tunekit_request_errors_total{endpoint="GetSuggestions",code="invalid_argument"} 1"#))
        }
    }

    @Test func servesTheOpenAPIDocumentKeptInTheRepository() async throws {
        let committed = try String(contentsOfFile: PackagePaths.file("Sources/TuningServer/openapi.json"), encoding: .utf8)
        try await LiveServer.run { server in
            let served = try await server.get("openapi.json")
            #expect(served.status == 200)
            #expect(served.text == committed)
            let paths = try #require(served.json["paths"] as? [String: Any])
            #expect(paths.keys.contains("/" + Requests.suggestPath))
            #expect(paths.keys.contains("/" + Requests.validatePath))
        }
    }

    /// The document's algorithm names are the algorithms the server implements.
    @Test func theOpenAPIDocumentNamesEveryAlgorithm() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: OpenAPIDocument.json) as? [String: Any])
        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any]
        let spec = (schemas?["AlgorithmSpec"] as? [String: Any])?["properties"] as? [String: Any]
        let names = try #require((spec?["algorithmName"] as? [String: Any])?["enum"] as? [String])
        #expect(names == SuggestionService.supportedNames)
    }

    /// The document describes exactly the routes the server registers with models served (Katib's methods, health,
    /// metrics, gRPC's health service, KServe V1 and V2), method for method: a route added or removed without the
    /// document fails here.
    @Test func theOpenAPIDocumentDescribesEveryRegisteredRoute() throws {
        var configuration = SuggestionServerConfiguration(port: 0)
        configuration.models = ModelServing(repository: ModelRepository(name: "m", versions: [:], defaultVersion: "v"))
        let routes = SuggestionServer.routeTable(configuration, handlers: .katib, serving: ServingState())
        let registered = Set(routes.map { "\($0.method) /\($0.path)" })
        let document = try #require(try JSONSerialization.jsonObject(with: OpenAPIDocument.json) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented: Set<String> = []
        for (path, operations) in paths {
            // OpenAPI's {name} is the router's :name; KServe V1's `{name}:predict` is one captured segment.
            let pattern = path.replacing(/\{(\w+)\}(:\w+)?/) { ":\($0.1)" }
            for method in operations.keys where ["get", "post", "put", "delete", "patch"].contains(method) {
                documented.insert("\(method.uppercased()) \(pattern)")
            }
        }
        #expect(registered.count >= 25)
        #expect(documented.subtracting(registered).isEmpty, "documented but not served: \(documented.subtracting(registered).sorted())")
        #expect(registered.subtracting(documented).isEmpty, "served but not documented: \(registered.subtracting(documented).sorted())")
    }
}

@Suite struct ServerMetricsTests {
    @Test func histogramBucketsAreCumulative() {
        let metrics = ServerMetrics()
        for seconds in [0.0004, 0.003, 0.003, 20.0] {
            metrics.record(endpoint: "GetSuggestions", algorithm: "random", status: 200, errorCode: nil, seconds: seconds)
        }
        let text = metrics.prometheusText()
        let labels = #"endpoint="GetSuggestions",algorithm="random""#
        #expect(text.contains("tunekit_request_duration_seconds_bucket{\(labels),le=\"0.0005\"} 1"))
        #expect(text.contains("tunekit_request_duration_seconds_bucket{\(labels),le=\"0.005\"} 3"))
        #expect(text.contains("tunekit_request_duration_seconds_bucket{\(labels),le=\"10.0\"} 3"))
        // The buckets reach past the default 30 s request timeout.
        #expect(text.contains("tunekit_request_duration_seconds_bucket{\(labels),le=\"30.0\"} 4"))
        #expect(text.contains("tunekit_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} 4"))
        #expect(text.contains("tunekit_request_duration_seconds_count{\(labels)} 4"))
    }

    /// A configured timeout beyond the default buckets becomes a bucket of its own.
    @Test func aLongTimeoutGetsItsOwnBucket() {
        let metrics = ServerMetrics(longestTimeout: 600)
        metrics.record(endpoint: "GetSuggestions", algorithm: "random", status: 200, errorCode: nil, seconds: 300)
        let text = metrics.prometheusText()
        #expect(text.contains(#"tunekit_request_duration_seconds_bucket{endpoint="GetSuggestions",algorithm="random",le="120.0"} 0"#))
        #expect(text.contains(#"tunekit_request_duration_seconds_bucket{endpoint="GetSuggestions",algorithm="random",le="600.0"} 1"#))
    }

    /// Build information and the process metrics Prometheus' client libraries export, with plausible values.
    @Test func buildAndProcessMetrics() throws {
        let text = ServerMetrics().prometheusText()
        #expect(text.contains("tunekit_build_info{version=\"\(Tunekit.version)\"} 1"))
        func value(_ name: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        #expect(try #require(value("process_resident_memory_bytes")) > 1_000_000)
        #expect(try #require(value("process_open_fds")) >= 3)
        #expect(try #require(value("process_max_fds")) >= 3)
        #expect(try #require(value("process_cpu_seconds_total")) > 0)
        #expect(abs(try #require(value("process_start_time_seconds")) - Date().timeIntervalSince1970) < 600)
        #expect(text.contains("# TYPE process_cpu_seconds_total counter"))
    }

    /// A client's value in a log line cannot start a line of its own.
    @Test func unknownInputExamplesAreLoggedOnOneLine() {
        #expect(UnknownInputWarnings.printable("ZZ") == "ZZ")
        #expect(UnknownInputWarnings.printable("x\nforged\r\u{1b}[31m") == #"x\u{a}forged\u{d}\u{1b}[31m"#)
    }

    /// Label values are escaped as the exposition format requires.
    @Test func labelValuesAreEscaped() {
        #expect(PrometheusText.escaped(#"a"b\c"# + "\nd") == #"a\"b\\c\nd"#)
        // A CRLF is one Character in Swift but two scalars: its line feed is escaped all the same.
        #expect(PrometheusText.escaped("v1\r\nx") == "v1\r\\nx")
    }
}
