public import ExperimentModel
import Foundation
import ModelArtifacts
import ModelTraining
import StrictJSON
import SuggestionAlgorithms
import Trainers

/// `tune --enqueue FILE`: known-good settings evaluated first, as Optuna's `enqueue_trial` — a JSON list of objects of
/// parameter → value, e.g. `[{"learning_rate": 0.1, "num_leaves": 31}]`. Each object must give every parameter a value
/// inside its feasible space; the algorithm then suggests the trials after them, seeing their results as history.
public enum EnqueuedTrials {
    /// Largest file read.
    static let maxBytes = 4 << 20

    public static func read(_ path: String, experiment: Experiment, maxTrials: Int) throws(TunekitError) -> [[ParameterAssignment]] {
        let data: Data
        do { data = try SmallFile.read(path, limit: maxBytes) } catch {
            throw .invalidArguments("\(path): cannot be read (at most \(maxBytes >> 20) MB)")
        }
        guard let entries = (try? JSONValue.parse(data))?.arrayValue else {
            throw .invalidArguments(#"\#(path): not a JSON list of objects such as [{"learning_rate": 0.1, "num_leaves": 31}]"#)
        }
        guard entries.count <= maxTrials else {
            throw .invalidArguments("\(path): \(entries.count) trials to enqueue, more than the experiment's \(maxTrials)")
        }
        if let algorithm = try? SuggestionService.makeAlgorithm(for: experiment), algorithm.contextSpace != nil {
            throw .invalidArguments("--enqueue: \(experiment.algorithm.algorithmName) schedules its own trials; enqueue with a sampling algorithm (random, tpe, …)")
        }
        let space = experiment.searchSpace
        let names = Set(space.names)
        return try entries.enumerated().map { index, entry throws(TunekitError) in
            guard let object = entry.objectValue else {
                throw .invalidArguments("\(path): entry \(index + 1) is not an object of parameter: value")
            }
            if let unknown = object.keys.sorted().first(where: { !names.contains($0) }) {
                throw .invalidArguments("\(path): entry \(index + 1) names '\(unknown)', which is not a parameter (\(space.names.joined(separator: ", ")))")
            }
            let assignments = try object.map { name, value throws(TunekitError) in
                ParameterAssignment(name: name, value: try text(value, entry: index + 1, name: name, path: path))
            }
            guard let point = space.point(from: assignments) else {
                let missing = space.names.filter { object[$0] == nil }
                throw .invalidArguments(
                    missing.isEmpty
                        ? "\(path): entry \(index + 1) has a value outside its parameter's feasible space"
                        : "\(path): entry \(index + 1) gives no value for \(missing.joined(separator: ", "))")
            }
            return space.assignments(for: point)
        }
    }

    private static func text(_ value: JSONValue, entry: Int, name: String, path: String) throws(TunekitError) -> String {
        switch value {
        case .string(let text): return text
        case .number(let number): return DataTable.format(number)
        default: throw .invalidArguments("\(path): entry \(entry), \(name): a value is a string or a number")
        }
    }
}

/// `tune --warm-start OUTPUT[:VERSION]`: an earlier run's finished trials as the algorithm's history, so a new run
/// starts where it left off; they are not run again and do not count against `maxTrialCount`.
public enum WarmStart {
    /// The journal of `OUTPUT`'s run `VERSION` (default: the run whose journal changed last) and its finished trials
    /// whose assignments fit this experiment's search space (others are left out, counted in the second value).
    public static func read(
        _ reference: String, experiment: Experiment
    ) throws(TunekitError) -> (journal: String, trials: [TrialRecord], skipped: Int) {
        if let algorithm = try? SuggestionService.makeAlgorithm(for: experiment), algorithm.contextSpace != nil {
            throw .invalidArguments("--warm-start: \(experiment.algorithm.algorithmName) schedules its own trials; warm-start a sampling algorithm (random, tpe, …)")
        }
        let parts = reference.split(separator: ":", maxSplits: 1).map(String.init)
        let output = parts[0], version = parts.count > 1 ? parts[1] : nil
        let runs = (output as NSString).appendingPathComponent("runs")
        let chosen: String
        if let version {
            chosen = version
        } else {
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).compactMap { name -> (String, Date)? in
                let journal = ((runs as NSString).appendingPathComponent(name) as NSString).appendingPathComponent("journal.jsonl")
                guard let date = (try? FileManager.default.attributesOfItem(atPath: journal))?[.modificationDate] as? Date else { return nil }
                return (name, date)
            }
            guard let latest = versions.max(by: { ($0.1, $0.0) < ($1.1, $1.0) }) else {
                throw .invalidArguments("--warm-start \(reference): no run journal under \(runs)")
            }
            chosen = latest.0
        }
        let journal = ((runs as NSString).appendingPathComponent(chosen) as NSString).appendingPathComponent("journal.jsonl")
        guard FileManager.default.fileExists(atPath: journal) else { throw .invalidArguments("--warm-start \(reference): no \(journal)") }
        guard let replay = try JournalReplay.load(journal) else { throw .invalidArguments("\(journal): no run-started event") }
        var trials: [TrialRecord] = [], skipped = 0
        for index in replay.finished.keys.sorted() {
            guard let outcome = replay.finished[index], let assignments = replay.suggested[index] else { continue }
            guard experiment.searchSpace.point(from: assignments) != nil else {
                skipped += 1
                continue
            }
            trials.append(TrialRecord(
                name: "warm-start-\(index)", assignments: assignments, condition: outcome.condition, metrics: outcome.metrics))
        }
        return (journal, trials, skipped)
    }
}
