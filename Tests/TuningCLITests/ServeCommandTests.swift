import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KatibWire
import TestSupport
import Testing

@Suite(.serialized) struct ServeCommandTests {
    /// A Gaussian-process request slow enough to be in flight when SIGTERM arrives: 40 observed trials, 6 points.
    static let slowRequest: Data = {
        let trials = (0..<40).map { i -> String in
            let x = Double(i % 8) / 7, y = Double((i * 3) % 5) / 4
            return """
                {"name": "t\(i)", "spec": {"parameterAssignments": {"assignments": [
                   {"name": "x", "value": "\(x)"}, {"name": "y", "value": "\(y)"}]}},
                 "status": {"condition": "SUCCEEDED", "observation": {"metrics": [{"name": "loss", "value": "\((x - 0.3) * (x - 0.3) + y)"}]}}}
                """
        }
        return Data("""
            {"experiment": {"name": "shutdown", "spec": {
               "parameterSpecs": {"parameters": [
                 {"name": "x", "parameterType": "DOUBLE", "feasibleSpace": {"min": "0", "max": "1"}},
                 {"name": "y", "parameterType": "DOUBLE", "feasibleSpace": {"min": "0", "max": "1"}}]},
               "objective": {"type": "MINIMIZE", "objectiveMetricName": "loss"},
               "algorithm": {"algorithmName": "bayesianoptimization", "algorithmSettings": [{"name": "random_state", "value": "1"}]}}},
             "trials": [\(trials.joined(separator: ", "))], "currentRequestNumber": 6, "totalRequestNumber": 46}
            """.utf8)
    }()

    /// The server's address from its "listening on http://127.0.0.1:PORT" line.
    static func address(_ output: Pipe) throws -> URL {
        var announced = ""
        while !announced.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            announced += String(decoding: chunk, as: UTF8.self)
        }
        let address = try #require(announced.split(separator: "\n").first.map { String($0.dropFirst("listening on ".count)) })
        return try #require(URL(string: address))
    }

    @Test func sigtermLetsInFlightRequestsFinish() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TunekitProcess.executable)
        process.arguments = ["serve", "--port", "0", "--log-level", "debug"]
        let output = Pipe(), logs = Pipe()
        process.standardOutput = output
        process.standardError = logs
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let url = try Self.address(output).appendingPathComponent("api.v1.beta1.Suggestion/GetSuggestions")

        let replies = try await withThrowingTaskGroup(of: (Int, Data).self) { group in
            for _ in 0..<3 {
                group.addTask {
                    var request = URLRequest(url: url)
                    request.httpMethod = "POST"
                    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                    request.httpBody = Self.slowRequest
                    let (data, response) = try await URLSession.shared.data(for: request)
                    return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
                }
            }
            // SIGTERM once the server has received all three (it logs each arrival at debug level).
            var log = ""
            while log.components(separatedBy: "request received").count - 1 < 3 {
                let chunk = logs.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                log += String(decoding: chunk, as: UTF8.self)
            }
            kill(process.processIdentifier, SIGTERM)
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (status, body) in replies {
            #expect(status == 200)
            let json = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            #expect((json?["parameterAssignments"] as? [Any])?.count == 6)
        }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    static let pythonWithGRPCHealth = RealTools.python(passing: "import grpc, grpc_health.v1.health_pb2_grpc")

    /// SIGTERM with --drain-seconds: gRPC health says NOT_SERVING and /readyz 503 while calls are still answered
    /// (Kubernetes takes the pod out of the Service); a second signal ends the drain, and the server exits.
    @Test(.enabled(if: RealTools.enabled(pythonWithGRPCHealth)))
    func sigtermDrainsBeforeStopping() async throws {
        let python = try #require(Self.pythonWithGRPCHealth, "grpcio and grpcio-health-checking are not installed")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TunekitProcess.executable)
        process.arguments = ["serve", "--port", "0", "--drain-seconds", "600"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let base = try Self.address(output)
        func health() async throws -> String {
            let script = """
                import sys, grpc
                from grpc_health.v1 import health_pb2, health_pb2_grpc
                stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(sys.argv[1]))
                print(health_pb2.HealthCheckResponse.ServingStatus.Name(
                    stub.Check(health_pb2.HealthCheckRequest(service="manager.v1beta1.Suggestion"), timeout=5).status))
                """
            return try await TestProcess.run(python, ["-c", script, "\(base.host!):\(base.port!)"]).output
        }
        func status(_ path: String, body: Data? = nil) async throws -> Int {
            var request = URLRequest(url: base.appendingPathComponent(path))
            if let body {
                request.httpMethod = "POST"
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = body
            }
            let (_, response) = try await URLSession.shared.data(for: request)
            return (response as? HTTPURLResponse)?.statusCode ?? 0
        }
        #expect(try await health() == "SERVING\n")
        #expect(try await status("readyz") == 200)
        kill(process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await health() == "NOT_SERVING\n")
        #expect(try await status("readyz") == 503)
        #expect(try await status("api.v1.beta1.Suggestion/GetSuggestions", body: Self.slowRequest) == 200)
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }
}
