import Foundation
import TestSupport

/// Runs the built `tunekit` binary, as a user or a Katib trial would.
enum TunekitProcess {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The executable next to the test bundle in the build products directory.
    static let executable: String = {
        var directory = Bundle.main.bundleURL
        if directory.pathExtension == "xctest" { directory.deleteLastPathComponent() }
        let candidate = directory.appendingPathComponent("tunekit").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tunekit").path
    }()

    /// Starts tunekit without waiting; output goes to the given files.
    static func launch(
        _ arguments: [String], environment: [String: String] = [:], stdout: String, stderr: String,
        in directory: String = PackagePaths.root
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: stdout)
        process.standardError = FileHandle(forWritingAtPath: stderr)
        try process.run()
        return process
    }

    /// Runs another program (found on PATH) the same way, e.g. a Python client reading what tunekit wrote.
    static func runTool(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try run([tool] + arguments, environment: environment, program: "/usr/bin/env")
    }

    static func run(
        _ arguments: [String], stdin: String = "", environment: [String: String] = [:], in directory: String = PackagePaths.root,
        program: String = executable
    ) throws -> Result {
        let scratch = TemporaryDirectory("tunekit-cli")
        defer { scratch.remove() }
        let input = scratch.write("stdin", stdin), output = scratch.write("stdout", ""), errors = scratch.write("stderr", "")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle(forReadingAtPath: input)
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle(forWritingAtPath: errors)
        try process.run()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
    }
}

/// The Python interpreter with MLflow's client (`mlflow` or `mlflow-skinny`): `$TUNEKIT_PYTHON`, else `python3`; nil
/// when it is absent (the MLflow read-back check is then skipped).
let pythonWithMLflow: String? = {
    let python = ProcessInfo.processInfo.environment["TUNEKIT_PYTHON"] ?? "python3"
    let check = try? TunekitProcess.runTool(python, ["-c", "import mlflow.tracking"])
    return check?.status == 0 ? python : nil
}()
