import Dispatch
import Foundation

/// A fresh directory under the system temp dir, removed when the value is released by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "tunekit-test") {
        let base = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(label)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    /// A path inside the directory.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Writes text to `name` inside the directory and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let target = file(name)
        try? FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: target, contents: Data(text.utf8))
        return target
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Paths inside this package (for the bundled experiments and data).
public enum PackagePaths {
    /// The package root, found from this source file's location.
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static func file(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }
}

/// Relative closeness with an explicit tolerance: |a − b| ≤ tolerance · max(1e-300, |a|, |b|).
public func isClose(_ a: Double, _ b: Double, relative tolerance: Double) -> Bool {
    abs(a - b) <= tolerance * max(1e-300, abs(a), abs(b))
}

/// A Katib Experiment whose trials run `command` (placeholders `${trialParameters.NAME}` for each parameter, named
/// as the parameter), seeded random search: what tests tune, refit and export.
public func katibExperimentYAML(
    name: String, metric: String = "rmse", maxTrials: Int, parameters: [(name: String, type: String, min: String, max: String)],
    command: [String]
) -> String {
    """
    apiVersion: kubeflow.org/v1beta1
    kind: Experiment
    metadata:
      name: \(name)
    spec:
      objective: {type: minimize, objectiveMetricName: \(metric)}
      algorithm: {algorithmName: random, algorithmSettings: [{name: random_state, value: "5"}]}
      maxTrialCount: \(maxTrials)
      parallelTrialCount: 1
      parameters:
    \(parameters.map { "    - {name: \($0.name), parameterType: \($0.type), feasibleSpace: {min: \"\($0.min)\", max: \"\($0.max)\"}}" }.joined(separator: "\n"))
      trialTemplate:
        primaryContainerName: training-container
        trialParameters: [\(parameters.map { "{name: \($0.name), reference: \($0.name)}" }.joined(separator: ", "))]
        trialSpec:
          apiVersion: batch/v1
          kind: Job
          spec:
            template:
              spec:
                containers:
                  - name: training-container
                    image: ghcr.io/seoul-mlops/tunekit:0.1.0
                    command: [\(command.map { "\"\($0)\"" }.joined(separator: ", "))]
                restartPolicy: Never
    """
}

/// A small regression table: `rows` rows, numeric features x1…x3, a text feature `site`, target `y`.
public func regressionCSV(rows: Int, seed: UInt64 = 1, noise: Double = 0.1) -> String {
    var state = seed
    func unit() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) * 0x1.0p-53
    }
    var text = "x1,x2,x3,site,y\n"
    for _ in 0..<rows {
        let x1 = unit() * 10, x2 = unit() * 5 - 2, x3 = unit()
        let site = ["north", "south", "east"][Int(unit() * 3) % 3]
        let y = 3 + 2 * x1 - 1.5 * x2 + 0.5 * x3 + (site == "east" ? 4 : 0) + noise * (unit() - 0.5)
        text += "\(x1),\(x2),\(x3),\(site),\(y)\n"
    }
    return text
}

/// A classification CSV: `x1`, `x2`, a text `site` and a text `label` from `classes` decided by x1 and x2 (5 % noise).
public func classificationCSV(rows: Int, seed: UInt64 = 1, classes: [String]) -> String {
    var state = seed
    func unit() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) * 0x1.0p-53
    }
    var text = "x1,x2,site,label\n"
    for _ in 0..<rows {
        let x1 = unit() * 4 - 2, x2 = unit() * 4 - 2
        let site = ["north", "south", "east"][Int(unit() * 3) % 3]
        var k = x1 * x1 + x2 * x2 < 1.5 ? 0 : (x2 > 0 ? 1 : 2)
        k = min(k, classes.count - 1)
        if unit() < 0.05 { k = Int(unit() * Double(classes.count)) % classes.count }
        text += "\(x1),\(x2),\(site),\(classes[k])\n"
    }
    return text
}

/// Real clients and tools from PyPI that tests drive (connectrpc, grpcio, kserve, kfp, lightgbm, …). A test that
/// needs one runs when it is installed; where `TUNEKIT_REQUIRE_TOOLS=1` (CI sets it) it also runs when it is not, and
/// fails saying what is missing, so a broken install can never pass as a skipped test.
public enum RealTools {
    /// `$TUNEKIT_PYTHON`, else `python3`, if it runs `check` (Python code, e.g. an import) successfully; else nil.
    public static func python(passing check: String) -> String? {
        let python = ProcessInfo.processInfo.environment["TUNEKIT_PYTHON"] ?? "python3"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", check]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        return process.terminationStatus == 0 ? python : nil
    }

    /// Whether missing tools fail tests instead of skipping them: under `TUNEKIT_REQUIRE_TOOLS=1`, and in CI (`CI`
    /// set to 1 or true, as CI systems set it), so a broken install can never turn tests off there.
    public static let required: Bool = {
        let environment = ProcessInfo.processInfo.environment
        return environment["TUNEKIT_REQUIRE_TOOLS"] == "1" || ["1", "true"].contains(environment["CI"]?.lowercased() ?? "")
    }()

    /// The condition for `.enabled(if:)`: the tool is there, or its absence must fail the test.
    public static func enabled(_ tool: String?) -> Bool { tool != nil || required }
}

/// Runs a command (found on PATH) to completion, its output and errors captured through files (no pipe can fill up).
public enum TestProcess {
    public struct Result: Sendable {
        public let status: Int32
        public let output: String
        public let errors: String
    }

    /// Runs the command on a Dispatch thread, so that waiting for it never holds one of Swift's few cooperative threads
    /// (a test whose command talks to a server in the test process would otherwise starve that server).
    public static func run(_ tool: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Swift.Result { try runBlocking(tool, arguments, environment: environment) })
            }
        }
    }

    public static func runBlocking(_ tool: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let directory = TemporaryDirectory("tunekit-process")
        defer { directory.remove() }
        let outputPath = directory.write("stdout", ""), errorsPath = directory.write("stderr", "")
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorsPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        try output.close()
        try errors.close()
        return Result(
            status: process.terminationStatus,
            output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
            errors: (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? "")
    }
}
