public import ExperimentModel
import Foundation
import ModelTraining
public import SuggestionAlgorithms
import Synchronization
import Trainers

/// How one trial runs: `tunekit train …` in this process, anything else as a child process.
public enum TrialCommand: Sendable, Equatable {
    case inProcess(TrainInvocation)
    case external(ExternalCommand)

    /// The primary container's command with the trial's values substituted.
    public static func make(
        for experiment: Experiment, assignments: [ParameterAssignment], trialName: String
    ) throws(TunekitError) -> TrialCommand {
        guard let template = experiment.trialTemplate else {
            throw .notRunnable("spec.trialTemplate is missing")
        }
        guard let command = template.primaryContainerCommand() else {
            throw .notRunnable(
                "no command for primary container '\(template.primaryContainerName)' (a trialTemplate.configMap cannot be read locally)")
        }
        let values = Dictionary(assignments.map { ($0.name, $0.value) }) { $1 }
        let substitute = { (text: String) in template.substitute(text, values: values, trialName: trialName) }
        let environment = template.primaryContainerEnvironment()
        // Kubernetes expands $(NAME) in command and args from the container's env. Locally tunekit's own environment
        // overrides it, so a local run passes e.g. a data path where the cluster mounts a volume.
        let variables = Dictionary(environment.values.map { ($0.name, substitute($0.value)) }) { $1 }
            .merging(ProcessInfo.processInfo.environment) { $1 }
        let substituted = command.map { expandVariables(substitute($0), from: variables) }
        if let inProcess = try inProcessInvocation(substituted) { return .inProcess(inProcess) }
        if let name = environment.unresolved.first {
            throw .notRunnable("env \(name) of container '\(template.primaryContainerName)' uses valueFrom, which only a cluster can resolve")
        }
        return .external(ExternalCommand(
            words: substituted, environment: environment.values.map { ExternalCommand.Variable(name: $0.name, value: substitute($0.value)) },
            workingDirectory: template.primaryContainerWorkingDirectory))
    }

    /// Kubernetes' `$(NAME)` references: replaced when `NAME` is known, left as written otherwise; `$$` is a literal `$`.
    static func expandVariables(_ text: String, from variables: [String: String]) -> String {
        guard text.contains("$") else { return text }
        var result = "", rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.first == "$" {
                result += "$"
                rest = after.dropFirst()
            } else if after.first == "(", let close = after.firstIndex(of: ")"),
                      let value = variables[String(after[after.index(after: after.startIndex)..<close])] {
                result += value
                rest = after[after.index(after: close)...]
            } else {
                result += "$"
                rest = after
            }
        }
        return result + rest
    }

    /// `tunekit train ARGS` (possibly wrapped in `sh -c "…"`) becomes an in-process invocation.
    private static func inProcessInvocation(_ command: [String]) throws(TunekitError) -> TrainInvocation? {
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

/// A trial command run as a child process: the container's command and args, its literal `env:` and `workingDir`.
public struct ExternalCommand: Sendable, Equatable {
    public struct Variable: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public var words: [String]
    public var environment: [Variable]
    public var workingDirectory: String?

    /// True when `text` occurs in the command or an env value (where a collector path can be redirected per trial).
    func mentions(_ text: String) -> Bool {
        words.contains { $0.contains(text) } || environment.contains { $0.value.contains(text) }
    }

    /// The command with every occurrence of `text` replaced.
    func replacing(_ text: String, with replacement: String) -> ExternalCommand {
        var copy = self
        copy.words = words.map { $0.replacingOccurrences(of: text, with: replacement) }
        copy.environment = environment.map { Variable(name: $0.name, value: $0.value.replacingOccurrences(of: text, with: replacement)) }
        return copy
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
    /// The objective reported step by step (gbdt iterations, metric lines), when an early-stopping algorithm is set.
    public var intermediate: [Double] = []
    /// Boosting iterations the trial's model kept (in-process gbdt: early stopping's best iteration).
    public var bestIteration: Int?
}

/// A running trial's objective curve, checked against its stopping rule at every report.
final class CurveMonitor: Sendable {
    /// The reports so far, their best value (kept as reports arrive: checking costs the same at every step), and
    /// whether the rule stopped the trial.
    private let state = Mutex((curve: [Double](), best: Double?.none, stopped: false))
    let rule: StoppingRule?

    init(rule: StoppingRule?) { self.rule = rule }

    /// Records a report; false once the rule says stop.
    func report(_ value: Double) -> Bool {
        state.withLock { state in
            guard !state.stopped else { return false }
            state.curve.append(value)
            guard let rule else { return true }
            let best = state.best.map { rule.objective.isBetter(value, than: $0) ? value : $0 } ?? value
            state.best = best
            if rule.shouldStop(step: state.curve.count, best: best) { state.stopped = true }
            return !state.stopped
        }
    }

    var curve: [Double] { state.withLock { $0.curve } }
    var stopped: Bool { state.withLock { $0.stopped } }
}

/// Runs trials and turns their output into Katib observations.
public struct TrialExecutor: Sendable {
    public let experiment: Experiment
    public let cache: TrainingCache
    /// `<output>/runs/<V>` as an absolute path: each external trial gets `trials/<name>/` there (output.log,
    /// metrics.log, its files).
    public let runDirectory: String
    public let processes: ProcessGroups
    /// The longest a trial may run: the smaller of `--trial-timeout` and the Job's `activeDeadlineSeconds`.
    public let timeout: Double?
    /// The fitted model of the best in-process trial that succeeded so far, so publishing need not fit it again.
    public let bestFit = BestFit()

    public init(
        experiment: Experiment, cache: TrainingCache, runDirectory: String, processes: ProcessGroups, timeout: Double? = nil
    ) {
        self.experiment = experiment
        self.cache = cache
        // Absolute: a trial runs in its own folder, where a path relative to tune's directory would not resolve.
        self.runDirectory = runDirectory.isEmpty ? "" : URL(fileURLWithPath: runDirectory).standardizedFileURL.path
        self.processes = processes
        let deadline = experiment.trialTemplate?.activeDeadlineSeconds
        self.timeout = [timeout, deadline].compactMap { $0 }.min()
    }

    /// The File collector's path as the experiment names it.
    var collectorPath: String { experiment.metricsCollector.filePath ?? "/var/log/katib/metrics.log" }

    /// Whether trials can each read only their own metrics file: the path must appear in the command (it is replaced
    /// by a per-trial path), or trials must run one at a time (each reads only what was appended while it ran).
    public func checkIsolation(_ command: TrialCommand) throws(TunekitError) {
        guard experiment.metricsCollector.kind == .file, case .external(let external) = command,
              !external.mentions(collectorPath), experiment.parallelTrialCount > 1
        else { return }
        throw .notRunnable(
            "the File collector path \(collectorPath) does not appear in the trial command, so \(experiment.parallelTrialCount) parallel trials would write one shared file; pass the path to the command (tunekit gives each trial its own copy) or set parallelTrialCount: 1")
    }

    /// Runs one trial; with an early-stopping `rule`, stops it once its curve falls behind (condition EarlyStopped).
    public func run(_ command: TrialCommand, trial: TrialState, rule: StoppingRule? = nil) async -> TrialOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let monitor = experiment.earlyStopping == nil ? nil : CurveMonitor(rule: rule)
        var outcome: TrialOutcome
        switch command {
        case .inProcess(let invocation):
            let result: TrainingResult?
            (outcome, result) = await runInProcess(invocation, monitor: monitor)
            // The finished trial's objective, read as the run reads it to choose the best trial.
            let finished = TrialRecord(
                name: trial.name, assignments: trial.assignments, condition: outcome.condition, metrics: outcome.metrics)
            if let result, monitor?.stopped != true, outcome.condition == .succeeded,
               let value = finished.observedValue(of: experiment.objective.objectiveMetricName) {
                bestFit.offer(result, trial: trial, value: value, objective: experiment.objective.type)
            }
        case .external(let external):
            outcome = await runExternal(external, trial: trial, monitor: monitor, started: start)
        }
        if let monitor {
            outcome.intermediate = monitor.curve
            if monitor.stopped, outcome.condition == .succeeded || outcome.condition == .metricsUnavailable {
                outcome.condition = .earlyStopped
                outcome.message = "early stopped after \(monitor.curve.count) reports by \(experiment.earlyStopping?.algorithmName ?? "")"
            }
        }
        let elapsed = clock.now - start
        outcome.seconds = elapsed.inSeconds
        return outcome
    }

    private func runInProcess(_ invocation: TrainInvocation, monitor: CurveMonitor?) async -> (TrialOutcome, TrainingResult?) {
        do throws(TunekitError) {
            // With early stopping, each gbdt iteration reports the objective on the validation split.
            let metric = experiment.objective.objectiveMetricName
            var observer: FitObserver?
            if let monitor {
                observer = { @Sendable (predictions: Predictions, targets: [Double], weights: [Double]?) -> Bool in
                    guard let value = predictions.metrics(targets: targets, weights: weights)[metric], value.isFinite else { return true }
                    return monitor.report(value)
                }
            }
            let shared = invocation.sharingCores(among: experiment.parallelTrialCount)
            let metrics: ModelMetrics, bestIteration: Int?
            var fitted: TrainingResult?
            if invocation.data.crossValidates {
                // Folds run side by side: there is no single curve to report, so the trial is scored when they end.
                let result = try await Training.crossValidate(shared, cache: cache)
                (metrics, bestIteration) = (result.metrics, result.meanBestIteration)
            } else {
                let result = try await Training.run(shared, cache: cache, observer: observer)
                (metrics, bestIteration, fitted) = (result.metrics, result.model.iterationsKept, result)
            }
            // Each metric is reported once, so reduction is the identity; NaN counts as never reported.
            let records = metrics.named.filter { $0.value.isFinite }
                .map { MetricRecord(name: $0.name, value: String($0.value), timestamp: nil) }
            var reduction = MetricReduction()
            for record in records { reduction.add(record) }
            var outcome = finish(metrics: reduction.observation(objective: experiment.objective))
            outcome.bestIteration = bestIteration
            return (outcome, fitted)
        } catch {
            return (TrialOutcome(condition: .failed, metrics: [], message: error.description, seconds: 0), nil)
        }
    }

    private func runExternal(
        _ command: ExternalCommand, trial: TrialState, monitor: CurveMonitor?, started: ContinuousClock.Instant
    ) async -> TrialOutcome {
        let collector = experiment.metricsCollector
        let folder = ((runDirectory as NSString).appendingPathComponent("trials") as NSString).appendingPathComponent(trial.name)
        let fm = FileManager.default
        // A folder left by a killed attempt of this trial is replaced: the re-run starts clean.
        try? fm.removeItem(atPath: folder)
        do { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            return TrialOutcome(condition: .failed, metrics: [], message: "cannot create \(folder)", seconds: 0)
        }
        let logPath = (folder as NSString).appendingPathComponent("output.log")
        var command = command
        var metricsPath = collectorPath
        // Where this trial's metrics start in the file: a shared file (trials one at a time, checkIsolation) is never
        // truncated — it may be anything — only read from its size before the trial.
        var metricsOffset: UInt64 = 0
        if collector.kind == .file {
            if command.mentions(collectorPath) {
                metricsPath = (folder as NSString).appendingPathComponent("metrics.log")
                command = command.replacing(collectorPath, with: metricsPath)
            } else {
                metricsOffset = (try? fm.attributesOfItem(atPath: collectorPath)[.size] as? UInt64) ?? 0
            }
        }
        if collector.kind == .file, let refusal = LogFile.refusal(metricsPath) {
            return TrialOutcome(condition: .failed, metrics: [], message: refusal, seconds: 0)
        }
        var watch: TrialProcess.Watch?
        if let monitor {
            // Each objective report in the output (or the trial's metrics file) is a step.
            let objective = experiment.objective.objectiveMetricName
            let filters = collector.metricsFormat
            let json = collector.kind == .file && collector.fileFormat == .json
            watch = TrialProcess.Watch(path: collector.kind == .file ? metricsPath : logPath, offset: metricsOffset) { lines in
                let parser = try? MetricsLogParser(metricNames: [objective], filters: filters)
                let records = (json ? (try? parser?.parseJSONLines(lines)) ?? nil : parser?.parseText(lines)) ?? []
                for record in records where record.name == objective {
                    guard let value = Double(record.value), value.isFinite else { continue }
                    if !monitor.report(value) { return false }
                }
                return true
            }
        }
        let exit = await TrialProcess.run(
            command, folder: folder, logPath: logPath, timeout: timeout, groups: processes, watch: watch)
        switch exit {
        case .couldNotStart(let reason):
            return TrialOutcome(condition: .failed, metrics: [], message: "cannot start \(command.words.first ?? ""): \(reason)", seconds: 0)
        case .timedOut(let seconds):
            return TrialOutcome(
                condition: .failed, metrics: [], message: "killed after the trial deadline of \(Int(seconds)) s", seconds: 0)
        case .stoppedByWatch:
            break
        case .outputTooLarge:
            return TrialOutcome(
                condition: .failed, metrics: [], message: "stopped after writing more than \(TrialProcess.maxLogBytes >> 20) MB of output to \(logPath)",
                seconds: 0)
        case .signalled(let signal):
            return TrialOutcome(condition: .failed, metrics: [], message: "killed by signal \(signal); log: \(logPath)", seconds: 0)
        case .exited(let status) where status != 0:
            let tail = LogFile.tail(logPath, lines: 3).joined(separator: " | ")
            return TrialOutcome(condition: .failed, metrics: [], message: "exit status \(status): \(tail)", seconds: 0)
        case .exited:
            break
        }
        do {
            let parser = try MetricsLogParser(metricNames: experiment.objective.allMetricNames, filters: collector.metricsFormat)
            let source = collector.kind == .file ? metricsPath : logPath
            let start = collector.kind == .file ? metricsOffset : 0
            if let refusal = LogFile.refusal(source) { return TrialOutcome(condition: .failed, metrics: [], message: refusal, seconds: 0) }
            let json = collector.kind == .file && collector.fileFormat == .json
            // Reduced as read: memory stays a few values per metric; reading stops at the trial's deadline and at
            // the output cap (a metrics file that never ends — a FIFO, /dev/zero — cannot hold the run).
            let deadline = timeout.map { started + .seconds($0) }
            var reduction = MetricReduction()
            var chunks = LogFile.lineChunks(source, from: start, byteLimit: TrialProcess.maxLogBytes, deadline: deadline)
            while let chunk = chunks.next() {
                for record in json ? try parser.parseJSONLines(chunk) : parser.parseText(chunk) { reduction.add(record) }
            }
            if let stop = chunks.stopped {
                return TrialOutcome(condition: .failed, metrics: [], message: "metrics collection from \(source) stopped: \(stop)", seconds: 0)
            }
            return finish(metrics: reduction.observation(objective: experiment.objective))
        } catch {
            return TrialOutcome(condition: .failed, metrics: [], message: error.description, seconds: 0)
        }
    }

    /// SUCCEEDED with a numeric objective, else METRICSUNAVAILABLE (Katib §3.7).
    private func finish(metrics: [MetricValue]) -> TrialOutcome {
        let record = TrialRecord(name: "", assignments: [], condition: .succeeded, metrics: metrics)
        guard record.observedValue(of: experiment.objective.objectiveMetricName) != nil else {
            return TrialOutcome(
                condition: .metricsUnavailable, metrics: metrics,
                message: "objective metric '\(experiment.objective.objectiveMetricName)' was not reported as a finite number",
                seconds: 0)
        }
        return TrialOutcome(condition: .succeeded, metrics: metrics, message: nil, seconds: 0)
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

/// The best in-process trial's fit (the lowest index among equal objective values, as the run's best trial is chosen),
/// kept while trials run in parallel. Models are the same on any number of threads, so it is the fit publishing would
/// otherwise repeat.
public final class BestFit: Sendable {
    private let kept = Mutex<(index: Int, name: String, value: Double, result: TrainingResult)?>(nil)

    func offer(_ result: TrainingResult, trial: TrialState, value: Double, objective: ObjectiveType) {
        kept.withLock { kept in
            if let current = kept, !(objective.isBetter(value, than: current.value)
                || (value == current.value && trial.index < current.index)) { return }
            kept = (trial.index, trial.name, value, result)
        }
    }

    /// The kept fit when it is `trial`'s.
    public func result(of trial: String) -> TrainingResult? {
        kept.withLock { $0?.name == trial ? $0?.result : nil }
    }
}
