import Foundation
import TestSupport
import Testing

/// `validate` says "runnable" only when `tune` would start its trials, and names the Katib feature it lacks.
@Suite struct ValidateTests {
    /// The bundled experiment with one part replaced.
    static func variant(_ directory: TemporaryDirectory, _ replacements: [(String, String)]) throws -> String {
        var text = try String(contentsOfFile: PackagePaths.file("experiments/seoul-traffic-gbdt.yaml"), encoding: .utf8)
        for (old, new) in replacements {
            #expect(text.contains(old), "fixture: '\(old)' not in the bundled experiment")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return directory.write("variant.yaml", text)
    }

    @Test func everyShippedExperimentIsPortableToKatib() throws {
        let files = try ["experiments", "experiments/katib-examples", "deploy/katib"].flatMap { folder in
            try FileManager.default.contentsOfDirectory(atPath: PackagePaths.file(folder))
                .filter { $0.hasSuffix(".yaml") }.map { "\(folder)/\($0)" }
        }
        #expect(files.count >= 7)
        for file in files {
            let result = try TunekitProcess.run(["validate", "--katib", file])
            let text = try String(contentsOfFile: PackagePaths.file(file), encoding: .utf8)
            if text.contains("algorithmName: medianpruner") {
                // Local-only by design (tunekit's early-stopping extension): runnable here, and --katib says why not there.
                #expect(result.status == 1, "\(file): \(result.stderr)")
                #expect(result.stderr.contains("medianpruner is a tunekit extension"), "\(file): \(result.stderr)")
                #expect(try TunekitProcess.run(["validate", file]).status == 0, "\(file)")
            } else {
                #expect(result.status == 0, "\(file): \(result.stderr)")
            }
        }
    }

    @Test(arguments: [
        ([("--learning_rate=", "--lerning_rate=")], "did you mean learning_rate"),
        ([("--data=datasets/seoul-traffic", "--data=datasets/absent")], "datasets/absent: no such file"),
        ([("objectiveMetricName: rmse", "objectiveMetricName: accuracy")], "'accuracy' would never be reported"),
        ([("--seed=7", "--seed=7\n                  - --valid-fraction=0.5\n                  - --test-fraction=0.6")], "must be below 1"),
        ([("algorithmName: multivariate-tpe", "algorithmName: pbt")], "pbt is a Katib algorithm"),
        ([("algorithmName: multivariate-tpe", "algorithmName: hyperband")], "unknown setting n_startup_trials for algorithm hyperband"),
        ([("apiVersion: batch/v1\n      kind: Job", "apiVersion: argoproj.io/v1alpha1\n      kind: Workflow")], "trials of kind Workflow"),
        ([("command:\n                  - tunekit\n                  - train", "args:\n                  - train")], "has args but no command"),
        // A categorical value that would print a forged metric line when substituted.
        ([("parameterType: double\n      feasibleSpace:\n        min: \"0.001\"\n        max: \"10\"\n        distribution: logUniform",
           "parameterType: categorical\n      feasibleSpace:\n        list: [\"1\", \"2\\nrmse=-1000\"]")],
         "value \"2\\nrmse=-1000\" contains a line break"),
    ])
    func notRunnableExperimentsSayWhy(replacements: [(String, String)], message: String) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let file = try Self.variant(directory, replacements)
        let result = try TunekitProcess.run(["validate", file])
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stdout.contains("runnable:"))
        let tune = try TunekitProcess.run(["tune", file, "--output", directory.file("out")])
        #expect(tune.status == 1, "tune refuses for the same reason: \(tune.stderr)")
        #expect(tune.stderr.contains(message), "tune refuses for the same reason: \(tune.stderr)")
    }

    @Test func katibPortabilityProblemsWarnByDefaultAndFailWithKatib() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let file = try Self.variant(directory, [("algorithmName: multivariate-tpe", "algorithmName: tpe")])
        let plain = try TunekitProcess.run(["validate", file])
        #expect(plain.status == 0)
        #expect(plain.stdout.contains("runnable:"))
        #expect(plain.stderr.contains("warning: not portable to Katib"))
        #expect(plain.stderr.contains("n_startup_trials"))
        let strict = try TunekitProcess.run(["validate", "--katib", file])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("hyperopt"))
    }

    /// What Katib's webhook (or Kubernetes, or Katib's suggestion service) refuses, `validate --katib` refuses, with
    /// the field, its line and Katib's reason.
    @Test(arguments: [
        ("    type: minimize", "    type: Minimize", #"spec.objective.type (line 12): Invalid value: "Minimize": must be minimize or maximize"#),
        ("      kind: Job\n", "      kind: Job\n      metadata:\n        name: fixed\n",
         "metadata.name and metadata.namespace in spec.trialTemplate must be omitted"),
        ("                image: ghcr.io/seoul-mlops/tunekit:0.1.0\n", "",
         "Kubernetes refuses spec.trialTemplate.trialSpec.spec.template.spec.containers[0].image"),
        ("    algorithmName: multivariate-tpe", "    algorithmName: grid",
         "Katib's Optuna suggestion service refuses the algorithm settings: unknown setting n_startup_trials for algorithm grid"),
    ])
    func katibRefusalsFailWithKatibsReason(original: String, replacement: String, reason: String) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var text = try String(contentsOfFile: PackagePaths.file("deploy/katib/seoul-traffic-gbdt.yaml"), encoding: .utf8)
        #expect(text.contains(original))
        text = text.replacingOccurrences(of: original, with: replacement)
        let file = directory.write("katib.yaml", text)
        let result = try TunekitProcess.run(["validate", "--katib", file])
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stderr.contains("error: not portable to Katib: "), "\(result.stderr)")
        #expect(result.stderr.contains(reason), "\(result.stderr)")
        #expect(!result.stdout.contains("katib: accepted"))
    }

    @Test func cmaesOnOneContinuousParameterIsRefusedForKatib() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.write("cmaes.yaml", """
            apiVersion: kubeflow.org/v1beta1
            kind: Experiment
            metadata: {name: cmaes-one}
            spec:
              objective: {type: minimize, objectiveMetricName: loss}
              algorithm: {algorithmName: cmaes}
              maxTrialCount: 4
              parallelTrialCount: 1
              parameters:
                - {name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}
                - {name: kind, parameterType: categorical, feasibleSpace: {list: [a, b]}}
              trialTemplate:
                primaryContainerName: main
                trialParameters: [{name: x, reference: x}, {name: kind, reference: kind}]
                trialSpec:
                  apiVersion: batch/v1
                  kind: Job
                  spec:
                    template:
                      spec:
                        containers:
                          - {name: main, image: x, command: ["sh", "-c", "echo loss=${trialParameters.x} ${trialParameters.kind}"]}
            """)
        let result = try TunekitProcess.run(["validate", "--katib", file])
        #expect(result.status == 1)
        #expect(result.stderr.contains("Katib's goptuna suggestion service refuses the algorithm settings: CMA-ES only supports two or more dimensional continuous search space."), "\(result.stderr)")
        #expect(!result.stdout.contains("katib: accepted"))
    }

    @Test func tunekitAsKatibsSuggestionServiceAcceptsItsOwnSettings() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let file = try Self.variant(directory, [("algorithmName: multivariate-tpe", "algorithmName: tpe")])
        let katib = try TunekitProcess.run(["validate", "--katib", file])
        #expect(katib.status == 1)
        #expect(katib.stderr.contains("n_startup_trials"))
        let tunekit = try TunekitProcess.run(["validate", "--katib", "--suggestion-service", "tunekit", file])
        #expect(tunekit.status == 0, "\(tunekit.stderr)")
        #expect(tunekit.stdout.contains("katib: accepted by Katib's experiment webhook and by tunekit as its suggestion service"))
    }

    @Test func nasAndConfigMapTemplatesNameTheKatibFeature() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let nas = try Self.variant(directory, [("  parallelTrialCount: 2", "  nasConfig:\n    graphConfig: {numLayers: 8}\n  parallelTrialCount: 2")])
        let result = try TunekitProcess.run(["validate", nas])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("neural architecture search (nasConfig"), "\(result.stderr)")

        var text = try String(contentsOfFile: PackagePaths.file("experiments/seoul-traffic-gbdt.yaml"), encoding: .utf8)
        text = String(text[..<text.range(of: "    trialSpec:")!.lowerBound])
            + "    configMap:\n      configMapName: trial-templates\n      configMapNamespace: kubeflow\n      templatePath: gbdt.yaml\n"
        let configMap = directory.write("configmap.yaml", text)
        let refused = try TunekitProcess.run(["validate", configMap])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("configMap (kubeflow/trial-templates) is read from the cluster"), "\(refused.stderr)")
    }

    @Test func shellMetacharactersInSubstitutedValuesAreFlagged() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.write("shell.yaml", """
            apiVersion: kubeflow.org/v1beta1
            kind: Experiment
            metadata: {name: shell}
            spec:
              objective: {type: minimize, objectiveMetricName: loss}
              algorithm: {algorithmName: random}
              maxTrialCount: 2
              parallelTrialCount: 1
              parameters:
                - {name: opt, parameterType: categorical, feasibleSpace: {list: ["adam", "sgd; rm -rf ~"]}}
              trialTemplate:
                primaryContainerName: main
                trialParameters: [{name: opt, reference: opt}]
                trialSpec:
                  apiVersion: batch/v1
                  kind: Job
                  spec:
                    template:
                      spec:
                        containers:
                          - {name: main, image: x, command: ["sh", "-c", "echo loss=1 ${trialParameters.opt}"]}
            """)
        let result = try TunekitProcess.run(["validate", file])
        #expect(result.status == 0)
        #expect(result.stderr.contains("sgd; rm -rf ~"))
        #expect(result.stderr.contains("command injection"))
    }
}

@Suite struct SearchSpaceDescriptionTests {
    /// Integer ranges are not "continuous": each kind of parameter is counted, and only a real-valued range makes the
    /// space continuous.
    @Test func validateNamesEachKindOfParameter() throws {
        let result = try TunekitProcess.run(["validate", "experiments/seoul-traffic-gbdt.yaml"])
        #expect(result.stdout.contains("search space: 5 parameters (2 continuous, 1 stepped, 2 integer), continuous"), "\(result.stdout)")
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let integers = try ValidateTests.variant(directory, [
            ("parameterType: double\n      feasibleSpace:\n        min: \"0.03\"\n        max: \"0.3\"\n        distribution: logUniform",
             "parameterType: int\n      feasibleSpace:\n        min: \"1\"\n        max: \"2000000000\""),
            ("parameterType: double\n      feasibleSpace:\n        min: \"0.001\"\n        max: \"10\"\n        distribution: logUniform",
             "parameterType: int\n      feasibleSpace:\n        min: \"1\"\n        max: \"2000000000\""),
        ])
        let wide = try TunekitProcess.run(["validate", integers])
        #expect(wide.stdout.contains("search space: 5 parameters (1 stepped, 4 integer), more than 9223372036854775807 points"), "\(wide.stdout)\(wide.stderr)")
    }
}
