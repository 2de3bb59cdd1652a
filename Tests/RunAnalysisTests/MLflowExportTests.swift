import ExperimentModel
import ExperimentRunner
import Foundation
@testable import RunAnalysis
import TestSupport
import Testing

@Suite struct MLflowExportTests {
    /// A journal with an early-stopped trial's curve, a failed trial and a published model: the store holds the
    /// experiment, a parent run with the best trial's parameters and the test metrics, a child per trial with the
    /// objective's history step by step; exporting again replaces the runs instead of adding copies.
    @Test func writesMLflowsFileStoreLayout() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        // The model is the one beside the journal (out/model/v1), not the folder the journal recorded: the output may
        // have moved since, and the recorded path may now hold another model.
        for folder in ["out/model/v1", "out/runs/v1", "elsewhere"] {
            try FileManager.default.createDirectory(atPath: directory.file(folder), withIntermediateDirectories: true)
        }
        _ = directory.write("out/model/v1/model.txt", "tree\n")
        _ = directory.write("elsewhere/other.txt", "another model\n")
        let model = directory.file("elsewhere")
        typealias T = TrialTableTests
        let events: [JournalEvent] = [
            T.event(.runStarted) {
                ($0.experiment, $0.objectiveMetric, $0.objectiveGoal, $0.algorithm, $0.seed, $0.modelVersion, $0.experimentSHA256)
                    = ("it's: an experiment", "auc", "maximize", "tpe", 7, "v1", "abc")
            },
            T.suggested(0, [("lr", "0.1")]), T.event(.trialStarted, trial: 0),
            T.finished(0, .succeeded, [("auc", "0.9"), ("logloss", "0.3")], intermediate: [0.7, 0.85, 0.9]),
            T.suggested(1, [("lr", "0.5")]), T.event(.trialStarted, trial: 1),
            T.finished(1, .failed, []),
            T.suggested(2, [("lr", "0.2")]), T.event(.trialStarted, trial: 2),
            T.finished(2, .succeeded, [("auc", "0.8"), ("logloss", "0.4")]),
            T.event(.published) { ($0.modelDirectory, $0.test) = (model, ["auc": 0.88]) },
        ]
        let journal = directory.write("out/runs/v1/journal.jsonl", try events.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n")
        let store = directory.file("mlruns")
        let (experiment, run) = try MLflowExport.export(journal: journal, to: store)
        let experimentMeta = try String(contentsOfFile: "\(store)/\(experiment)/meta.yaml", encoding: .utf8)
        #expect(experimentMeta.contains("name: 'it''s: an experiment'\n"))
        #expect(experimentMeta.contains("experiment_id: '\(experiment)'"))
        #expect(FileManager.default.fileExists(atPath: "\(store)/0/meta.yaml"), "MLflow's Default experiment")
        let parent = "\(store)/\(experiment)/\(run)"
        #expect(try String(contentsOfFile: "\(parent)/params/lr", encoding: .utf8) == "0.1", "the best trial by maximised auc")
        #expect(try String(contentsOfFile: "\(parent)/metrics/test_auc", encoding: .utf8).hasSuffix(" 0.88 0\n"))
        #expect(try String(contentsOfFile: "\(parent)/tags/tunekit.algorithm", encoding: .utf8) == "tpe")
        #expect(try String(contentsOfFile: "\(parent)/meta.yaml", encoding: .utf8).contains("status: 3\n"))
        #expect(FileManager.default.fileExists(atPath: "\(parent)/artifacts/model/model.txt"))
        #expect(!FileManager.default.fileExists(atPath: "\(parent)/artifacts/model/other.txt"))
        let runs = try FileManager.default.contentsOfDirectory(atPath: "\(store)/\(experiment)").filter { $0.count == 32 }
        #expect(runs.count == 4)
        let first = try #require(runs.first { (try? String(contentsOfFile: "\(store)/\(experiment)/\($0)/tags/tunekit.trial", encoding: .utf8)) == "0" })
        let history = try String(contentsOfFile: "\(store)/\(experiment)/\(first)/metrics/auc", encoding: .utf8).split(separator: "\n")
        #expect(history.map { $0.split(separator: " ").dropFirst().joined(separator: " ") } == ["0.7 1", "0.85 2", "0.9 3", "0.9 4"])
        let failed = try #require(runs.first { (try? String(contentsOfFile: "\(store)/\(experiment)/\($0)/tags/tunekit.trial", encoding: .utf8)) == "1" })
        #expect(try String(contentsOfFile: "\(store)/\(experiment)/\(failed)/meta.yaml", encoding: .utf8).contains("status: 4\n"))
        // Again: same ids, replaced in place.
        let again = try MLflowExport.export(journal: journal, to: store)
        #expect(again == (experiment, run))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(store)/\(experiment)").filter { $0.count == 32 }.count == 4)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(store)/\(experiment)").allSatisfy { !$0.contains(".tmp-") })
    }
}
