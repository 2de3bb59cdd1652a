import ExperimentModel
import ExperimentRunner
import Foundation
import ModelTraining
import RunAnalysis
import Synchronization
import TrafficData
import Trainers

/// Prints one line per finished trial and a final table to stderr; the summary's paths go to stdout. On a terminal a
/// live status line (trials done, running and failed of the maximum, the best so far, elapsed time and an estimate of
/// the time left) stays below the trial lines; elsewhere (CI, Katib logs) only the plain lines are written. Numbers
/// show 6 significant digits; the journal and score.json keep full precision.
final class ProgressPrinter: Sendable {
    let experiment: Experiment
    /// Whether stderr is a terminal that can redraw a line.
    let live: Bool
    private let state: Mutex<Progress>
    private let clock = ContinuousClock()

    private struct Progress {
        var started: ContinuousClock.Instant
        var done = 0, running = 0, failed = 0
        var best: (value: Double, trial: Int)?
        var statusShown = false
    }

    init(experiment: Experiment, live: Bool = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb") {
        self.experiment = experiment
        self.live = live
        state = Mutex(Progress(started: ContinuousClock().now))
    }

    func report(_ event: RunEvent) {
        var lines: [String] = []
        if case .resuming(let journal, let finished) = event {
            lines.append("resuming the unfinished run in \(journal): \(finished) trial(s) already finished are taken from it")
        }
        if case .startingFresh(let journal) = event {
            lines.append("--resume: no journal at \(journal) (the run stopped before writing one); starting the run")
        }
        if case .trialStarted(let trial) = event, trial.index == 0 {
            lines.append("tuning \(experiment.name): algorithm \(experiment.algorithm.algorithmName), \(experiment.parameters.count) "
                + "parameter(s), up to \(experiment.maxTrialCount.map(String.init) ?? "all") trials, "
                + "\(experiment.parallelTrialCount) in parallel")
        }
        let metric = experiment.objective.objectiveMetricName
        switch event {
        case .trialStarted:
            state.withLock { $0.running += 1 }
        case .trialFinished(let trial):
            let total = experiment.maxTrialCount.map(String.init) ?? "?"
            let parameters = trial.assignments.map { "\($0.name)=\(Self.short($0.value))" }.joined(separator: " ")
            let objective = trial.metrics.first { $0.name == metric }?.value
            var line = "[\(trial.index + 1)/\(total)] \(trial.name) \(trial.condition.rawValue.lowercased()) "
                + "\(metric)=\(objective.map(Self.short) ?? "-") \(parameters) (\(String(format: "%.2f", trial.seconds)) s)"
            if let message = trial.message, trial.condition != .succeeded { line += " — \(message)" }
            lines.append(TerminalText.printable(line))
            state.withLock { progress in
                progress.done += 1
                progress.running = max(0, progress.running - 1)
                if trial.condition == .failed || trial.condition == .metricsUnavailable { progress.failed += 1 }
                if trial.condition == .succeeded, let value = objective.flatMap(Double.init), value.isFinite,
                   progress.best.map({ experiment.objective.type.isBetter(value, than: $0.value) }) ?? true {
                    progress.best = (value, trial.index)
                }
            }
        case .resuming, .startingFresh:
            break
        }
        write(lines)
    }

    /// Writes lines above the status line (redrawn after them on a terminal).
    private func write(_ lines: [String], status: Bool = true) {
        var text = ""
        state.withLock { progress in
            if live, progress.statusShown { text += "\r\u{1B}[2K" }
            for line in lines { text += line + "\n" }
            progress.statusShown = live && status
            if progress.statusShown { text += statusLine(progress) }
        }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// "5/12 done (1 failed), 2 running · best rmse 133.664 (trial 10) · 7.1 s · about 9 s left"
    private func statusLine(_ progress: Progress) -> String {
        let elapsed = (clock.now - progress.started).inSeconds
        let maximum = experiment.maxTrialCount
        var line = "\(progress.done)/\(maximum.map(String.init) ?? "?") done"
        if progress.failed > 0 { line += " (\(progress.failed) failed)" }
        line += ", \(progress.running) running"
        if let best = progress.best { line += " · best \(experiment.objective.objectiveMetricName) \(Self.short(best.value)) (trial \(best.trial + 1))" }
        line += " · " + Self.duration(elapsed)
        if let maximum, progress.done > 0, progress.done < maximum {
            line += " · about " + Self.duration(elapsed / Double(progress.done) * Double(maximum - progress.done)) + " left"
        }
        return line
    }

    /// Clears the status line before the run's closing output.
    private func finishLive() { write([], status: false) }

    static func duration(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.1f s", seconds) : String(format: "%d:%02d", Int(seconds) / 60, Int(seconds) % 60)
    }

    /// A number to 6 significant digits (whole numbers as they are); other text unchanged.
    static func short(_ text: String) -> String {
        guard let value = Double(text), value.isFinite, !text.contains(where: \.isLetter) else { return text }
        return short(value)
    }

    static func short(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.6g", value)
    }

    func printSummary(_ summary: TuningSummary, elapsed: Duration) {
        finishLive()
        if summary.previouslyFinished {
            note("this run has already finished and published (pass --force to run it again); its result:")
        }
        let metric = experiment.objective.objectiveMetricName
        let ranked = summary.trials.compactMap { trial in
            trial.record.observedValue(of: metric).map { (trial, $0) }
        }.sorted { experiment.objective.type.isBetter($0.1, than: $1.1) || ($0.1 == $1.1 && $0.0.index < $1.0.index) }
        note("\nbest trials (\(metric), \(experiment.objective.type.rawValue)):")
        let rows = ranked.prefix(10).enumerated().map { rank, entry in
            [String(rank + 1), entry.0.name, Self.short(entry.1),
             entry.0.assignments.map { "\($0.name)=\(Self.short($0.value))" }.joined(separator: " ")]
        }
        for line in Self.aligned([["rank", "trial", metric, "parameters"]] + rows) { note(line) }
        let counts = Dictionary(grouping: summary.trials, by: \.condition).mapValues(\.count)
            .sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue.lowercased())" }
        let took = summary.previouslyFinished ? "" : " in \(String(format: "%.2f", elapsed.inSeconds)) s"
        note("\n\(summary.outcome.status) (\(summary.outcome.reason)): \(summary.trials.count) trials "
            + "(\(counts.joined(separator: ", ")))\(took), seed \(summary.seed)")
        if let refit = summary.refit { note(refit) }
        if let test = summary.test {
            note("test split, scored by the refitted best model: " + test.named.filter(\.value.isFinite).map { "\($0.name)=\(Self.short($0.value))" }.joined(separator: " "))
        }
        if let model = summary.modelDirectory, let score = summary.scorePath {
            print("model: \(model)")
            print("score: \(score)")
        }
    }

    /// After SIGINT/SIGTERM: the best trials the journal holds and how to continue.
    func printInterrupted(journal: String?, signal: String, resumeCommand: String) {
        finishLive()
        note("\n\(signal): stopped starting trials and terminated the running ones")
        if let journal, let events = try? RunJournal.read(journal), let replay = JournalReplay(events) {
            let metric = experiment.objective.objectiveMetricName
            let ranked = replay.finished.compactMap { index, outcome -> (Int, Double)? in
                guard let text = outcome.metrics.first(where: { $0.name == metric })?.value, let value = Double(text) else { return nil }
                return (index, value)
            }.sorted { experiment.objective.type.isBetter($0.1, than: $1.1) || ($0.1 == $1.1 && $0.0 < $1.0) }
            note("\(replay.finished.count) trial(s) finished" + (ranked.isEmpty ? "" : "; best so far (\(metric), \(experiment.objective.type.rawValue)):"))
            let rows = ranked.prefix(5).enumerated().map { rank, entry in
                [String(rank + 1), String(entry.0 + 1), Self.short(entry.1),
                 (replay.suggested[entry.0] ?? []).map { "\($0.name)=\(Self.short($0.value))" }.joined(separator: " ")]
            }
            if !rows.isEmpty { for line in Self.aligned([["rank", "trial", metric, "parameters"]] + rows) { note(line) } }
            note("journal: \(journal)")
        }
        // Before the journal existed there is nothing to resume: the same command starts the run again.
        if journal == nil {
            note("run again with: \(resumeCommand.replacingOccurrences(of: " --resume", with: ""))")
        } else {
            note("resume with: \(resumeCommand)")
        }
    }

    /// Rows as lines of left-aligned columns two spaces apart, each as wide as its widest cell.
    static func aligned(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        let rows = rows.map { $0.map(TerminalText.printable) }
        return rows.map { row in
            row.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - $1.count) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
    }
}
