import Foundation
import TestSupport
import Testing

/// `tunekit serve` against clients that hold connections, trickle headers, send endless bodies, or ask for a lot at
/// once: each is refused or cut off, the server stays answerable and its memory bounded.
@Suite(.serialized) struct ServerHardeningTests {
    static func getSuggestions(_ body: String, chunked: Bool = false) -> String {
        "POST /api.v1.beta1.Suggestion/GetSuggestions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + (chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: \(body.utf8.count)\r\n\r\n") + body
    }

    /// `/healthz` answers (a fresh connection each time), and how long it took.
    static func healthy(_ server: ServeProcess) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        let reply = try await ModelServingTests.send(server.base, "healthz")
        #expect(reply.status == 200)
        return clock.now - start
    }

    @Test func aHeaderTrickledByteByByteIsCutOffAtTheHeaderDeadline() async throws {
        try await ServeProcess.run(["--header-timeout", "1"]) { server in
            let slow = try RawConnection(port: server.port)
            #expect(slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "))
            var sent = 0
            // One byte every 0.25 s: without a header deadline this goes on for 10 s and the connection stays open.
            while sent < 40, slow.send("a") {
                sent += 1
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(sent < 40, "the connection was still open after \(sent) trickled bytes")
            #expect(try await Self.healthy(server) < .seconds(5))
            // A keep-alive connection that sent a whole request and then waits is not cut off by the header deadline.
            let idle = try RawConnection(port: server.port)
            idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(idle.receive(until: "ok\n").hasPrefix("HTTP/1.1 200"))
            try await Task.sleep(for: .milliseconds(1500))
            idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(idle.receive(until: "ok\n").hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func connectionsBeyondTheLimitAreRefusedAndTheServerRecovers() async throws {
        try await ServeProcess.run(["--max-connections", "4"]) { server in
            var held: [RawConnection] = []
            for _ in 0..<4 {
                let connection = try RawConnection(port: server.port)
                connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(connection.receive(until: "ok\n").hasPrefix("HTTP/1.1 200"))
                held.append(connection)
            }
            let refused = try RawConnection(port: server.port)
            let reply = refused.receive()
            let text = String(decoding: reply.data, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 503") && text.contains("too many open connections") && reply.closed, "\(text)")
            held.removeAll()
            var answered = false
            for _ in 0..<50 where !answered {
                try await Task.sleep(for: .milliseconds(100))
                answered = (try? await ModelServingTests.send(server.base, "healthz").status) == 200
            }
            #expect(answered, "the server answers again once the held connections are gone")
        }
    }

    @Test func aBodyRefusedBeforeItIsReadClosesTheConnection() async throws {
        try await ServeProcess.run(["--max-body-bytes", "1000"]) { server in
            // An endless chunked body: refused at 1,000 bytes, then the connection is closed rather than drained.
            let endless = try RawConnection(port: server.port)
            endless.send(Self.getSuggestions("", chunked: true))
            let chunk = "200\r\n" + String(repeating: " ", count: 512) + "\r\n"
            var sentBytes = 0
            while sentBytes < 64 << 20, endless.send(chunk) { sentBytes += 512 }
            #expect(sentBytes < 64 << 20, "the server kept reading a refused body")
            let reply = String(decoding: endless.receive().data, as: UTF8.self)
            #expect(reply.hasPrefix("HTTP/1.1 429") && reply.lowercased().contains("connection: close"), "\(reply)")
            // A declared length over the limit is refused before any of the body is sent.
            let declared = try RawConnection(port: server.port)
            declared.send("POST /api.v1.beta1.Suggestion/GetSuggestions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n")
            let answer = declared.receive()
            let head = String(decoding: answer.data, as: UTF8.self)
            #expect(head.hasPrefix("HTTP/1.1 429") && head.contains("exceeds the limit of 1000 bytes") && answer.closed, "\(head)")
            // A body read in full and refused keeps its connection.
            let kept = try RawConnection(port: server.port)
            kept.send(Self.getSuggestions("{}"))
            #expect(kept.receive(until: "}").hasPrefix("HTTP/1.1 400"))
            kept.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(kept.receive(until: "ok\n").contains("HTTP/1.1 200"))
        }
    }

    @Test func bodyBytesHeldAtOnceAreBounded() async throws {
        try await ServeProcess.run(["--max-bytes-in-flight", "1000000"]) { server in
            // One client holds 800 kB of an unfinished body; the next body over what is left is refused at once.
            let holding = try RawConnection(port: server.port)
            holding.send(
                "POST /api.v1.beta1.Suggestion/GetSuggestions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 900000\r\n\r\n")
            holding.send(String(repeating: " ", count: 800_000))
            try await Task.sleep(for: .milliseconds(300))
            let second = try RawConnection(port: server.port)
            second.send(Self.getSuggestions(String(repeating: " ", count: 300_000) + "{}"))
            let refused = String(decoding: second.receive().data, as: UTF8.self)
            #expect(refused.hasPrefix("HTTP/1.1 503") && refused.contains("holds as many request bytes"), "\(refused)")
            // Once the first client is gone, its bytes are free again.
            _ = consume holding
            var status = ""
            for _ in 0..<50 where !status.hasPrefix("HTTP/1.1 400") {
                try await Task.sleep(for: .milliseconds(100))
                let third = try RawConnection(port: server.port)
                third.send(Self.getSuggestions(String(repeating: " ", count: 300_000) + "{}"))
                status = third.receive(until: "}")
            }
            #expect(status.hasPrefix("HTTP/1.1 400"), "\(status)")
        }
    }

    /// 4,000,000 empty trials in an 8 MB binary request, four at once: refused after counting, before decoding, on
    /// threads that leave health checks answered; the server's peak memory stays far below what decoding them takes
    /// (~1.2 GB each).
    @Test func binaryRequestsWithMillionsOfTrialsAreRefusedCheaply() async throws {
        try await ServeProcess.run([]) { server in
            let body = Data([UInt8](repeating: 0, count: 8_000_000).enumerated().map { $0.offset % 2 == 0 ? 0x12 : 0 })
            let failures = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let reply = try await ModelServingTests.send(
                            server.base, "api.v1.beta1.Suggestion/GetSuggestions", body: body,
                            headers: ["Content-Type": "application/proto"])
                        return "\(reply.status) \(reply.error)"
                    }
                }
                group.addTask { "health \(try await Self.healthy(server) < .seconds(10))" }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(failures.filter { $0.hasPrefix("400") && $0.contains("4000000 trials; the limit is 100000") }.count == 4, "\(failures)")
            #expect(failures.contains("health true"), "\(failures)")
            #expect(server.peakResidentBytes < 600 << 20, "peak RSS \(server.peakResidentBytes >> 20) MB")
        }
    }

    /// A 1 MB V2 request naming `output-0` 45,000 times, four at once (each repeat used to get the whole prediction
    /// tensor: two such requests ran the server out of memory): refused while parsing, health answered, memory bounded.
    @Test func repeatedOutputsAreRefusedWhileParsing() async throws {
        let fixture = try #require(ModelServingTests.fixture)
        try await ServeProcess.run(["--models-only", "--models", fixture.output, "--model-version", "g1"]) { server in
            let rows = Array(repeating: [1.0, 2.0, 3.0, 4.0], count: 2_000).flatMap { $0 }
            let body = ModelServingTests.json([
                "inputs": [["name": "input-0", "datatype": "FP64", "shape": [2_000, 4], "data": rows]],
                "outputs": Array(repeating: ["name": "output-0"], count: 45_000),
            ])
            let replies = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let reply = try await ModelServingTests.send(server.base, "v2/models/tunekit/infer", body: body)
                        return "\(reply.status) \(reply.error)"
                    }
                }
                group.addTask { "health \(try await Self.healthy(server) < .seconds(10))" }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.filter { $0.hasPrefix("413") && $0.contains("\"outputs\" has more than the limit of 2 items") }.count == 4, "\(replies)")
            #expect(replies.contains("health true"), "\(replies)")
            #expect(server.peakResidentBytes < 600 << 20, "peak RSS \(server.peakResidentBytes >> 20) MB")
        }
    }
}
