import ExperimentRunner
import Foundation
import ModelArtifacts
import ModelRegistry
import ModelTraining

/// A tuning run as MLflow runs, written into an MLflow file store (`mlruns/`, as MLflow's `FileStore` lays it out;
/// `MLflowTracking` logs the same runs to a tracking server instead): the experiment,
/// one parent run per tuning run (the best trial's parameters and metrics, the refitted model's test metrics as
/// `test_<metric>`, the published model folder as the artifact `model/`, tags for the algorithm, seed, model version
/// and experiment file digest), and one nested child run per trial (`mlflow.parentRunId`; its parameters, metrics,
/// and the objective's intermediate values as the metric's history, step by step).
///
/// Ids are derived from the run (experiment name; experiment digest and version), so exporting a run again replaces
/// its runs instead of adding copies. Each run is written to a temporary folder and renamed into place.
public enum MLflowExport {
    /// MLflow's `RunStatus` numbers.
    enum Status: Int { case running = 1, finished = 3, failed = 4, killed = 5 }

    /// A tuning run as MLflow runs: the parent, one child per trial, and the published model folder (if any).
    struct Runs {
        var experimentName: String
        var parentID: String
        var parent: RunFiles
        var children: [(id: String, run: RunFiles)]
        /// The published model directory beside the journal, when the run published one.
        var model: String?
    }

    /// Reads a run's journal (and its published model's `training.json`, for every parameter the model was fitted
    /// with, fixed ones included) into MLflow runs.
    static func runs(journal: String) throws(TunekitError) -> Runs {
        let events = try RunJournal.read(journal)
        guard let start = events.first(where: { $0.event == .runStarted }) else {
            throw .artifacts("\(journal): no run-started event; nothing to export")
        }
        let table = TrialTable(events: events)
        let name = start.experiment ?? "tunekit"
        let version = start.modelVersion ?? ((journal as NSString).deletingLastPathComponent as NSString).lastPathComponent
        let runID = hexID("run", start.experimentSHA256 ?? name, version)
        let published = events.last { $0.event == .published }
        let interrupted = events.last { $0.event == .interrupted }
        let ended = published ?? interrupted
        let status: Status = published != nil ? .finished : (interrupted != nil ? .killed : .running)
        // The model beside this journal (`<output>/runs/<V>/journal.jsonl` → `<output>/model/<V>`), not the path the
        // journal recorded: an output folder moved or copied elsewhere must not export another folder's model.
        let output = (((journal as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent as NSString)
            .deletingLastPathComponent
        let modelPath = ((output as NSString).appendingPathComponent("model") as NSString).appendingPathComponent(version)
        let model = published != nil && FileManager.default.fileExists(atPath: modelPath) ? modelPath : nil

        // The parent: the best finished trial's parameters and metrics, the test metrics, the model folder.
        let best = bestRow(table, maximize: start.objectiveGoal == "maximize")
        var parent = RunFiles(name: version, start: JournalTime.millis(start.time), end: ended.map { JournalTime.millis($0.time) }, status: status)
        parent.tags = [("tunekit.model_version", version), ("tunekit.experiment_sha256", start.experimentSHA256 ?? "")]
        if let algorithm = start.algorithm { parent.tags.append(("tunekit.algorithm", algorithm)) }
        if let seed = start.seed { parent.tags.append(("tunekit.seed", String(seed))) }
        if let best {
            parent.tags.append(("tunekit.best_trial", best.name))
            parent.params = table.parameterNames.compactMap { key in best.parameters[key].map { (key, $0) } }
            let time = best.complete.map(JournalTime.millis) ?? parent.start
            if let objective = table.objectiveMetric, let value = best.value { parent.metrics.append((objective, [(time, value, 0)])) }
            for key in table.metricNames { if let value = best.metrics[key] { parent.metrics.append((key, [(time, value, 0)])) } }
        }
        if let model, let served = try? ModelBundle.loadVersion(directory: model) {
            // Every parameter the published model was fitted with (the refit's, fixed ones included) over the best
            // trial's, and the trainer.
            let tuned = Dictionary(parent.params) { a, _ in a }
            let fitted = served.record.parameters.merging(tuned) { recorded, _ in recorded }
            parent.params = fitted.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            parent.tags.append(("tunekit.trainer", served.record.trainer))
        }
        for (key, value) in (published?.test ?? [:]).sorted(by: { $0.key < $1.key }) {
            parent.metrics.append(("test_\(key)", [(parent.end ?? parent.start, value, 0)]))
        }

        var children: [(id: String, run: RunFiles)] = []
        for row in table.rows {
            let status: Status = switch row.state {
            case "COMPLETE", "PRUNED": .finished
            case "RUNNING", "WAITING": .running
            default: row.condition == "KILLED" ? .killed : .failed
            }
            let begin = row.start.map(JournalTime.millis) ?? parent.start, end = row.complete.map(JournalTime.millis)
            var child = RunFiles(name: row.name, start: begin, end: end, status: status)
            child.tags = [("mlflow.parentRunId", runID), ("tunekit.trial", String(row.number)), ("tunekit.condition", row.condition)]
            child.params = table.parameterNames.compactMap { key in row.parameters[key].map { (key, $0) } }
            let time = end ?? begin
            if let objective = table.objectiveMetric {
                var history = (row.intermediate ?? []).enumerated().map { (time, $1, $0 + 1) }
                if let value = row.value { history.append((time, value, history.count + 1)) }
                if !history.isEmpty { child.metrics.append((objective, history)) }
            }
            for key in table.metricNames { if let value = row.metrics[key] { child.metrics.append((key, [(time, value, 0)])) } }
            if let best = row.bestIteration { child.metrics.append(("best_iteration", [(time, Double(best), 0)])) }
            children.append((hexID("trial", runID, String(row.number)), child))
        }
        return Runs(experimentName: name, parentID: runID, parent: parent, children: children, model: model)
    }

    /// Exports the run whose journal is at `journal` into the file store at `store`; returns the experiment and
    /// parent run ids.
    public static func export(journal: String, to store: String) throws(TunekitError) -> (experimentID: String, runID: String) {
        let runs = try runs(journal: journal)
        let root = URL(fileURLWithPath: store).standardizedFileURL.path
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let experimentID = try experiment(named: runs.experimentName, in: root)
            let experimentDirectory = (root as NSString).appendingPathComponent(experimentID)
            try write(runs.parent, id: runs.parentID, experimentID: experimentID, in: experimentDirectory, model: runs.model)
            for (id, child) in runs.children {
                try write(child, id: id, experimentID: experimentID, in: experimentDirectory, model: nil)
            }
            return (experimentID, runs.parentID)
        } catch let error as TunekitError {
            throw error
        } catch {
            throw .artifacts("\(store): cannot write the MLflow store: \(error.localizedDescription)")
        }
    }

    /// One run's files.
    struct RunFiles {
        var name: String
        var start: Int64
        var end: Int64?
        var status: Status
        var tags: [(String, String)] = []
        var params: [(String, String)] = []
        /// Per metric: (timestamp ms, value, step) in order.
        var metrics: [(String, [(Int64, Double, Int)])] = []
    }

    /// The best succeeded trial by the objective (ties: the earliest), as the run chose it (journals without the
    /// goal's direction are taken as minimising).
    private static func bestRow(_ table: TrialTable, maximize: Bool) -> TrialTable.Row? {
        let finished = table.rows.filter { $0.state == "COMPLETE" && $0.value.map(\.isFinite) == true }
        return maximize
            ? finished.max { $0.value! < $1.value! || ($0.value! == $1.value! && $0.number > $1.number) }
            : finished.min { $0.value! < $1.value! || ($0.value! == $1.value! && $0.number < $1.number) }
    }

    /// The id of the experiment with this name, creating it (and MLflow's `Default` experiment 0) when absent.
    private static func experiment(named name: String, in root: String) throws -> String {
        let fm = FileManager.default
        for entry in (try? fm.contentsOfDirectory(atPath: root)) ?? [] where entry.allSatisfy(\.isNumber) {
            let meta = ((root as NSString).appendingPathComponent(entry) as NSString).appendingPathComponent("meta.yaml")
            guard let text = try? String(contentsOfFile: meta, encoding: .utf8) else { continue }
            if text.split(separator: "\n").contains(where: { $0 == "name: \(yamlString(name))" }) { return entry }
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        if !fm.fileExists(atPath: (root as NSString).appendingPathComponent("0")) {
            try writeExperiment(id: "0", name: "Default", root: root, time: now)
        }
        // A numeric id from the name (MLflow's are numeric strings).
        let digest = SHA256.hex(Data("experiment\u{0}\(name)".utf8))
        let id = String(UInt64(digest.prefix(15), radix: 16)! % 900_000_000_000_000_000 + 100_000_000_000_000_000)
        try writeExperiment(id: id, name: name, root: root, time: now)
        return id
    }

    private static func writeExperiment(id: String, name: String, root: String, time: Int64) throws {
        let directory = (root as NSString).appendingPathComponent(id)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let meta = """
            artifact_location: \(yamlString(URL(fileURLWithPath: directory).absoluteString))
            creation_time: \(time)
            experiment_id: '\(id)'
            last_update_time: \(time)
            lifecycle_stage: active
            name: \(yamlString(name))

            """
        try Durable.replace((directory as NSString).appendingPathComponent("meta.yaml"), with: Data(meta.utf8))
    }

    /// Writes a run into a temporary folder beside its place, then swaps it in (replacing an earlier export).
    private static func write(_ run: RunFiles, id: String, experimentID: String, in experimentDirectory: String, model: String?) throws {
        let fm = FileManager.default
        let final = (experimentDirectory as NSString).appendingPathComponent(id)
        let staging = (experimentDirectory as NSString).appendingPathComponent(".\(id).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(atPath: staging)
        for folder in ["metrics", "params", "tags", "artifacts"] {
            try fm.createDirectory(atPath: (staging as NSString).appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        func put(_ relative: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: (staging as NSString).appendingPathComponent(relative)))
        }
        let meta = """
            artifact_uri: \(yamlString(URL(fileURLWithPath: final).appendingPathComponent("artifacts").absoluteString))
            end_time: \(run.end.map(String.init) ?? "null")
            entry_point_name: ''
            experiment_id: '\(experimentID)'
            lifecycle_stage: active
            run_id: \(id)
            run_name: \(yamlString(run.name))
            source_name: ''
            source_type: 4
            source_version: ''
            start_time: \(run.start)
            status: \(run.status.rawValue)
            tags: []
            user_id: tunekit

            """
        try put("meta.yaml", meta)
        for (key, value) in [("mlflow.runName", run.name)] + run.tags { try put("tags/\(safeKey(key))", value) }
        for (key, value) in run.params { try put("params/\(safeKey(key))", value) }
        for (key, points) in run.metrics {
            try put("metrics/\(safeKey(key))", points.map { "\($0.0) \(String($0.1)) \($0.2)\n" }.joined())
        }
        if let model {
            try fm.copyItem(atPath: model, toPath: (staging as NSString).appendingPathComponent("artifacts/model"))
        }
        if fm.fileExists(atPath: final) { try fm.removeItem(atPath: final) }
        try fm.moveItem(atPath: staging, toPath: final)
    }

    /// MLflow keys are file names: path separators and leading dots are replaced.
    static func safeKey(_ key: String) -> String {
        let replaced = String(key.map { $0 == "/" || $0 == "\\" || $0 == "\0" ? "_" : $0 })
        return replaced.hasPrefix(".") ? "_" + replaced.dropFirst() : replaced
    }

    /// A YAML single-quoted scalar.
    static func yamlString(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    /// 32 hex digits (MLflow's run id shape) from the parts.
    static func hexID(_ parts: String...) -> String { String(SHA256.hex(Data(parts.joined(separator: "\u{0}").utf8)).prefix(32)) }

}
