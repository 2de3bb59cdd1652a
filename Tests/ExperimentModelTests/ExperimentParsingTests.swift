@testable import ExperimentModel
import Testing

@Suite struct ExperimentParsingTests {
    @Test func parsesEveryFieldOfAKatibExperiment() throws {
        let text = Fixtures.experiment(
            settings: """
                    algorithmSettings:
                      - name: random_state
                        value: "10"
                """,
            extraSpec: """
                  resumePolicy: LongRunning
                  metricsCollectorSpec:
                    source:
                      fileSystemPath:
                        path: /var/log/katib/metrics.json
                        kind: File
                        format: JSON
                    collector:
                      kind: File
                """)
        let experiment = try Experiment.parse(text: text, file: "random.yaml")
        #expect(experiment.name == "random-example")
        #expect(experiment.namespace == "kubeflow")
        #expect(experiment.objective.type == .maximize)
        #expect(experiment.objective.goal == 0.99)
        #expect(experiment.objective.additionalMetricNames == ["Train-accuracy"])
        #expect(experiment.objective.metricStrategies == ["Validation-accuracy": .max, "Train-accuracy": .max])
        #expect(experiment.algorithm.setting("random_state") == "10")
        #expect(experiment.parallelTrialCount == 3)
        #expect(experiment.maxTrialCount == 12)
        #expect(experiment.maxFailedTrialCount == 3)
        #expect(experiment.resumePolicy == "LongRunning")
        #expect(experiment.metricsCollector.kind == .file)
        #expect(experiment.metricsCollector.fileFormat == .json)
        #expect(experiment.metricsCollector.filePath == "/var/log/katib/metrics.json")
        #expect(experiment.parameters.map(\.name) == ["lr", "num-layers", "optimizer"])
        #expect(experiment.parameters[1].parameterType == .int)
        #expect(experiment.searchSpace.parameters[2].domain == .categorical(["sgd", "adam", "ftrl"]))
        let template = try #require(experiment.trialTemplate)
        #expect(template.primaryContainerCommand()?.last == "--optimizer=${trialParameters.optimizer}")
        let substituted = template.substitute(
            "--lr=${trialParameters.learningRate}", values: ["lr": "0.02"], trialName: "t")
        #expect(substituted == "--lr=0.02")
    }

    @Test(arguments: [
        ("grid", """
                - name: lr
                  parameterType: double
                  feasibleSpace:
                    min: "0.01"
                    step: "0.005"
                    max: "0.05"
                - name: num-layers
                  parameterType: int
                  feasibleSpace:
                    min: "2"
                    max: "5"
                - name: optimizer
                  parameterType: categorical
                  feasibleSpace:
                    list: ["sgd", "adam", "ftrl"]
            """),
        ("tpe", Fixtures.defaultParameters),
        ("bayesianoptimization", Fixtures.defaultParameters),
        ("multivariate-tpe", Fixtures.defaultParameters),
    ])
    func katibExampleShapesLoad(algorithm: String, parameters: String) throws {
        let experiment = try Experiment.parse(
            text: Fixtures.experiment(name: algorithm, algorithm: algorithm, parameters: parameters), file: "\(algorithm).yaml")
        #expect(experiment.algorithm.algorithmName == algorithm)
        #expect(experiment.searchSpace.parameters.count == 3)
    }

    @Test func jsonExperimentsLoadToo() throws {
        let json = """
            {"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment", "metadata": {"name": "json-example"},
             "spec": {"objective": {"type": "minimize", "objectiveMetricName": "loss"},
                      "algorithm": {"algorithmName": "random"}, "maxTrialCount": 4, "parallelTrialCount": 2,
                      "parameters": [{"name": "x", "parameterType": "double", "feasibleSpace": {"min": "-1", "max": "1"}}]}}
            """
        let experiment = try Experiment.parse(text: json, file: "e.json")
        #expect(experiment.searchSpace.parameters[0].domain == .double(DoubleRange(lower: -1, upper: 1, step: nil, distribution: .uniform, decimals: nil)))
    }

    @Test(arguments: [
        ("""
                - name: lr
                  parameterType: double
                  feasibleSpace:
                    min: "0.5"
                    max: "0.1"
            """, "parameter 'lr': min 0.5 is not below max 0.1; swap them"),
        ("""
                - name: lr
                  parameterType: double
                  feasibleSpace:
                    min: "0"
                    max: "1"
                    distribution: logUniform
            """, "parameter 'lr': distribution logUniform needs min > 0, got min 0"),
        ("""
                - name: opt
                  parameterType: categorical
                  feasibleSpace:
                    list: []
            """, "parameter 'opt': feasibleSpace.list is empty; give at least one value"),
        ("""
                - name: layers
                  parameterType: int
                  feasibleSpace:
                    min: "2.5"
                    max: "4"
            """, "parameter 'layers': feasibleSpace.min '2.5' is not an integer"),
        ("""
                - name: lr
                  parameterType: double
                  feasibleSpace:
                    min: "abc"
                    max: "1"
            """, "parameter 'lr': feasibleSpace.min 'abc' is not a finite number"),
        ("""
                - name: lr
                  parameterType: double
                  feasibleSpace:
                    min: "0"
                    max: "1"
                - name: lr
                  parameterType: double
                  feasibleSpace:
                    min: "0"
                    max: "1"
            """, "parameter 'lr': declared twice; parameter names must be unique"),
    ])
    func impossibleSearchSpacesSayWhatToChange(parameters: String, message: String) {
        #expect {
            try Experiment.parse(text: Fixtures.experiment(parameters: parameters), file: "bad.yaml")
        } throws: { error in
            (error as? ExperimentModelError)?.description == message
        }
    }

    @Test func malformedYAMLNamesTheFileAndLine() {
        #expect {
            try Experiment.parse(text: "spec:\n  objective: [unclosed\n", file: "broken.yaml")
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("broken.yaml: not a valid YAML/JSON document") && text.contains("3:")
        }
    }

    @Test func missingRequiredFieldNamesItsPathAndLine() {
        let text = Fixtures.experiment().replacingOccurrences(of: "    objectiveMetricName: Validation-accuracy\n", with: "")
        #expect(throws: ExperimentModelError.invalidField(
            path: "spec.objective.objectiveMetricName", line: 8, message: "is required (in e.yaml)")) {
            try Experiment.parse(text: text, file: "e.yaml")
        }
    }

    @Test func templateMustReferenceEveryParameter() {
        let text = Fixtures.experiment().replacingOccurrences(of: "reference: optimizer", with: "reference: momentum")
        #expect {
            try Experiment.parse(text: text, file: "e.yaml")
        } throws: { error in
            "\(error)".contains("references 'momentum', which is not a parameter")
        }
    }

    @Test func countsAreChecked() {
        let text = Fixtures.experiment().replacingOccurrences(of: "maxTrialCount: 12", with: "maxTrialCount: 2")
        #expect(throws: ExperimentModelError.invalidExperiment("parallelTrialCount 3 must not exceed maxTrialCount 2")) {
            try Experiment.parse(text: text, file: "e.yaml")
        }
    }
}

import Foundation
