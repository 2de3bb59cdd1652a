import Foundation
import HTTPTypes
import KatibWire
import NIOCore
import SuggestionAlgorithms
import SwiftProtobuf
import TestSupport
import Testing
@testable import TuningServer

/// gRPC's framing, headers and status codes, and the first-bytes test that puts HTTP/1.1 and h2c on one port.
@Suite struct GRPCProtocolTests {
    @Test func grpcTimeoutsParseInEveryUnit() throws {
        let cases: [(String, Duration)] = [
            ("2H", .seconds(7200)), ("3M", .seconds(180)), ("5S", .seconds(5)), ("250m", .milliseconds(250)),
            ("99999999u", .microseconds(99_999_999)), ("1n", .nanoseconds(1)),
        ]
        for (text, expected) in cases {
            #expect(try GRPCProtocol.timeout([GRPCProtocol.timeoutField: text]) == expected, "\(text)")
        }
        #expect(try GRPCProtocol.timeout([:]) == nil)
        for bad in ["", "S", "123456789S", "10s", "-1S", "1.5S", "10"] {
            #expect(throws: ConnectProtocol.Failure.self, "\(bad)") { try GRPCProtocol.timeout([GRPCProtocol.timeoutField: bad]) }
        }
    }

    @Test func messagesArePercentEncodedAsGRPCRequires() {
        #expect(GRPCProtocol.percentEncoded("gamma should be in the range of (0, 1)") == "gamma should be in the range of (0, 1)")
        #expect(GRPCProtocol.percentEncoded("100% über\nline") == "100%25 %C3%BCber%0Aline")
    }

    @Test func statusCodesAreGRPCsNumbers() {
        #expect(ConnectProtocol.Code.invalidArgument.grpcStatus == 3)
        #expect(ConnectProtocol.Code.deadlineExceeded.grpcStatus == 4)
        #expect(ConnectProtocol.Code.resourceExhausted.grpcStatus == 8)
        #expect(ConnectProtocol.Code.unimplemented.grpcStatus == 12)
        #expect(ConnectProtocol.Code.unavailable.grpcStatus == 14)
        #expect(GRPCProtocol.trailers(nil)[GRPCProtocol.statusField] == "0")
    }

    @Test func contentTypesSelectGRPC() {
        #expect(GRPCProtocol.isGRPC([.contentType: "application/grpc"]))
        #expect(GRPCProtocol.isGRPC([.contentType: "application/grpc+proto"]) && GRPCProtocol.isProtobuf([.contentType: "application/grpc+proto"]))
        #expect(GRPCProtocol.isGRPC([.contentType: "application/grpc+json"]) && !GRPCProtocol.isProtobuf([.contentType: "application/grpc+json"]))
        #expect(!GRPCProtocol.isGRPC([.contentType: "application/grpc-web"]))
        #expect(!GRPCProtocol.isGRPC([.contentType: "application/proto"]))
    }

    @Test func thePrefaceDecidesTheProtocol() {
        let preface = PrefaceSniffer.preface
        #expect(PrefaceSniffer.decide(ByteBuffer(bytes: preface)) == true)
        #expect(PrefaceSniffer.decide(ByteBuffer(bytes: preface + Array("\0\0\u{12}\u{4}".utf8))) == true)
        for cut in [1, 3, 10, 23] { #expect(PrefaceSniffer.decide(ByteBuffer(bytes: preface.prefix(cut))) == nil, "\(cut)") }
        #expect(PrefaceSniffer.decide(ByteBuffer(string: "POST /api.v1.beta1.Suggestion/GetSuggestions HTTP/1.1\r\n")) == false)
        #expect(PrefaceSniffer.decide(ByteBuffer(string: "PRI * HTTP/1.1\r\n")) == false)
        #expect(PrefaceSniffer.decide(ByteBuffer(string: "G")) == false)
    }
}

/// gRPC clients ping while data flows (bandwidth probes) and for keepalive: those pings never close the connection,
/// a flood does (GOAWAY ENHANCE_YOUR_CALM, code 0xb).
@Suite struct PingPolicyTests {
    static func pings(_ count: Int, server: LiveServer) async throws -> [String: Any] {
        let run = try await TestProcess.run("python3", [
            PackagePaths.file("Tests/GRPCClients/ping_frames.py"), server.base.host!, String(server.base.port!), String(count),
        ])
        #expect(run.status == 0, "\(run.errors)")
        return try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any] ?? [:]
    }

    @Test func probesAreAnsweredAndFloodsClosed() async throws {
        try await LiveServer.run { server in
            let probes = try await Self.pings(20, server: server)
            #expect(probes["ping_acks"] as? Int == 20 && (probes["goaway_codes"] as? [Int]) == [], "\(probes)")
            let flood = try await Self.pings(400, server: server)
            #expect((flood["goaway_codes"] as? [Int]) == [0xB], "\(flood)")
            #expect(try await server.get("healthz").status == 200)
        }
    }
}

/// Katib's controller's client: grpcio with the stubs Katib generated from its api.proto, and gRPC's health client.
/// Every case gets the same status, message and reply over gRPC (HTTP/2) as over Connect (HTTP/1.1, curl and
/// URLSession) from one server on one port.
@Suite struct RealGRPCClientTests {
    static let python = RealTools.python(passing: """
        import grpc, grpc_health.v1.health_pb2, google.protobuf, os, sys, sysconfig
        assert os.path.exists(os.path.join(os.path.dirname(sys.executable), 'buf'))
        assert os.path.exists(os.path.join(sysconfig.get_paths()['purelib'], 'kubeflow/katib/katib_api_pb2_grpc.py'))
        """)

    struct Case {
        let name: String
        let service: String
        let method: String
        /// The request in Katib's proto JSON.
        let request: String
        /// Whether the answer is the same on every call; the deadline case (which depends on the clock) is sent only
        /// with a short deadline.
        var deterministic = true

        var path: String { "api.v1.beta1.\(service)/\(method)" }

        var json: [String: Any] {
            get throws {
                ["name": name, "service": service, "method": method, "deterministic": deterministic,
                 "request": try JSONSerialization.jsonObject(with: Data(request.utf8))]
            }
        }
    }

    /// Every algorithm, accepted and refused settings, errors, and the early-stopping methods.
    static var cases: [Case] {
        var cases: [Case] = []
        for algorithm in SuggestionService.supportedNames where algorithm != "hyperband" {
            cases.append(Case(name: "suggest-\(algorithm)", service: "Suggestion", method: "GetSuggestions",
                              request: String(decoding: Requests.getSuggestions(algorithm, trials: 14, count: 3), as: UTF8.self)))
            cases.append(Case(name: "validate-\(algorithm)", service: "Suggestion", method: "ValidateAlgorithmSettings",
                              request: #"{"experiment": \#(Requests.experiment(algorithm))}"#))
        }
        let hyperband = Requests.experiment("hyperband", settings: [("r_l", "9"), ("resource_name", "layers"), ("eta", "3"), ("random_state", "5")])
            .replacingOccurrences(of: #""objective":"#, with: #""parallelTrialCount": 9, "objective":"#)
        cases.append(Case(name: "suggest-hyperband", service: "Suggestion", method: "GetSuggestions",
                          request: #"{"experiment": \#(hyperband), "currentRequestNumber": 9, "totalRequestNumber": 9}"#))
        let refused: [(String, String, [(String, String)])] = [
            ("tpe-gamma", "tpe", [("gamma", "7")]),
            ("tpe-unknown-setting", "tpe", [("no_such_setting", "1")]),
            ("random-negative-seed", "random", [("random_state", "-1")]),
            ("unknown-algorithm", "no-such-algorithm", []),
            ("pbt", "pbt", []),
        ]
        for (name, algorithm, settings) in refused {
            cases.append(Case(name: "validate-\(name)", service: "Suggestion", method: "ValidateAlgorithmSettings",
                              request: #"{"experiment": \#(Requests.experiment(algorithm, settings: settings))}"#))
            cases.append(Case(name: "suggest-\(name)", service: "Suggestion", method: "GetSuggestions",
                              request: #"{"experiment": \#(Requests.experiment(algorithm, settings: settings)), "currentRequestNumber": 1}"#))
        }
        cases.append(Case(name: "suggest-no-parameters", service: "Suggestion", method: "GetSuggestions",
                          request: #"{"experiment": {"name": "x"}, "currentRequestNumber": 1}"#))
        let stopping = Requests.experiment("tpe").replacingOccurrences(
            of: #""objective":"#,
            with: #""earlyStopping": {"algorithmName": "medianstop", "algorithmSettings": [{"name": "min_trials_required", "value": "2"}]}, "objective":"#)
        cases.append(Case(name: "rules-medianstop", service: "EarlyStopping", method: "GetEarlyStoppingRules",
                          request: #"{"experiment": \#(stopping), "trials": [\#(Requests.history(8))]}"#))
        cases.append(Case(name: "validate-medianstop", service: "EarlyStopping", method: "ValidateEarlyStoppingSettings",
                          request: #"{"earlyStopping": {"algorithmName": "medianstop", "algorithmSettings": [{"name": "start_step", "value": "2"}]}}"#))
        cases.append(Case(name: "validate-medianstop-refused", service: "EarlyStopping", method: "ValidateEarlyStoppingSettings",
                          request: #"{"earlyStopping": {"algorithmName": "medianstop", "algorithmSettings": [{"name": "min_trials_required", "value": "0"}]}}"#))
        cases.append(Case(name: "set-trial-status", service: "EarlyStopping", method: "SetTrialStatus",
                          request: #"{"trialName": "server-test-abc"}"#))
        // A Gaussian-process request that computes for seconds, stopped between points at the client's 0.3 s deadline.
        let heavy = String(decoding: Requests.getSuggestions("bayesianoptimization", trials: 120, count: 60), as: UTF8.self)
        cases.append(Case(name: "deadline", service: "Suggestion", method: "GetSuggestions", request: heavy, deterministic: false))
        return cases
    }

    /// The Connect answer to a case over HTTP/1.1 in binary protobuf: (gRPC code name, message, reply bytes).
    static func connect(_ testCase: Case, server: LiveServer) async throws -> (String, String, Data?) {
        let body = try Self.protobuf(testCase)
        let reply = try await server.post(testCase.path, body, headers: ["Content-Type": "application/proto"])
        guard reply.status == 200 else {
            let code = reply.json["code"] as? String ?? "?"
            return (code.uppercased() == "CANCELED" ? "CANCELLED" : code.uppercased(), reply.json["message"] as? String ?? "", nil)
        }
        return ("OK", "", reply.body)
    }

    static func protobuf(_ testCase: Case) throws -> Data {
        switch testCase.method {
        case "GetSuggestions": try Api_V1_Beta1_GetSuggestionsRequest(jsonString: testCase.request).serializedBytes()
        case "ValidateAlgorithmSettings": try Api_V1_Beta1_ValidateAlgorithmSettingsRequest(jsonString: testCase.request).serializedBytes()
        case "GetEarlyStoppingRules": try Api_V1_Beta1_GetEarlyStoppingRulesRequest(jsonString: testCase.request).serializedBytes()
        case "ValidateEarlyStoppingSettings":
            try Api_V1_Beta1_ValidateEarlyStoppingSettingsRequest(jsonString: testCase.request).serializedBytes()
        default: try Api_V1_Beta1_SetTrialStatusRequest(jsonString: testCase.request).serializedBytes()
        }
    }

    /// Whether two serialised replies of `method` are the same message.
    static func sameReply(_ method: String, _ a: Data, _ b: Data) throws -> Bool {
        switch method {
        case "GetSuggestions":
            try Api_V1_Beta1_GetSuggestionsReply(serializedBytes: a) == Api_V1_Beta1_GetSuggestionsReply(serializedBytes: b)
        case "GetEarlyStoppingRules":
            try Api_V1_Beta1_GetEarlyStoppingRulesReply(serializedBytes: a) == Api_V1_Beta1_GetEarlyStoppingRulesReply(serializedBytes: b)
        default: a == b
        }
    }

    @Test(.enabled(if: RealTools.enabled(python)))
    func katibsGRPCStubsGetTheConnectAnswersOnTheSamePort() async throws {
        let python = try #require(Self.python, "grpcio, grpcio-health-checking, buf-bin and kubeflow-katib are not installed")
        let work = TemporaryDirectory("tunekit-grpc")
        defer { work.remove() }
        let cases = Self.cases
        let casesFile = work.file("cases.json")
        try JSONSerialization.data(withJSONObject: cases.map { try $0.json }).write(to: URL(fileURLWithPath: casesFile))
        let limit = 256 << 10
        try await LiveServer.run(maxBodyBytes: limit) { server in
            let target = "\(server.base.host!):\(server.base.port!)"
            let run = try await TestProcess.run(python, [
                PackagePaths.file("Tests/GRPCClients/katib_grpc_client.py"), target, casesFile,
                PackagePaths.file("Sources/KatibWire/Protos"), String(limit),
            ])
            #expect(run.status == 0, "\(run.output) \(run.errors)")
            let seen = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
            #expect((seen["problems"] as? [String]) == [], "\(seen["checks"] ?? "")")
            let answers = try #require(seen["cases"] as? [[String: Any]])
            #expect(answers.count == cases.count)
            var codes: Set<String> = []
            for (testCase, answer) in zip(cases, answers) where testCase.deterministic {
                let (code, message, reply) = try await Self.connect(testCase, server: server)
                codes.insert(code)
                #expect(answer["code"] as? String == code, "\(testCase.name): gRPC \(answer), Connect \(code) \(message)")
                #expect(answer["message"] as? String == message, "\(testCase.name)")
                if let reply, let grpcReply = (answer["reply"] as? String).flatMap({ Data(base64Encoded: $0) }) {
                    #expect(try Self.sameReply(testCase.method, reply, grpcReply), "\(testCase.name)")
                } else {
                    #expect(reply == nil && answer["reply"] is NSNull, "\(testCase.name)")
                }
            }
            // The suite covers successes and the refusals Katib's controller must tell apart.
            #expect(codes.isSuperset(of: ["OK", "INVALID_ARGUMENT", "UNIMPLEMENTED"]), "\(codes)")
            // The server, not just the client, stopped the heavy call at the client's deadline. It checks the deadline
            // between points, so on a loaded machine it may record the stop after the client has given up and exited:
            // poll its metrics for a while rather than read them once.
            var metrics = ""
            for _ in 0..<120 {
                metrics = try await server.get("metrics").text
                if metrics.contains(#"code="deadline_exceeded""#) { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(metrics.contains(#"code="deadline_exceeded""#), "\(metrics)")
            // curl, plain HTTP/1.1 Connect JSON, on the same port.
            let curl = try await TestProcess.run("curl", [
                "-sS", "--http1.1", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
                cases[0].request, server.base.appendingPathComponent(cases[0].path).absoluteString,
            ])
            #expect(curl.status == 0, "\(curl.output) \(curl.errors)")
            #expect(curl.output.contains("parameterAssignments"), "\(curl.output) \(curl.errors)")
        }
    }
}
