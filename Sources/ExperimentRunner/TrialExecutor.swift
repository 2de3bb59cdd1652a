import Foundation
public import ExperimentModel
import Trainers

/// How one trial runs: `tunekit train …` in this process, anything else as a child process.
public enum TrialCommand: Sendable, Equatable {
    case inProcess(TrainInvocation)
    case external([String])

    /// The primary container's command with the trial's values substituted.
    public static func make(
        for experiment: Experiment, assignments: [ParameterAssignment], trialName: String
    ) throws(RunnerError) -> TrialCommand {
        guard let template = experiment.trialTemplate else {
            throw .notRunnable("spec.trialTemplate is missing")
        }
        guard let command = template.primaryContainerCommand() else {
            throw .notRunnable(
                "no command for primary container '\(template.primaryContainerName)' (a trialTemplate.configMap cannot be read locally)")
        }
        let values = Dictionary(assignments.map { ($0.name, $0.value) }) { $1 }
        let substituted = command.map { template.substitute($0, values: values, trialName: trialName) }
        if let inProcess = try inProcessInvocation(substituted) { return .inProcess(inProcess) }
        return .external(substituted)
    }

    /// `tunekit train ARGS` (possibly wrapped in `sh -c "…"`) becomes an in-process invocation.
    private static func inProcessInvocation(_ command: [String]) throws(RunnerError) -> TrainInvocation? {
        var words = command
        if words.count == 3, ["sh", "/bin/sh", "bash", "/bin/bash"].contains(words[0]), words[1] == "-c" {
            guard let split = ShellWords.split(words[2]) else { return nil }
            words = split
        }
        guard words.count >= 2, (words[0] as NSString).lastPathComponent == "tunekit", words[1] == "train" else {
            return nil
        }
        return try TrainInvocation.parse(Array(words.dropFirst(2)))
    }
}

/// What a finished trial reports back.
public struct TrialOutcome: Sendable {
    public var condition: TrialCondition
    /// Strategy-reduced metrics (objective first).
    public var metrics: [MetricValue]
    /// Why a trial failed or has no metrics.
    public var message: String?
    public var seconds: Double
}

/// Runs trials and turns their output into Katib observations.
public struct TrialExecutor: Sendable {
    public let experiment: Experiment
    public let cache: TrainingCache

    public init(experiment: Experiment, cache: TrainingCache) {
        self.experiment = experiment
        self.cache = cache
    }

    public func run(_ command: TrialCommand) async -> TrialOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        var outcome: TrialOutcome
        switch command {
        case .inProcess(let invocation):
            outcome = await runInProcess(invocation)
        case .external(let words):
            outcome = await runExternal(words)
        }
        let elapsed = clock.now - start
        outcome.seconds = elapsed.inSeconds
        return outcome
    }

    private func runInProcess(_ invocation: TrainInvocation) async -> TrialOutcome {
        do {
            let result = try await Training.run(invocation, cache: cache)
            // Each metric is reported once, so reduction is the identity; NaN counts as never reported.
            let records = result.metrics.named.filter { $0.value.isFinite }
                .map { MetricRecord(name: $0.name, value: String($0.value), timestamp: nil) }
            return finish(records: records, exitedCleanly: true, message: nil)
        } catch {
            return TrialOutcome(condition: .failed, metrics: [], message: error.description, seconds: 0)
        }
    }

    private func runExternal(_ words: [String]) async -> TrialOutcome {
        let collector = experiment.metricsCollector
        let (status, output) = await ChildProcess.run(words)
        guard let status else {
            return TrialOutcome(condition: .failed, metrics: [], message: "cannot start \(words.first ?? "")", seconds: 0)
        }
        guard status == 0 else {
            let tail = output.split(separator: "\n").suffix(3).joined(separator: " | ")
            return TrialOutcome(condition: .failed, metrics: [], message: "exit status \(status): \(tail)", seconds: 0)
        }
        do {
            let parser = try MetricsLogParser(metricNames: experiment.objective.allMetricNames, filters: collector.metricsFormat)
            var records: [MetricRecord]
            switch collector.kind {
            case .file:
                let path = collector.filePath ?? "/var/log/katib/metrics.log"
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                records = collector.fileFormat == .json ? try parser.parseJSONLines(text) : parser.parseText(text)
            default:
                records = parser.parseText(output)
            }
            return finish(records: records, exitedCleanly: true, message: nil)
        } catch {
            return TrialOutcome(condition: .failed, metrics: [], message: error.description, seconds: 0)
        }
    }

    /// SUCCEEDED with a numeric objective, else METRICSUNAVAILABLE (Katib §3.7).
    private func finish(records: [MetricRecord], exitedCleanly: Bool, message: String?) -> TrialOutcome {
        let metrics = MetricsLogParser.observation(records, objective: experiment.objective)
        let record = TrialRecord(name: "", assignments: [], condition: .succeeded, metrics: metrics)
        guard record.observedValue(of: experiment.objective.objectiveMetricName) != nil else {
            return TrialOutcome(
                condition: .metricsUnavailable, metrics: metrics,
                message: "objective metric '\(experiment.objective.objectiveMetricName)' was not reported as a finite number",
                seconds: 0)
        }
        return TrialOutcome(condition: .succeeded, metrics: metrics, message: message, seconds: 0)
    }
}

/// Runs a command to completion off the cooperative pool, capturing stdout and stderr together.
enum ChildProcess {
    static func run(_ words: [String]) async -> (status: Int32?, output: String) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = words
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                process.standardInput = FileHandle.nullDevice
                do { try process.run() } catch {
                    continuation.resume(returning: (nil, ""))
                    return
                }
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
            }
        }
    }
}

/// Minimal POSIX-shell word splitting (quotes and backslashes; no expansions) for `sh -c "…"` trial commands.
enum ShellWords {
    static func split(_ text: String) -> [String]? {
        var words: [String] = [], current = "", inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped { current.append(character); escaped = false; continue }
            if let open = quote {
                if character == open { quote = nil } else if character == "\\", open == "\"" { escaped = true } else { current.append(character) }
                continue
            }
            switch character {
            case "\\": escaped = true; inWord = true
            case "\"", "'": quote = character; inWord = true
            case " ", "\t", "\n":
                if inWord { words.append(current); current = ""; inWord = false }
            case ";", "|", "&", "<", ">", "$", "`":
                return nil
            default: current.append(character); inWord = true
            }
        }
        guard quote == nil, !escaped else { return nil }
        if inWord { words.append(current) }
        return words
    }
}
