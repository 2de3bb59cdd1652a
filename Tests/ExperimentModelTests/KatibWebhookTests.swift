import Foundation
import ExperimentModel
import Testing

/// One case per rule of Katib's experiment validator (pkg/webhook/v1beta1/experiment/validator): a valid experiment
/// with one change, refused at the field Katib names, with Katib's reason.
@Suite struct KatibWebhookTests {
    static let valid = """
        apiVersion: kubeflow.org/v1beta1
        kind: Experiment
        metadata:
          name: webhook
        spec:
          objective:
            type: minimize
            objectiveMetricName: rmse
            additionalMetricNames: [mae]
          algorithm:
            algorithmName: tpe
          parallelTrialCount: 2
          maxTrialCount: 6
          maxFailedTrialCount: 2
          parameters:
            - name: lr
              parameterType: double
              feasibleSpace: {min: "0.01", max: "0.3"}
            - name: booster
              parameterType: categorical
              feasibleSpace: {list: [gbtree, dart]}
          trialTemplate:
            primaryContainerName: training
            trialParameters:
              - name: learningRate
                reference: lr
              - name: booster
                reference: booster
              - name: trialName
                reference: ${trialSpec.Name}
            trialSpec:
              apiVersion: batch/v1
              kind: Job
              spec:
                template:
                  spec:
                    containers:
                      - name: training
                        image: ghcr.io/seoul-mlops/tunekit:0.2.0
                        command: [tunekit, train, "--lr=${trialParameters.learningRate}", "--booster=${trialParameters.booster}", "--name=${trialParameters.trialName}"]
                    restartPolicy: Never
        """

    static func refusals(_ text: String) throws -> [KatibWebhook.Refusal] {
        KatibWebhook.refusals(try SpecNode.parse(yaml: text, file: "test.yaml"))
    }

    @Test func theValidExperimentPasses() throws {
        #expect(try Self.refusals(Self.valid) == [])
    }

    /// (what changes, the replacement, the field Katib names, words of its reason)
    static let cases: [(String, String, String, String)] = [
        ("type: minimize", "type: Minimize", "spec.objective.type", #"Invalid value: "Minimize": must be minimize or maximize"#),
        ("objectiveMetricName: rmse", "objectiveMetricName: \"\"", "spec.objective.objectiveMetricName", "must be specified"),
        ("additionalMetricNames: [mae]", "additionalMetricNames: [mae, rmse]", "spec.objective.additionalMetricNames",
         "should not contain spec.objective.objectiveMetricName"),
        ("algorithmName: tpe", "algorithmName: no-such", "spec.algorithm.algorithmName", "unable to get Suggestion config data"),
        ("maxTrialCount: 6", "maxTrialCount: 0", "spec.maxTrialCount", "must be greater than 0"),
        ("parallelTrialCount: 2", "parallelTrialCount: 8", "spec.parallelTrialCount", "should be less than or equal to spec.maxTrialCount"),
        ("  parallelTrialCount: 2\n  maxTrialCount: 6", "  maxTrialCount: 2", "spec.parallelTrialCount", "(Katib's default is 3)"),
        ("maxFailedTrialCount: 2", "maxFailedTrialCount: -1", "spec.maxFailedTrialCount", "should not be less than 0"),
        ("maxFailedTrialCount: 2", "maxFailedTrialCount: 9", "spec.maxFailedTrialCount", "should be less than or equal to spec.maxTrialCount"),
        ("  maxFailedTrialCount: 2", "  maxFailedTrialCount: 2\n  resumePolicy: Sometimes", "spec.resumePolicy", "invalid ResumePolicyType"),
        ("  maxFailedTrialCount: 2", "  maxFailedTrialCount: 2\n  earlyStopping:\n    algorithmName: asha", "spec.earlyStopping.algorithmName",
         "unable to get EarlyStopping config data for algorithm asha"),
        ("feasibleSpace: {min: \"0.01\", max: \"0.3\"}", "feasibleSpace: {min: \"0.01\"}", "spec.parameters[0].feasibleSpace.max",
         "feasibleSpace.max or feasibleSpace.min must be specified for parameterType: double"),
        ("feasibleSpace: {min: \"0.01\", max: \"0.3\"}", "feasibleSpace: {min: \"0.01\", max: \"0.3\", list: [\"1\"]}",
         "spec.parameters[0].feasibleSpace.list", "feasibleSpace.list is not supported for parameterType: double"),
        ("feasibleSpace: {list: [gbtree, dart]}", "feasibleSpace: {list: [gbtree, dart], max: \"3\"}", "spec.parameters[1].feasibleSpace",
         "feasibleSpace .max, .min and .step is not supported for parameterType: categorical"),
        ("feasibleSpace: {min: \"0.01\", max: \"0.3\"}", "feasibleSpace: {min: \"0.01\", max: \"0.3\", distribution: loguniform}",
         "spec.parameters[0].feasibleSpace.distribution", "distribution: loguniform is not supported"),
        ("parameterType: double", "parameterType: Double", "spec.parameters[0].parameterType", "parameterType: Double is not supported"),
        ("primaryContainerName: training", "primaryContainerName: \"\"", "spec.trialTemplate.primaryContainerName", "must be specified"),
        ("      - name: booster\n        reference: booster", "      - name: booster\n        reference: lr",
         "spec.trialTemplate.trialParameters[1].reference", "parameter reference lr can't be duplicated"),
        ("reference: booster", "reference: max_depth", "spec.trialTemplate.trialParameters[1].reference",
         "parameter reference max_depth does not exist in spec.parameters"),
        ("\"--name=${trialParameters.trialName}\"", "--name", "spec.trialTemplate.trialParameters[2].name",
         "parameter name: trialName in spec.trialParameters not found in spec.trialTemplate"),
        ("\"--name=${trialParameters.trialName}\"", "\"--name=${trialParameters.trialName}\", \"--x=${trialParameters.other}\"",
         "spec.trialTemplate", "parameters: [\"${trialParameters.other}\"] in spec.trialTemplate not found in spec.trialParameters"),
        ("      kind: Job\n", "      kind: Job\n      metadata:\n        name: fixed\n", "spec.trialTemplate",
         "metadata.name and metadata.namespace in spec.trialTemplate must be omitted"),
        ("      kind: Job\n", "      kind: Workflow\n", "spec.trialTemplate", "successCondition and failureCondition must be specified"),
        ("      apiVersion: batch/v1\n", "", "spec.trialTemplate", "APIVersion and Kind in spec.trialTemplate must be specified"),
        ("    trialSpec:\n", "    configMap:\n      configMapName: templates\n    trialSpec:\n", "spec.trialTemplate",
         "only one of spec.trialTemplate.trialSpec or spec.trialTemplate.configMap can be specified"),
        ("  maxFailedTrialCount: 2", "  maxFailedTrialCount: 2\n  metricsCollectorSpec:\n    collector:\n      kind: Prometheus",
         "spec.metricsCollectorSpec.collector.kind", "invalid metrics collector kind: Prometheus"),
        ("  maxFailedTrialCount: 2", "  maxFailedTrialCount: 2\n  metricsCollectorSpec:\n    collector:\n      kind: File\n    source:\n      fileSystemPath:\n        path: metrics.log\n        kind: File",
         "spec.metricsCollectorSpec.source.fileSystemPath.path", "file path where metrics file exists is required"),
        ("  maxFailedTrialCount: 2", "  maxFailedTrialCount: 2\n  metricsCollectorSpec:\n    collector:\n      kind: File\n    source:\n      filter:\n        metricsFormat: [\"(\\\\w+)=(.*)\"]\n      fileSystemPath:\n        path: /m.json\n        kind: File\n        format: JSON",
         "spec.metricsCollectorSpec.source.filter", "filter must be nil when format of metrics file is json"),
        ("  maxFailedTrialCount: 2", "  maxFailedTrialCount: 2\n  metricsCollectorSpec:\n    source:\n      filter:\n        metricsFormat: [\"(\\\\w+)=.*\"]",
         "spec.metricsCollectorSpec.source.filter.metricsFormat", "two top subexpressions are required"),
    ]

    @Test(arguments: 0..<cases.count)
    func eachRuleRefusesWithKatibsReason(index: Int) throws {
        let (original, replacement, path, reason) = Self.cases[index]
        #expect(Self.valid.contains(original), "case \(index) does not apply")
        let refusals = try Self.refusals(Self.valid.replacingOccurrences(of: original, with: replacement))
        #expect(refusals.contains { $0.path == path && $0.message.contains(reason) }, "case \(index): \(refusals)")
        #expect(refusals.allSatisfy { $0.line != nil }, "every refusal names a line: \(refusals)")
    }

    @Test func aContainerWithoutAnImageIsKubernetessRefusal() throws {
        let refusals = try Self.refusals(Self.valid.replacingOccurrences(of: "                image: ghcr.io/seoul-mlops/tunekit:0.2.0\n", with: ""))
        #expect(refusals.count == 1)
        #expect(refusals.first?.refuser == "Kubernetes")
        #expect(refusals.first?.path == "spec.trialTemplate.trialSpec.spec.template.spec.containers[0].image")
    }

    @Test func metadataReferencesAreKatibsOwn() {
        #expect(KatibWebhook.isMetaReference("${trialSpec.Name}"))
        #expect(KatibWebhook.isMetaReference("${trialSpec.Labels[app]}"))
        #expect(!KatibWebhook.isMetaReference("${trialSpec.Owner}"))
        #expect(!KatibWebhook.isMetaReference("lr"))
    }
}
