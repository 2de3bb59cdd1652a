import Foundation
import TestSupport
import Testing

/// The retrain CronJob's script (deploy/kubernetes/retrain/retrain.sh) run here with the built tunekit on PATH: no
/// drift leaves everything as it was; drift tunes and publishes a version, and if it beats the served one on its test
/// rows bumps the overlay and leaves the version for the push step; a worse one is published but not promoted.
@Suite(.serialized) struct RetrainScriptTests {
    static func predictionLog(_ folder: String, shift: Double) throws {
        let rows = regressionCSV(rows: 200, seed: 11).split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        let instances = rows.map { cells in
            #"{"x1":\#(Double(cells[0])! + shift),"x2":\#(Double(cells[1])! - shift),"x3":\#(cells[2]),"site":"\#(cells[3])"}"#
        }
        let event = #"{"specversion":"1.0","id":"r1","type":"org.kubeflow.serving.inference.request","modelversion":"v1","data":{"instances":[\#(instances.joined(separator: ","))]}}"#
        try FileManager.default.createDirectory(atPath: "\(folder)/pod-a", withIntermediateDirectories: true)
        try (event + "\n").write(toFile: "\(folder)/pod-a/predictions-000001.jsonl", atomically: true, encoding: .utf8)
    }

    enum Outcome: Sendable { case noDrift, promoted, notBetter }

    /// (shift of the logged rows, the served version's alpha, the alpha range the retrain searches, what happens):
    /// a served alpha of 10^6 is beaten by any alpha up to 10; a served alpha of 1 beats any of 10^5 and more.
    @Test(arguments: [
        (0.0, "1", "0.01", "10", Outcome.noDrift), (25.0, "1000000", "0.01", "10", .promoted), (25.0, "1", "100000", "1000000", .notBetter),
    ]) func retrainsOnDriftAndPromotesOnlyABetterVersion(
        shift: Double, servedAlpha: String, searchMin: String, searchMax: String, outcome: Outcome
    ) throws {
        let directory = TemporaryDirectory("tunekit-retrain")
        defer { directory.remove() }
        let data = directory.write("data.csv", regressionCSV(rows: 300, seed: 7))
        let models = directory.file("models"), state = directory.file("state"), repo = directory.file("repo")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let train = try TunekitProcess.run([
            "train", "--trainer", "ridge", "--data", data, "--target", "y", "--valid-fraction", "0.2", "--test-fraction", "0.2",
            "--alpha=\(servedAlpha)", "--output", models, "--model-version", "v1",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        _ = directory.write("repo/overlay/patch-model-version.yaml", try String(
            contentsOfFile: PackagePaths.file("deploy/overlays/production/patch-model-version.yaml"), encoding: .utf8))
        #expect(try TunekitProcess.run(["publish-version", "v1", "--kustomize", "\(repo)/overlay", "--output", models]).status == 0)
        _ = directory.write("repo/experiment.yaml", """
            apiVersion: kubeflow.org/v1beta1
            kind: Experiment
            metadata:
              name: retrain
            spec:
              objective: {type: minimize, objectiveMetricName: rmse}
              algorithm: {algorithmName: random, algorithmSettings: [{name: random_state, value: "3"}]}
              maxTrialCount: 2
              parallelTrialCount: 1
              parameters:
                - {name: alpha, parameterType: double, feasibleSpace: {min: "\(searchMin)", max: "\(searchMax)"}}
              trialTemplate:
                primaryContainerName: training-container
                trialParameters: [{name: alpha, reference: alpha}]
                trialSpec:
                  apiVersion: batch/v1
                  kind: Job
                  spec:
                    template:
                      spec:
                        containers:
                          - name: training-container
                            image: ghcr.io/seoul-mlops/tunekit:0.1.0
                            command: [tunekit, train, --trainer=ridge, --data=\(data), --target=y, --valid-fraction=0.2, --test-fraction=0.2, "--alpha=${trialParameters.alpha}"]
                        restartPolicy: Never
            """)
        let predictions = directory.file("predictions")
        try Self.predictionLog(predictions, shift: shift)
        let binaries = (TunekitProcess.executable as NSString).deletingLastPathComponent
        let result = try TunekitProcess.run(
            [PackagePaths.file("deploy/kubernetes/retrain/retrain.sh")],
            environment: [
                "MODELS": models, "PREDICTIONS": predictions, "REPO": repo, "OVERLAY": "overlay", "EXPERIMENT": "experiment.yaml",
                "STATE": state, "PATH": "\(binaries):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")",
            ],
            program: "/bin/sh")
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(state)/drift.json"))
        let served = try TunekitProcess.run(["publish-version", "--kustomize", "\(repo)/overlay", "--print-current"]).stdout
        let published = try FileManager.default.contentsOfDirectory(atPath: "\(models)/artifact").filter { $0 != "v1" }
        switch outcome {
        case .promoted:
            let version = try String(contentsOfFile: "\(state)/new-version", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(version.count == 15, "\(version) vs \(served)")
            #expect(served == version + "\n", "\(version) vs \(served)")
            #expect(result.stderr.contains("is at least as good as the served v1"), "\(result.stderr)")
            #expect(FileManager.default.fileExists(atPath: "\(models)/artifact/\(version)/score.json"))
            #expect(FileManager.default.fileExists(atPath: "\(models)/model/\(version)/reference.csv"))
        case .notBetter:
            #expect(result.stdout.contains("is worse than the served v1 on its test rows: not promoted"), "\(result.stdout)")
            #expect(!FileManager.default.fileExists(atPath: "\(state)/new-version"))
            #expect(served == "v1\n")
            #expect(published.count == 1, "the worse version stays published: \(published)")
        case .noDrift:
            #expect(result.stdout.contains("no dataset drift against the served version v1"), "\(result.stdout)")
            #expect(!FileManager.default.fileExists(atPath: "\(state)/new-version"))
            #expect(served == "v1\n")
            #expect(published.isEmpty)
        }
    }
}
