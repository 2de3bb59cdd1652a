import ExperimentModel
@testable import ExperimentRunner
import Foundation
import ModelTraining
import TestSupport
import Testing

/// Trials that are child processes: each in its own folder with its own log and metrics file, its container env and
/// Katib's metadata substituted, a deadline, and nothing left running when it ends.
@Suite struct ExternalTrialTests {
    static func experiment(
        command: String, parallel: Int = 2, maxTrials: Int = 4, collector: String = "", extraTemplate: String = "",
        env: String = "", trialParameters: String = "", jobSpec: String = ""
    ) throws -> Experiment {
        try Experiment.parse(text: """
            apiVersion: kubeflow.org/v1beta1
            kind: Experiment
            metadata:
              name: external
            spec:
              objective: {type: minimize, objectiveMetricName: loss}
              algorithm:
                algorithmName: random
                algorithmSettings: [{name: random_state, value: "3"}]
              parallelTrialCount: \(parallel)
              maxTrialCount: \(maxTrials)
              \(collector)
              parameters:
                - {name: x, parameterType: int, feasibleSpace: {min: "1", max: "1000"}}
              trialTemplate:
                primaryContainerName: main
                trialParameters:
                  - {name: x, reference: x}
                  \(trialParameters)
                trialSpec:
                  apiVersion: batch/v1
                  kind: Job
                  metadata:
                    labels: {team: seoul}
                  spec:
                    \(jobSpec)
                    template:
                      spec:
                        containers:
                          - name: main
                            image: tunekit
                            command: ["sh", "-c", \(command)]
                            \(env)
            """, file: "external.yaml")
    }

    static func options(_ directory: TemporaryDirectory) -> TuningOptions {
        TuningOptions(output: directory.file("out"), modelVersion: "v1", force: false, fallbackSeed: 1)
    }

    /// A trial printing a million metric lines: reduced as read (the objective's strategy, min here), not kept line by
    /// line.
    @Test func aMillionMetricLinesAreReducedAsTheyAreRead() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = try Self.experiment(
            command: #""yes loss=5000 | head -n 1000000; echo loss=${trialParameters.x}; echo loss=4000""#, parallel: 1, maxTrials: 1)
        let summary = try await TuningRun.run(experiment, options: Self.options(directory))
        let trial = try #require(summary.trials.first)
        #expect(trial.condition == .succeeded, "\(trial)")
        #expect(trial.metrics.map(\.name) == ["loss"] && trial.metrics.first.flatMap { Double($0.value) } == Double(trial.assignments[0].value))
    }

    /// A File collector pointed at a device that never ends fails the trial at once instead of reading forever.
    @Test func aMetricsFileThatIsNotAFileFailsTheTrial() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = try Self.experiment(
            command: #""echo loss=${trialParameters.x}""#, parallel: 1, maxTrials: 1,
            collector: "metricsCollectorSpec: {collector: {kind: File}, source: {fileSystemPath: {path: /dev/zero, kind: File}}}")
        await #expect(throws: TunekitError.self) { try await TuningRun.run(experiment, options: Self.options(directory)) }
        let journal = try RunJournal.read(directory.file("out/runs/v1/journal.jsonl"))
        let finished = try #require(journal.first { $0.event == .trialFinished })
        #expect(finished.condition == .failed, "\(finished)")
        #expect(finished.message?.contains("/dev/zero is not a regular file") == true, "\(finished)")
    }

    /// Parallel trials each write the collector path named in their command: each reads back its own value.
    @Test func fileCollectorGivesEachParallelTrialItsOwnFile() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let shared = directory.file("katib/metrics.log")
        let experiment = try Self.experiment(
            command: #""sleep 0.1; echo loss=${trialParameters.x} >> \#(shared)""#,
            collector: "metricsCollectorSpec: {collector: {kind: File}, source: {fileSystemPath: {path: \(shared), kind: File}}}")
        let summary = try await TuningRun.run(experiment, options: Self.options(directory))
        #expect(summary.trials.count == 4)
        for trial in summary.trials {
            #expect(trial.condition == .succeeded)
            #expect(trial.metrics.first.flatMap { Double($0.value) } == Double(trial.assignments[0].value), "trial \(trial.name) read another trial's metric")
            #expect(FileManager.default.fileExists(atPath: directory.file("out/runs/v1/trials/\(trial.name)/metrics.log")))
        }
        #expect(!FileManager.default.fileExists(atPath: shared), "the shared path was never written")
        #expect(FileManager.default.fileExists(atPath: directory.file("out/artifact/v1/score.json")), "external runs publish score.json")
    }

    /// A fixed path the command does not name: trials run one at a time and the file is emptied before each, so a
    /// trial that writes nothing has no metrics instead of an earlier trial's value.
    @Test func sharedFileIsTruncatedBetweenSequentialTrialsAndRefusedInParallel() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let shared = directory.write("metrics.log", "loss=0.001\n")
        let script = directory.write("trial.sh", "if [ \"$1\" -gt 500 ]; then echo loss=$1 >> \(shared); fi\n")
        let collector = "metricsCollectorSpec: {collector: {kind: File}, source: {fileSystemPath: {path: \(shared), kind: File}}}"
        let sequential = try Self.experiment(
            command: #""sh \#(script) ${trialParameters.x}""#, parallel: 1, maxTrials: 6, collector: collector)
        let summary = try await TuningRun.run(sequential, options: Self.options(directory))
        for trial in summary.trials {
            let x = Int(trial.assignments[0].value)!
            if x > 500 {
                #expect(trial.condition == .succeeded)
                #expect(trial.metrics.first.flatMap { Double($0.value) } == Double(x))
            } else {
                #expect(trial.condition == .metricsUnavailable, "trial with x=\(x) took a value it never wrote")
            }
        }
        let sharedText = try String(contentsOfFile: shared, encoding: .utf8)
        #expect(sharedText.hasPrefix("loss=0.001\n"), "the shared file is read from where each trial began, never truncated")
        let parallel = try Self.experiment(command: #""sh \#(script) ${trialParameters.x}""#, parallel: 2, collector: collector)
        await #expect { try await TuningRun.run(parallel, options: Self.options(TemporaryDirectory())) } throws: { error in
            "\(error)".contains("does not appear in the trial command") && "\(error)".contains("parallelTrialCount: 1")
        }
    }

    @Test func envAndTrialMetadataReachTheTrial() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = try Self.experiment(
            command: #""echo loss=$SCALE x=${trialParameters.x} name=${trialParameters.trialName} team=${trialParameters.team} kind=${trialParameters.kind} dir=$TUNEKIT_TRIAL_DIR""#,
            maxTrials: 2,
            env: "env: [{name: SCALE, value: \"0.5\"}]",
            trialParameters: """
                - {name: trialName, reference: "${trialSpec.Name}"}
                      - {name: team, reference: "${trialSpec.Labels[team]}"}
                      - {name: kind, reference: "${trialSpec.Kind}"}
                """)
        // A relative --output (the default is `output`) must still give trials a usable folder.
        let cwd = FileManager.default.currentDirectoryPath
        let relative = String(repeating: "../", count: cwd.split(separator: "/").count) + String(directory.file("out").dropFirst())
        let summary = try await TuningRun.run(
            experiment, options: TuningOptions(output: relative, modelVersion: "v1", force: false, fallbackSeed: 1))
        for trial in summary.trials {
            #expect(trial.metrics.first.flatMap { Double($0.value) } == 0.5)
            let folder = directory.file("out/runs/v1/trials/\(trial.name)")
            let log = try String(contentsOfFile: folder + "/output.log", encoding: .utf8)
            #expect(log.contains("name=\(trial.name) team=seoul kind=Job dir=\(folder)"), "\(log)")
        }
    }

    @Test func activeDeadlineSecondsKillsAHungTrial() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = try Self.experiment(
            command: #""sleep 30; echo loss=${trialParameters.x}""#, maxTrials: 2, jobSpec: "activeDeadlineSeconds: 1")
        await #expect(throws: TunekitError.self) { try await TuningRun.run(experiment, options: Self.options(directory)) }
        let journal = try RunJournal.read(directory.file("out/runs/v1/journal.jsonl"))
        let finished = journal.filter { $0.event == .trialFinished }
        #expect(finished.count == 2)
        #expect(finished.allSatisfy { $0.condition == .failed && ($0.message ?? "").contains("deadline of 1 s") })
    }
}
