import ExperimentModel
@testable import ExperimentRunner
import Foundation
import RunAnalysis
import TestSupport
import Testing

/// `spec.earlyStopping` applied by local runs: gbdt iterations and external metric lines are the steps.
@Suite struct EarlyStoppingRunTests {
    static func experiment(csv: String, stopping: String, command: String? = nil, parallel: Int = 2) throws -> Experiment {
        let words = command ?? #"["tunekit", "train", "--trainer=gbdt", "--data=\#(csv)", "--target=y", "--num_iterations=40", "--learning_rate=${trialParameters.lr}", "--num_leaves=7"]"#
        return try Experiment.parse(text: """
            apiVersion: kubeflow.org/v1beta1
            kind: Experiment
            metadata: {name: stopping}
            spec:
              objective: {type: minimize, objectiveMetricName: rmse}
              algorithm:
                algorithmName: random
                algorithmSettings: [{name: random_state, value: "4"}]
              earlyStopping: \(stopping)
              parallelTrialCount: \(parallel)
              maxTrialCount: 8
              parameters:
                - {name: lr, parameterType: double, feasibleSpace: {min: "0.005", max: "0.5", distribution: logUniform}}
              trialTemplate:
                primaryContainerName: main
                trialParameters: [{name: lr, reference: lr}]
                trialSpec:
                  apiVersion: batch/v1
                  kind: Job
                  spec:
                    template:
                      spec:
                        containers:
                          - {name: main, image: tunekit, command: \(words)}
            """, file: "stopping.yaml")
    }

    @Test func medianStopStopsSlowGBDTTrialsDeterministically() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = directory.write("data.csv", regressionCSV(rows: 400))
        let experiment = try Self.experiment(
            csv: csv, stopping: #"{algorithmName: medianstop, algorithmSettings: [{name: min_trials_required, value: "2"}, {name: start_step, value: "5"}]}"#)
        let options = { (version: String) in
            TuningOptions(output: directory.file("out"), modelVersion: version, force: false, fallbackSeed: 1)
        }
        let first = try await TuningRun.run(experiment, options: options("a"))
        let stopped = first.trials.filter { $0.condition == .earlyStopped }
        #expect(!stopped.isEmpty, "some low learning rates fall behind the median after 5 iterations")
        #expect(stopped.allSatisfy { $0.intermediate.count == 5 && $0.record.observedValue(of: "rmse") != nil })
        #expect(first.trials.filter { $0.condition == .succeeded }.allSatisfy { $0.intermediate.count == 40 })
        // Each trial's kept iterations are recorded: the journal, the trials table (Optuna's user attribute column).
        #expect(first.trials.filter { $0.condition == .succeeded }.allSatisfy { $0.bestIteration == 40 })
        #expect(first.refit == "refitted with num_iterations=40, as the best trial ran (no early stopping)")
        let second = try await TuningRun.run(experiment, options: options("b"))
        #expect(second.trials.map(\.condition) == first.trials.map(\.condition))
        #expect(second.trials.map(\.metrics) == first.trials.map(\.metrics))
        let journal = try RunJournal.read(directory.file("out/runs/a/journal.jsonl"))
        let table = TrialTable(events: journal)
        #expect(table.columns.contains("user_attrs_best_iteration"))
        #expect(table.rows.filter { $0.condition == "SUCCEEDED" }.allSatisfy { $0.bestIteration == 40 })
        #expect(journal.filter { $0.event == .trialFinished && $0.condition == .earlyStopped }.allSatisfy { $0.intermediate?.count == 5 })
    }

    /// A trial that prints 2 MiB of padding and 20,000 reports at once, faster than the watch polls: its curve holds
    /// every report (one read takes 1 MiB; the rest used to be dropped silently).
    @Test func aCurveWrittenFasterThanItIsPolledIsReadWhole() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = try Self.experiment(
            csv: "", stopping: #"{algorithmName: medianstop, algorithmSettings: [{name: min_trials_required, value: "3"}]}"#,
            command: #"["sh", "-c", "head -c 2097152 /dev/zero | tr '\\\\0' x; echo; seq 1 20000 | sed 's/^/rmse=/'; echo lr=${trialParameters.lr}"]"#, parallel: 1)
        var options = TuningOptions(output: directory.file("out"), modelVersion: "v", force: false, fallbackSeed: 1)
        options.trialTimeout = 120
        let run = try await TuningRun.run(experiment, options: options)
        let first = try #require(run.trials.first)
        #expect(first.intermediate.count == 20_000, "\(first.intermediate.count) steps, \(first.condition), \(first.message ?? "")")
        #expect(first.intermediate.last == 20_000, "\(first.intermediate.count) steps, \(first.condition), \(first.message ?? "")")
    }

    @Test func externalTrialsAreStoppedAtTheirMetricLines() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        // rmse at line t is lr·10 + 1/t: larger learning rates are worse here; each line takes 0.1 s.
        let script = directory.write("trial.sh", """
            for t in 1 2 3 4 5 6 7 8 9 10; do
              echo "rmse=$(awk -v lr=$1 -v t=$t 'BEGIN { print lr * 10 + 1 / t }')"
              sleep 0.1
            done
            """)
        let experiment = try Self.experiment(
            csv: "", stopping: #"{algorithmName: medianstop, algorithmSettings: [{name: min_trials_required, value: "2"}, {name: start_step, value: "3"}]}"#,
            command: #"["sh", "\#(script)", "${trialParameters.lr}"]"#, parallel: 1)
        let summary = try await TuningRun.run(
            experiment, options: TuningOptions(output: directory.file("out"), modelVersion: "v1", force: false, fallbackSeed: 1))
        let stopped = summary.trials.filter { $0.condition == .earlyStopped }
        #expect(!stopped.isEmpty)
        for trial in stopped {
            #expect(trial.intermediate.count >= 3, "\(trial.intermediate)")
            #expect(trial.intermediate.count < 10, "\(trial.intermediate)")
            let log = try String(contentsOfFile: directory.file("out/runs/v1/trials/\(trial.name)/output.log"), encoding: .utf8)
            #expect(log.split(separator: "\n").count < 10, "the trial process was stopped")
        }
        #expect(summary.trials.filter { $0.condition == .succeeded }.allSatisfy { $0.intermediate.count == 10 })
    }
}
