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
            #expect(text.hasPrefix("HTTP/1.1 503"), "\(text)")
            #expect(text.contains("too many open connections"), "\(text)")
            #expect(reply.closed, "\(text)")
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
            #expect(reply.hasPrefix("HTTP/1.1 429"), "\(reply)")
            #expect(reply.lowercased().contains("connection: close"), "\(reply)")
            // A declared length over the limit is refused before any of the body is sent.
            let declared = try RawConnection(port: server.port)
            declared.send("POST /api.v1.beta1.Suggestion/GetSuggestions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n")
            let answer = declared.receive()
            let head = String(decoding: answer.data, as: UTF8.self)
            #expect(head.hasPrefix("HTTP/1.1 429"), "\(head)")
            #expect(head.contains("exceeds the limit of 1000 bytes"), "\(head)")
            #expect(answer.closed, "\(head)")
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
            #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused)")
            #expect(refused.contains("holds as many request bytes"), "\(refused)")
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

    /// One HTTP/2 frame: 9-byte header, then the payload.
    static func frame(type: UInt8, flags: UInt8, stream: UInt32, _ payload: [UInt8]) -> Data {
        let length = payload.count
        var bytes: [UInt8] = [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
        bytes += withUnsafeBytes(of: stream.bigEndian) { Array($0) }
        return Data(bytes + payload)
    }

    /// HPACK literal header fields without indexing (RFC 7541 §6.2.2), no Huffman coding: short names and values only.
    static func headerBlock(_ fields: [(String, String)]) -> [UInt8] {
        var block: [UInt8] = []
        for (name, value) in fields {
            block.append(0x00)
            block.append(UInt8(name.utf8.count))
            block.append(contentsOf: name.utf8)
            block.append(UInt8(value.utf8.count))
            block.append(contentsOf: value.utf8)
        }
        return block
    }

    /// Reads HTTP/2 frames until one of `type` arrives on `stream` (true), or the connection closes or a read times
    /// out (false).
    static func awaitFrame(type: UInt8, stream: UInt32, on connection: RawConnection, buffer: inout Data) -> Bool {
        while true {
            var offset = 0
            let bytes = [UInt8](buffer)
            while bytes.count - offset >= 9 {
                let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
                guard bytes.count - offset >= 9 + length else { break }
                let id = bytes[(offset + 5)...(offset + 8)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7fff_ffff
                offset += 9 + length
                if bytes[offset - 9 - length + 3] == type, id == stream {
                    buffer = Data(bytes[offset...])
                    return true
                }
            }
            let (data, closed) = connection.receive(limit: 1)
            if data.isEmpty || closed { return false }
            buffer.append(data)
        }
    }

    /// An HTTP/2 request whose body stops after one byte: its stream is reset at the body deadline (it used to hold its
    /// share of the body budget for as long as the client kept the connection), while a whole request on the same
    /// connection is answered.
    @Test func aTrickledHTTP2BodyIsResetAtTheBodyDeadline() async throws {
        try await ServeProcess.run(["--request-timeout", "1"]) { server in
            let connection = try RawConnection(port: server.port, readTimeout: 10)
            connection.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            connection.send(Self.frame(type: 4, flags: 0, stream: 0, []))
            let headers = Self.headerBlock([
                (":method", "POST"), (":scheme", "http"), (":path", "/api.v1.beta1.Suggestion/GetSuggestions"),
                (":authority", "x"), ("content-type", "application/json"),
            ])
            var buffer = Data()
            // A whole request (END_STREAM on its body): answered with HEADERS.
            connection.send(Self.frame(type: 1, flags: 0x4, stream: 1, headers))
            connection.send(Self.frame(type: 0, flags: 0x1, stream: 1, Array("{}".utf8)))
            #expect(Self.awaitFrame(type: 1, stream: 1, on: connection, buffer: &buffer), "the well-formed request is answered")
            // A body that stops: RST_STREAM.
            connection.send(Self.frame(type: 1, flags: 0x4, stream: 3, headers))
            connection.send(Self.frame(type: 0, flags: 0, stream: 3, Array("{".utf8)))
            #expect(Self.awaitFrame(type: 3, stream: 3, on: connection, buffer: &buffer), "no RST_STREAM for the trickled stream")
            #expect(try await Self.healthy(server) < .seconds(10))
        }
    }

    /// `Expect: 100-continue` gets its interim answer, so a strict client sends its body without waiting for its own
    /// timeout.
    @Test func expectContinueIsAnswered() async throws {
        try await ServeProcess.run([]) { server in
            let connection = try RawConnection(port: server.port, readTimeout: 5)
            let body = "{}"
            connection.send(
                "POST /api.v1.beta1.Suggestion/GetSuggestions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
            #expect(connection.receive(until: "\r\n\r\n").hasPrefix("HTTP/1.1 100 Continue"))
            connection.send(body)
            #expect(connection.receive(until: "}").contains("HTTP/1.1 400"))
        }
    }
}
