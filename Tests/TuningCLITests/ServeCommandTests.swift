import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
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

    @Test func sigtermLetsInFlightRequestsFinish() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TunekitProcess.executable)
        process.arguments = ["serve", "--port", "0", "--log-level", "debug"]
        let output = Pipe(), logs = Pipe()
        process.standardOutput = output
        process.standardError = logs
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // "listening on http://127.0.0.1:PORT"
        var announced = ""
        while !announced.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            announced += String(decoding: chunk, as: UTF8.self)
        }
        let address = try #require(announced.split(separator: "\n").first.map { String($0.dropFirst("listening on ".count)) })
        let url = try #require(URL(string: "\(address)/api.v1.beta1.Suggestion/GetSuggestions"))

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
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }
}
