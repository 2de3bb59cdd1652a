import Foundation
import TestSupport
import Testing

/// A `tunekit serve` process on a free loopback port for the duration of a test body.
struct ServeProcess {
    let base: URL
    let port: Int
    let pid: Int32
    let stderrPath: String
    let stdoutPath: String

    /// What the server has logged so far.
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    /// What the server has written to its standard output so far.
    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }

    /// The process's peak resident memory (`VmHWM`), in bytes.
    var peakResidentBytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    static func run(
        _ arguments: [String], environment: [String: String] = [:], _ body: (ServeProcess) async throws -> Void
    ) async throws {
        let scratch = TemporaryDirectory("tunekit-serve")
        defer { scratch.remove() }
        let stdout = scratch.file("stdout"), stderr = scratch.file("stderr")
        let process = try TunekitProcess.launch(
            ["serve", "--port", "0"] + arguments, environment: environment, stdout: stdout, stderr: stderr)
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        var address: String?
        for _ in 0..<600 where address == nil {
            if let text = try? String(contentsOfFile: stdout, encoding: .utf8), let line = text.split(separator: "\n").first {
                address = String(line.dropFirst("listening on ".count))
            } else if !process.isRunning {
                break
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let base = try #require(
            address.flatMap(URL.init(string:)), "serve did not start: \((try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "")")
        try await body(ServeProcess(base: base, port: base.port ?? 0, pid: process.processIdentifier, stderrPath: stderr, stdoutPath: stdout))
    }
}
