import ExperimentModel
import Foundation
import KatibWire
import SuggestionAlgorithms
import SwiftProtobuf
import TestSupport
import Testing
@testable import TuningServer

/// The Connect protocol's unary form: both codecs, its headers, its error body and status mapping.
@Suite struct ConnectProtocolTests {
    static let proto = ["Content-Type": "application/proto", "Connect-Protocol-Version": "1"]

    /// The JSON fixture as a binary message (swift-protobuf's own JSON reader: an independent parse of the same body).
    static func binary(_ json: Data) throws -> Data {
        try Api_V1_Beta1_GetSuggestionsRequest(jsonUTF8Data: json).serializedBytes()
    }

    @Test(arguments: ["random", "tpe", "grid"])
    func binaryAndJSONRequestsGetTheSameSuggestions(algorithm: String) async throws {
        let json = Requests.getSuggestions(algorithm)
        try await LiveServer.run { server in
            let viaJSON = try await server.post(Requests.suggestPath, json)
            let viaProto = try await server.post(Requests.suggestPath, Self.binary(json), headers: Self.proto)
            #expect(viaJSON.status == 200, "\(viaProto.text)")
            #expect(viaProto.status == 200, "\(viaProto.text)")
            #expect(viaProto.headers["Content-Type"] as? String == "application/proto")
            let reply = try Api_V1_Beta1_GetSuggestionsReply(serializedBytes: viaProto.body)
            let expected = try Api_V1_Beta1_GetSuggestionsReply(jsonUTF8Data: viaJSON.body)
            #expect(reply.parameterAssignments.count == 2)
            #expect(reply == expected)
        }
    }

    /// Both decoders turn the same request into the same value, field by field (enums, nested lists, zero values).
    @Test func binaryDecodingMatchesTheJSONReader() throws {
        for algorithm in ["random", "tpe", "cmaes"] {
            let json = Requests.getSuggestions(algorithm, trials: 9, count: 3)
            let fromJSON = try KatibJSON.decode(GetSuggestionsRequest.self, from: json)
            let fromProto = try KatibProtobuf.decode(GetSuggestionsRequest.self, from: Self.binary(json))
            #expect(fromJSON == fromProto)
        }
    }

    @Test func validateAndEarlyStoppingMethodsSpeakBinary() async throws {
        var validate = Api_V1_Beta1_ValidateAlgorithmSettingsRequest()
        validate.experiment = try Api_V1_Beta1_Experiment(jsonString: Requests.experiment("tpe"))
        var invalid = validate
        invalid.experiment.spec.algorithm.algorithmSettings = [.with { $0.name = "gamma"; $0.value = "1.5" }]
        var rules = Api_V1_Beta1_GetEarlyStoppingRulesRequest()
        rules.experiment = validate.experiment
        rules.experiment.spec.earlyStopping = .with { $0.algorithmName = "medianstop" }
        rules.trials = try Api_V1_Beta1_GetSuggestionsRequest(jsonUTF8Data: Requests.getSuggestions("tpe", trials: 8)).trials
        let (validBody, invalidBody, rulesBody): (Data, Data, Data) =
            try (validate.serializedBytes(), invalid.serializedBytes(), rules.serializedBytes())
        try await LiveServer.run { server in
            let valid = try await server.post(Requests.validatePath, validBody, headers: Self.proto)
            #expect(valid.status == 200 && valid.body.isEmpty && valid.headers["Content-Type"] as? String == "application/proto")
            let refused = try await server.post(Requests.validatePath, invalidBody, headers: Self.proto)
            #expect(refused.status == 400 && refused.headers["Content-Type"] as? String == "application/json")
            #expect(refused.json["code"] as? String == "invalid_argument")
            #expect(refused.json["message"] as? String == "gamma should be in the range of (0, 1)")
            let answered = try await server.post(
                "api.v1.beta1.EarlyStopping/GetEarlyStoppingRules", rulesBody, headers: Self.proto)
            #expect(answered.status == 200, "\(answered.text)")
            let reply = try Api_V1_Beta1_GetEarlyStoppingRulesReply(serializedBytes: answered.body)
            #expect(reply.earlyStoppingRules.first?.comparison == .greater)
        }
    }

    @Test func errorsFollowConnectsCodesAndStatuses() async throws {
        let body = Requests.getSuggestions("random")
        try await LiveServer.run(maxBodyBytes: 64 << 10) { server in
            let form = try await server.post(Requests.suggestPath, body, headers: ["Content-Type": "application/x-www-form-urlencoded"])
            #expect(form.status == 415 && form.headers["Accept-Post"] as? String == "application/json, application/proto")
            let version = try await server.post(Requests.suggestPath, body, headers: ["Connect-Protocol-Version": "2"])
            #expect(version.status == 400 && version.json["code"] as? String == "invalid_argument")
            for timeout in ["0x10", "12345678901", "-5"] {
                let reply = try await server.post(Requests.suggestPath, body, headers: ["Connect-Timeout-Ms": timeout])
                #expect(reply.status == 400 && reply.json["code"] as? String == "invalid_argument", "\(timeout)")
            }
            let brotli = try await server.post(Requests.suggestPath, body, headers: ["Content-Encoding": "br"])
            #expect(brotli.status == 501 && brotli.json["code"] as? String == "unimplemented")
            let garbage = try await server.post(Requests.suggestPath, Data([0x0A, 0xFF, 0xFF, 0x01]), headers: Self.proto)
            #expect(garbage.status == 400 && garbage.json["code"] as? String == "invalid_argument")
            #expect((garbage.json["message"] as? String)?.hasPrefix("malformed request protobuf") == true)
        }
    }

    /// Seeded byte mutations of a valid binary request (flipped, dropped, duplicated bytes; truncations): every answer
    /// is a Connect error or a reply, never a 5xx, and the server stays up.
    @Test func mutatedBinaryRequestsNeverGetA5xx() async throws {
        let valid = [UInt8](try Self.binary(Requests.getSuggestions("tpe", trials: 6)))
        let bodies = Requests.mutations(of: valid, count: 150, seed: 2026, maxEdits: 4)
        let requests = bodies
        try await LiveServer.run { server in
            for body in requests {
                let reply = try await server.post(Requests.suggestPath, Data(body), headers: Self.proto)
                #expect(reply.status == 200 || (400..<500).contains(reply.status), "\(reply.status): \(reply.text)")
            }
            #expect(try await server.get("healthz").status == 200)
        }
    }

    @Test func gzipBodiesAreInflatedWithinTheLimit() async throws {
        let body = Requests.getSuggestions("random")
        try await LiveServer.run(maxBodyBytes: 64 << 10) { server in
            let gzipped = try await server.post(Requests.suggestPath, Gzip.compress(body), headers: ["Content-Encoding": "gzip"])
            #expect(gzipped.status == 200, "\(gzipped.text)")
            // 4 MiB of spaces gzip to a few kB: under the byte limit as sent, over it once inflated.
            let bomb = Data("{\"trials\": [".utf8) + Data(repeating: 0x20, count: 4 << 20) + Data("]}".utf8)
            let compressed = try Gzip.compress(bomb)
            #expect(compressed.count < 64 << 10)
            let refused = try await server.post(Requests.suggestPath, compressed, headers: ["Content-Encoding": "gzip"])
            #expect(refused.status == 429 && refused.json["code"] as? String == "resource_exhausted")
            let small = try Gzip.compress(body)
            let truncated = try await server.post(
                Requests.suggestPath, small.prefix(small.count / 2), headers: ["Content-Encoding": "gzip"])
            #expect(truncated.status == 400 && truncated.json["code"] as? String == "invalid_argument")
        }
    }

    /// The client's deadline, when shorter than the server's, stops a model-based suggestion.
    @Test func connectTimeoutBoundsTheComputation() async throws {
        let handlers = SuggestionEndpoints.Handlers(
            getSuggestions: { _, cancellation, _ in
                while !cancellation.isCancelled { usleep(1_000) }
                throw KatibStatus.deadlineExceeded("stopped")
            },
            validate: { _ in })
        try await LiveServer.run(requestTimeout: .seconds(600), handlers: handlers) { server in
            let reply = try await server.post(Requests.suggestPath, Requests.getSuggestions("tpe"), headers: ["Connect-Timeout-Ms": "50"])
            #expect(reply.status == 504 && reply.json["code"] as? String == "deadline_exceeded", "\(reply.text)")
        }
    }
}

/// gzip through the system's gzip command (independent of the server's zlib use).
enum Gzip {
    static func compress(_ data: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -c"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let writer = Thread {
            input.fileHandleForWriting.write(data)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let compressed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return compressed
    }
}

/// The Python interpreter with the Connect client tools installed (`.ci/run` installs them): `$TUNEKIT_PYTHON`, else
/// `python3`; nil when they are absent.
let pythonWithConnectClients: String? = {
    let python = ProcessInfo.processInfo.environment["TUNEKIT_PYTHON"] ?? "python3"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        python, "-c",
        "import connectrpc, protobuf, google.protobuf, os, sys, sysconfig; "
            + "assert os.path.exists(os.path.join(os.path.dirname(sys.executable), 'buf')); "
            + "assert os.path.exists(os.path.join(sysconfig.get_paths()['purelib'], 'kubeflow/katib/katib_api_pb2.py'))",
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    process.waitUntilExit()
    return process.terminationStatus == 0 ? python : nil
}()

/// Real clients against the loopback server: a Python Connect client generated from the .proto (binary with gzip,
/// and JSON), `buf curl`, and Katib's own message classes (kubeflow-katib) building the request and reading the reply.
@Suite struct RealConnectClientTests {
    @Test(.enabled(if: RealTools.enabled(pythonWithConnectClients), "connectrpc, buf-bin and kubeflow-katib are not installed"))
    func pythonConnectClientAndBufCurlCallTheServer() async throws {
        let python = try #require(pythonWithConnectClients)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tunekit-connect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let requestFile = work.appendingPathComponent("request.json")
        try Requests.getSuggestions("tpe", trials: 10, count: 2).write(to: requestFile)
        try await LiveServer.run { server in
            let run = try await TestProcess.run(python, [
                PackagePaths.file("Tests/ConnectClients/katib_connect_client.py"), server.base.absoluteString,
                PackagePaths.file("Sources/KatibWire/Protos"), work.path, requestFile.path,
            ])
            #expect(run.status == 0, "\(run.output) \(run.errors)")
            let printed = Data(run.output.utf8)
            let seen = try #require(try JSONSerialization.jsonObject(with: printed) as? [String: Any])
            #expect((seen["problems"] as? [String])?.isEmpty == true)
            #expect((seen["fields_checked"] as? Int ?? 0) > 60, "every field of the .proto compared with Katib's")
            #expect((seen["proto_assignments"] as? [Any])?.count == 2 && seen["katib_reply_trials"] as? Int == 2)
            #expect(seen["invalid_code"] as? String == "INVALID_ARGUMENT")
        }
    }
}
