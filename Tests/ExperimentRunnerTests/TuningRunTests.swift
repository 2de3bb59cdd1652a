import ExperimentModel
@testable import ExperimentRunner
import Foundation
import ModelRegistry
import ModelTraining
import Synchronization
import TestSupport
import Testing
import Trainers

/// Local tuning runs end to end on a small CSV, in process and with child-process trials.
@Suite struct TuningRunTests {
    static func experiment(
        csv: String, algorithm: String = "random", maxTrials: Int = 6, parallel: Int = 2, maxFailed: Int? = 3,
        goal: String = "", command: [String]? = nil
    ) throws -> Experiment {
        let words = command ?? [
            "tunekit", "train", "--trainer=ridge", "--data=\(csv)", "--target=y", "--test-fraction=0.2",
            "--alpha=${trialParameters.alpha}",
        ]
        let yaml = """
            apiVersion: kubeflow.org/v1beta1
            kind: Experiment
            metadata:
              name: local-run
            spec:
              objective:
                type: minimize
                objectiveMetricName: rmse
                \(goal)
                additionalMetricNames: [mae]
              algorithm:
                algorithmName: \(algorithm)
                algorithmSettings:
                  - name: random_state
                    value: "5"
              parallelTrialCount: \(parallel)
              maxTrialCount: \(maxTrials)
              \(maxFailed.map { "maxFailedTrialCount: \($0)" } ?? "")
              parameters:
                - name: alpha
                  parameterType: double
                  feasibleSpace: {min: "0.01", max: "100", distribution: logUniform}
              trialTemplate:
                primaryContainerName: main
                trialParameters:
                  - name: alpha
                    reference: alpha
                trialSpec:
                  apiVersion: batch/v1
                  kind: Job
                  spec:
                    template:
                      spec:
                        containers:
                          - name: main
                            image: tunekit
                            command: [\(words.map { "\"\($0)\"" }.joined(separator: ", "))]
            """
        return try Experiment.parse(text: yaml, file: "local.yaml")
    }

    static func options(_ directory: TemporaryDirectory, version: String = "v1", force: Bool = false) -> TuningOptions {
        TuningOptions(output: directory.file("out"), modelVersion: version, force: force, fallbackSeed: 1)
    }

    @Test func inProcessRunPublishesTheBestModelDeterministically() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = directory.write("data.csv", regressionCSV(rows: 200))
        let experiment = try Self.experiment(csv: csv)
        let summary = try await TuningRun.run(experiment, options: Self.options(directory))
        #expect(summary.trials.count == 6)
        #expect(summary.trials.allSatisfy { $0.condition == .succeeded })
        #expect(summary.outcome == .maxTrialsReached)
        let best = try #require(summary.best)
        let bestValue = best.record.observedValue(of: "rmse")!
        #expect(summary.trials.allSatisfy { $0.record.observedValue(of: "rmse")! >= bestValue })
        let test = try #require(summary.test)
        #expect(try #require(test["r2"]) > 0.95)

        let score = try Data(contentsOf: URL(fileURLWithPath: directory.file("out/artifact/v1/score.json")))
        let report = try JSONDecoder().decode(ScoreReport.self, from: score)
        #expect(report.bestTrial?.name == best.name)
        #expect(report.trials?.count == 6)
        #expect(report.fittedOn == "train+validation")
        // The best trial's own fit is what is published as its validation score (not fitted a second time).
        #expect(report.validation?["rmse"] == bestValue)
        #expect(report.data?.trainRows == 120)
        #expect(report.data?.validationRows == 40)
        #expect(report.data?.testRows == 40)

        // Same seed, same data: the same bytes under another version.
        _ = try await TuningRun.run(experiment, options: Self.options(directory, version: "v2"))
        let again = try Data(contentsOf: URL(fileURLWithPath: directory.file("out/artifact/v2/score.json")))
        #expect(String(decoding: again, as: UTF8.self).replacingOccurrences(of: "\"v2\"", with: "\"v1\"")
            == String(decoding: score, as: UTF8.self))
        let model1 = try Data(contentsOf: URL(fileURLWithPath: directory.file("out/model/v1/model.json")))
        let model2 = try Data(contentsOf: URL(fileURLWithPath: directory.file("out/model/v2/model.json")))
        #expect(model1 == model2)

        // Run again, the finished run answers with its result; another experiment's run of that version is refused
        // before any trial runs.
        let rerun = try await TuningRun.run(experiment, options: Self.options(directory))
        #expect(rerun.previouslyFinished)
        #expect(rerun.best?.name == best.name)
        #expect(rerun.trials.count == 6)
        var other = Self.options(directory)
        other.experimentSHA256 = "another experiment file"
        await #expect(throws: TunekitError.self) { try await TuningRun.run(experiment, options: other) }

        // The published model predicts the CSV.
        let predicted = try ModelBundle.predict(directory: directory.file("out/model/v1"), input: csv)
        #expect(predicted.predictions.values.count == 200 && predicted.columns.map(\.name) == ["prediction"])
    }

    @Test func childProcessTrialsAreReadFromStdOut() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = try Self.experiment(
            csv: "", maxTrials: 3, command: ["sh", "-c", "echo epoch 1 rmse=${trialParameters.alpha} mae=1; echo done"])
        let summary = try await TuningRun.run(experiment, options: Self.options(directory))
        #expect(summary.trials.allSatisfy { $0.condition == .succeeded })
        let best = try #require(summary.best)
        #expect(Double(best.metrics.first!.value) == Double(best.assignments[0].value))
        #expect(best.metrics.map(\.name) == ["rmse", "mae"])
        #expect(summary.modelDirectory == nil, "external trials publish no model")
    }

    @Test func failingTrialsStopTheExperimentAtMaxFailedTrialCount() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let failing = try Self.experiment(csv: "", maxTrials: 6, parallel: 1, maxFailed: 2, command: ["sh", "-c", "exit 3 # ${trialParameters.alpha}"])
        await #expect {
            try await TuningRun.run(failing, options: Self.options(directory))
        } throws: { error in
            "\(error)".contains("2 trial(s) failed or reported no metrics (maxFailedTrialCount 2)")
        }
        let noMetrics = try Self.experiment(csv: "", maxTrials: 2, parallel: 1, maxFailed: nil, command: ["sh", "-c", "echo rmse=nan ${trialParameters.alpha}"])
        await #expect {
            try await TuningRun.run(noMetrics, options: Self.options(directory))
        } throws: { error in
            "\(error)".contains("no trial reported the objective metric 'rmse'")
        }
    }

    @Test func goalStopsTheRunEarly() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = try Self.experiment(
            csv: "", maxTrials: 20, parallel: 1, goal: "goal: 1000", command: ["sh", "-c", "echo rmse=${trialParameters.alpha}"])
        let summary = try await TuningRun.run(experiment, options: Self.options(directory))
        #expect(summary.outcome == .goalReached)
        #expect(summary.trials.count == 1)
    }

    @Test func brokenTemplatesFailOnceBeforeAnyTrial() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = directory.write("data.csv", regressionCSV(rows: 50))
        let typo = try Self.experiment(csv: csv, command: ["tunekit", "train", "--data=\(csv)", "--target=y", "--alpah=${trialParameters.alpha}"])
        await #expect {
            try await TuningRun.run(typo, options: Self.options(directory))
        } throws: { error in
            "\(error)".contains("parameter 'alpah': unknown")
        }
        let missing = try Self.experiment(csv: directory.file("nope.csv"))
        await #expect { try await TuningRun.run(missing, options: Self.options(directory)) } throws: { "\($0)".contains("no such file") }
    }
}

@Suite struct DeterministicParallelRunTests {
    /// Parallel trials finishing in a different order (their sleep depends on a tuned parameter, mapped differently in
    /// the two runs) must not change what TPE suggests next.
    @Test func parallelTPERunsDoNotDependOnFinishOrder() async throws {
        let commands = [
            "sleep ${trialParameters.delay}; echo rmse=${trialParameters.x}",
            "case ${trialParameters.delay} in 0.15) d=0;; 0) d=0.15;; *) d=0.05;; esac; sleep $d; echo rmse=${trialParameters.x}",
        ]
        var runs: [[String]] = []
        for (round, command) in commands.enumerated() {
            let experiment = try Experiment.parse(text: Self.yaml(command: command), file: "order.yaml")
            let directory = TemporaryDirectory()
            defer { directory.remove() }
            let summary = try await TuningRun.run(
                experiment, options: TuningOptions(output: directory.path, modelVersion: "v\(round)", force: false, fallbackSeed: 1))
            runs.append(summary.trials.map { $0.assignments.map(\.value).joined(separator: ",") })
        }
        #expect(runs[0].count == 9)
        #expect(runs[0] == runs[1])
    }

    /// A slow trial does not idle the other slot: with 2 slots and trial 0 sleeping, trials 1 and 2 run (trial 2
    /// suggested without results, as trial 0 and 1 count as running) before trial 0 is recorded; trial 3 waits for it.
    @Test func aSlowTrialDoesNotHoldTheOtherSlot() async throws {
        // random_state 60 draws delays 1.5, 0, 0, 0 for trials 0–3 (checked below).
        let yaml = Self.yaml(
            command: "sleep ${trialParameters.delay}; echo rmse=${trialParameters.x}", algorithm: "random", seed: 60,
            parallel: 2, maxTrials: 4, delays: ["1.5", "0"])
        let experiment = try Experiment.parse(text: yaml, file: "slow.yaml")
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let events = Mutex<[String]>([])
        let summary = try await TuningRun.run(
            experiment, options: TuningOptions(output: directory.path, modelVersion: "v1", force: false, fallbackSeed: 1)
        ) { event in
            switch event {
            case .trialStarted(let trial): events.withLock { $0.append("start \(trial.index)") }
            case .trialFinished(let trial): events.withLock { $0.append("finish \(trial.index)") }
            case .resuming, .startingFresh: break
            }
        }
        try #require(summary.trials.map { $0.assignments[1].value } == ["1.5", "0", "0", "0"])
        let order = events.withLock { $0 }
        let startedTwo = try #require(order.firstIndex(of: "start 2")), finishedZero = try #require(order.firstIndex(of: "finish 0"))
        let startedThree = try #require(order.firstIndex(of: "start 3"))
        #expect(startedTwo < finishedZero, "\(order)")
        #expect(finishedZero < startedThree, "trial 3 is suggested from trial 0's result: \(order)")
    }

    static func yaml(
        command: String, algorithm: String = "tpe", seed: Int = 11, parallel: Int = 3, maxTrials: Int = 9,
        delays: [String] = ["0.15", "0", "0.05"]
    ) -> String {
        """
            apiVersion: kubeflow.org/v1beta1
            kind: Experiment
            metadata:
              name: out-of-order
            spec:
              objective: {type: minimize, objectiveMetricName: rmse}
              algorithm:
                algorithmName: \(algorithm)
                algorithmSettings: [{name: random_state, value: "\(seed)"}\(algorithm == "tpe" ? ", {name: n_startup_trials, value: \"3\"}" : "")]
              parallelTrialCount: \(parallel)
              maxTrialCount: \(maxTrials)
              parameters:
                - name: x
                  parameterType: double
                  feasibleSpace: {min: "0", max: "10"}
                - name: delay
                  parameterType: categorical
                  feasibleSpace: {list: [\(delays.map { "\"\($0)\"" }.joined(separator: ", "))]}
              trialTemplate:
                primaryContainerName: main
                trialParameters:
                  - {name: x, reference: x}
                  - {name: delay, reference: delay}
                trialSpec:
                  apiVersion: batch/v1
                  kind: Job
                  spec:
                    template:
                      spec:
                        containers:
                          - name: main
                            image: tunekit
                            command: [sh, -c, "\(command)"]
            """
    }
}
