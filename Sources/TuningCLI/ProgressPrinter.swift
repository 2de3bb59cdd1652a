import ExperimentModel
import ExperimentRunner
import Foundation
import Trainers
import TrafficData

/// Prints one line per finished trial and a final table to stderr; the summary's paths go to stdout.
struct ProgressPrinter: Sendable {
    let experiment: Experiment

    func report(_ event: RunEvent) {
        if case .resuming(let journal, let finished) = event {
            note("resuming the unfinished run in \(journal): \(finished) trial(s) already finished are taken from it")
        }
        if case .trialStarted(let trial) = event, trial.index == 0 {
            note("tuning \(experiment.name): algorithm \(experiment.algorithm.algorithmName), \(experiment.parameters.count) "
                + "parameter(s), up to \(experiment.maxTrialCount.map(String.init) ?? "all") trials, "
                + "\(experiment.parallelTrialCount) in parallel")
        }
        guard case .trialFinished(let trial) = event else { return }
        let total = experiment.maxTrialCount.map(String.init) ?? "?"
        let parameters = trial.assignments.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
        let objective = trial.metrics.first { $0.name == experiment.objective.objectiveMetricName }?.value ?? "-"
        var line = "[\(trial.index + 1)/\(total)] \(trial.name) \(trial.condition.rawValue.lowercased()) "
            + "\(experiment.objective.objectiveMetricName)=\(objective) \(parameters) (\(String(format: "%.2f", trial.seconds)) s)"
        if let message = trial.message, trial.condition != .succeeded { line += " — \(message)" }
        note(line)
    }

    func printSummary(_ summary: TuningSummary, elapsed: Duration) {
        let metric = experiment.objective.objectiveMetricName
        let ranked = summary.trials.compactMap { trial in
            trial.record.observedValue(of: metric).map { (trial, $0) }
        }.sorted { experiment.objective.type.isBetter($0.1, than: $1.1) || ($0.1 == $1.1 && $0.0.index < $1.0.index) }
        note("\nbest trials (\(metric), \(experiment.objective.type.rawValue)):")
        note(pad("rank", 5) + pad("trial", 28) + pad(metric, 14) + "parameters")
        for (rank, (trial, value)) in ranked.prefix(10).enumerated() {
            let parameters = trial.assignments.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
            note(pad("\(rank + 1)", 5) + pad(trial.name, 28) + pad(String(format: "%.6g", value), 14) + parameters)
        }
        let counts = Dictionary(grouping: summary.trials, by: \.condition).mapValues(\.count)
            .sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue.lowercased())" }
        note("\n\(summary.outcome.status) (\(summary.outcome.reason)): \(summary.trials.count) trials "
            + "(\(counts.joined(separator: ", "))) in \(String(format: "%.2f", elapsed.inSeconds)) s, seed \(summary.seed)")
        if let test = summary.test {
            note("refitted on train+validation; test " + test.named.filter(\.value.isFinite).map { "\($0.name)=\(fmt($0.value))" }.joined(separator: " "))
        }
        if let model = summary.modelDirectory, let score = summary.scorePath {
            print("model: \(model)")
            print("score: \(score)")
        }
    }

    /// After SIGINT/SIGTERM: the best trials the journal holds and how to continue.
    func printInterrupted(journal: String?, signal: String, resumeCommand: String) {
        note("\n\(signal): stopped starting trials and terminated the running ones")
        if let journal, let events = try? RunJournal.read(journal), let replay = JournalReplay(events) {
            let metric = experiment.objective.objectiveMetricName
            let ranked = replay.finished.compactMap { index, outcome -> (Int, Double)? in
                guard let text = outcome.metrics.first(where: { $0.name == metric })?.value, let value = Double(text) else { return nil }
                return (index, value)
            }.sorted { experiment.objective.type.isBetter($0.1, than: $1.1) || ($0.1 == $1.1 && $0.0 < $1.0) }
            note("\(replay.finished.count) trial(s) finished" + (ranked.isEmpty ? "" : "; best so far (\(metric), \(experiment.objective.type.rawValue)):"))
            if !ranked.isEmpty { note(pad("rank", 5) + pad("trial", 8) + pad(metric, 14) + "parameters") }
            for (rank, (index, value)) in ranked.prefix(5).enumerated() {
                let parameters = (replay.suggested[index] ?? []).map { "\($0.name)=\($0.value)" }.joined(separator: " ")
                note(pad("\(rank + 1)", 5) + pad("\(index + 1)", 8) + pad(fmt(value), 14) + parameters)
            }
            note("journal: \(journal)")
        }
        // Before the journal existed there is nothing to resume: the same command starts the run again.
        if journal == nil {
            note("run again with: \(resumeCommand.replacingOccurrences(of: " --resume", with: ""))")
        } else {
            note("resume with: \(resumeCommand)")
        }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func fmt(_ value: Double) -> String { String(format: "%.6g", value) }
}
