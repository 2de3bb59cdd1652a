import Foundation
import TestSupport
import Testing

/// Every manifest in deploy/ and every Experiment in experiments/ validates against the real projects' object schemas,
/// as their PyPI clients encode them (Tests/Schemas/validate_manifests.py: `kubernetes`, `kserve`, `kubeflow-katib`):
/// no unknown field, declared types, required fields present. The production overlay is validated as kustomize
/// renders it (where kubectl is installed), else file by file.
@Suite struct ManifestSchemaTests {
    static let validator = PackagePaths.file("Tests/Schemas/validate_manifests.py")

    static func files(in folder: String, extension suffix: String = ".yaml") -> [String] {
        let path = PackagePaths.file(folder)
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
            .map { "\(path)/\($0)" }
    }

    /// Both overlays as kustomize renders them pass `kubernetes-validate --strict` (PyPI, Kubernetes 1.37's schemas)
    /// for every core kind (no unexpected field anywhere); the CRD kinds it has no schema for are the ones the test
    /// above checks against KServe's and Katib's. A misspelt field is caught, so the check can fail.
    @Test(.enabled(if: RealTools.enabled(pythonWithKubernetesValidate) && RealTools.enabled(kubectlPath)))
    func renderedOverlaysPassKubernetesValidate() throws {
        let python = try #require(pythonWithKubernetesValidate)
        let kubectl = try #require(kubectlPath, "kubectl is not installed")
        let scratch = TemporaryDirectory("tunekit-kubernetes-validate")
        defer { scratch.remove() }
        var rendered: [String] = []
        for overlay in ["production", "serverless"] {
            let result = try TunekitProcess.runTool(kubectl, ["kustomize", PackagePaths.file("deploy/overlays/\(overlay)")])
            #expect(result.status == 0, "\(result.stderr)")
            rendered.append(scratch.write("\(overlay).yaml", result.stdout))
        }
        let validated = try TunekitProcess.runTool(python, ["-m", "kubernetes_validate", "--strict"] + rendered)
        #expect(validated.status == 0, "\(validated.stdout)\(validated.stderr)")
        let output = validated.stdout + validated.stderr
        for resource in ["deployment/tunekit-suggestion", "cronjob/tunekit-retrain", "service/tunekit-suggestion", "persistentvolumeclaim/seoul-traffic-data"] {
            #expect(output.contains("passed for resource \(resource)"), "\(resource) was not validated: \(output)")
        }
        let unvalidated = Set(output.split(separator: "\n").filter { $0.contains("Couldn't find schema for kind") }
            .compactMap { $0.split(separator: " ").drop { $0 != "kind" }.dropFirst().first.map(String.init) })
        #expect(unvalidated == ["PodMonitor", "ServingRuntime", "InferenceService"], "\(unvalidated)")
        let broken = scratch.write("broken.yaml", try String(contentsOfFile: rendered[0], encoding: .utf8)
            .replacingOccurrences(of: "concurrencyPolicy: Forbid", with: "concurrencyPolicy: Forbid\n  concurencyPolicy: Allow"))
        let refused = try TunekitProcess.runTool(python, ["-m", "kubernetes_validate", "--strict", "--quiet", broken])
        #expect(refused.status != 0)
        #expect((refused.stdout + refused.stderr).contains("'concurencyPolicy' was unexpected"), "\(refused.stdout)\(refused.stderr)")
    }

    @Test(.enabled(if: RealTools.enabled(pythonWithSchemas))) func deployAndExperimentsMatchTheSchemas() throws {
        let python = try #require(pythonWithSchemas)
        let scratch = TemporaryDirectory("tunekit-schemas")
        defer { scratch.remove() }
        var documents = Self.files(in: "experiments") + Self.files(in: "experiments/katib-examples") + Self.files(in: "deploy/katib")
            + [PackagePaths.file("deploy/katib/config/katib-config.yaml")]
        if let kubectl = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first(where: FileManager.default.isExecutableFile) {
            for overlay in ["production", "serverless"] {
                let rendered = try TunekitProcess.runTool(kubectl, ["kustomize", PackagePaths.file("deploy/overlays/\(overlay)")])
                #expect(rendered.status == 0, "\(rendered.stderr)")
                documents.append(scratch.write("\(overlay).yaml", rendered.stdout))
            }
        } else {
            documents += Self.files(in: "deploy/kubernetes").filter { !$0.hasSuffix("kustomization.yaml") }
            documents.append(PackagePaths.file("deploy/overlays/serverless/serving-runtime-serverless.yaml"))
        }
        let result = try TunekitProcess.runTool(python, [Self.validator] + documents)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        for kind in ["CronJob", "ServingRuntime", "InferenceService", "Deployment", "PersistentVolumeClaim", "Experiment", "KatibConfig"] {
            #expect(result.stdout.contains("valid"), "no \(kind) was validated: \(result.stdout)")
            #expect(result.stdout.contains(": \(kind) "), "no \(kind) was validated: \(result.stdout)")
        }
        let patch = try TunekitProcess.runTool(
            python, [Self.validator, "--partial", PackagePaths.file("deploy/overlays/production/patch-model-version.yaml")])
        #expect(patch.status == 0, "\(patch.stdout)")
    }

    @Test(.enabled(if: RealTools.enabled(pythonWithSchemas))) func mistakesAreNamedWithTheirPath() throws {
        let python = try #require(pythonWithSchemas)
        let scratch = TemporaryDirectory("tunekit-schemas-bad")
        defer { scratch.remove() }
        let bad = scratch.write("bad.yaml", """
            apiVersion: serving.kserve.io/v1beta1
            kind: InferenceService
            metadata: {name: x}
            spec:
              predictor:
                model: {modelFormat: {name: tunekit}, storageURI: pvc://a/b}
            ---
            apiVersion: batch/v1
            kind: CronJob
            metadata: {name: y}
            spec:
              schedule: "* * * * *"
              jobTemplate: {spec: {template: {spec: {containers: [{image: a, ports: [{containerPort: "80"}]}]}}}}
            ---
            apiVersion: kubeflow.org/v1beta1
            kind: Experiment
            metadata: {name: z}
            spec: {maxTrialCount: "3", objective: {type: minimize, objectiveMetricName: rmse, goall: 1}}
            ---
            apiVersion: config.kubeflow.org/v1beta1
            kind: KatibConfig
            init: {controller: {enableGRPCProbeInSuggestion: "yes"}}
            runtime:
              suggestions:
                - {algorithm: tpe, image: a, command: [tunekit, serve], resource: {limits: {memory: 1Gi}}}
              earlyStoppings:
                - {algorithmName: medianstop}
            """)
        let result = try TunekitProcess.runTool(python, [Self.validator, bad])
        #expect(result.status == 1)
        for error in [
            "InferenceService.spec.predictor.model.storageURI: unknown field",
            "containers[0].ports[0].containerPort: expected an integer",
            "containers[0]: required field name is missing",
            "Experiment.spec.maxTrialCount: expected an integer",
            "Experiment.spec.objective.goall: unknown field",
            "KatibConfig.init.controller.enableGRPCProbeInSuggestion: expected true or false",
            "KatibConfig.runtime.suggestions[0].algorithm: unknown field",
            "KatibConfig.runtime.suggestions[0].resource: unknown field",
            "KatibConfig.runtime.suggestions[0]: required field algorithmName is missing",
            "KatibConfig.runtime.earlyStoppings[0]: required field image is missing",
        ] {
            #expect(result.stdout.contains(error), "\(error) not reported: \(result.stdout)")
        }
    }
}

/// deploy/katib/config replaces Katib's katib-config: rendered with `kubectl kustomize` over a stand-in for Katib's
/// standalone install (the real one is fetched from GitHub), the ConfigMap holds tunekit's KatibConfig byte for byte.
@Suite struct KatibConfigKustomizationTests {
    static let kubectl = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first(where: FileManager.default.isExecutableFile)

    @Test(.enabled(if: RealTools.enabled(kubectl))) func theKatibConfigMapIsReplacedByTunekits() throws {
        let kubectl = try #require(Self.kubectl, "kubectl is not installed")
        let scratch = TemporaryDirectory("tunekit-katib-config")
        defer { scratch.remove() }
        let config = try String(contentsOfFile: PackagePaths.file("deploy/katib/config/katib-config.yaml"), encoding: .utf8)
        var kustomization = try String(
            contentsOfFile: PackagePaths.file("deploy/katib/config/kustomization.yaml"), encoding: .utf8)
        let remote = "https://github.com/kubeflow/katib.git/manifests/v1beta1/installs/katib-standalone?ref=v0.19.0"
        #expect(kustomization.contains(remote))
        kustomization = kustomization.replacingOccurrences(of: remote, with: "base")
        scratch.write("overlay/kustomization.yaml", kustomization)
        scratch.write("overlay/katib-config.yaml", config)
        // What Katib's standalone kustomization does with its own katib-config.yaml.
        scratch.write("overlay/base/kustomization.yaml", """
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            namespace: kubeflow
            configMapGenerator:
              - name: katib-config
                behavior: create
                files: [katib-config.yaml]
                options: {disableNameSuffixHash: true}
            """)
        scratch.write("overlay/base/katib-config.yaml", "apiVersion: config.kubeflow.org/v1beta1\nkind: KatibConfig\n")
        let rendered = try TunekitProcess.runTool(kubectl, ["kustomize", scratch.file("overlay")])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        #expect(rendered.stdout.contains("name: katib-config"), "\(rendered.stdout)")
        #expect(rendered.stdout.contains("namespace: kubeflow"), "\(rendered.stdout)")
        #expect(rendered.stdout.components(separatedBy: "image: ghcr.io/seoul-mlops/tunekit:").count - 1 == 8, "\(rendered.stdout)")
        #expect(rendered.stdout.contains("suggestion-pbt"))
        #expect(rendered.stdout.contains("earlystopping-medianstop"))
    }
}

/// The Python interpreter with the `kubernetes`, `kserve` and `kubeflow-katib` clients (`.ci/run` installs them):
/// `$TUNEKIT_PYTHON`, else `python3`; nil when one is absent (the schema checks are then skipped).
let pythonWithSchemas: String? = {
    let python = ProcessInfo.processInfo.environment["TUNEKIT_PYTHON"] ?? "python3"
    // With no files the validator only imports the three clients' models.
    let check = try? TunekitProcess.runTool(python, [PackagePaths.file("Tests/Schemas/validate_manifests.py")])
    return check?.status == 0 ? python : nil
}()

/// The Python interpreter with PyPI's `kubernetes-validate` (`.ci/run` installs it); nil when absent.
let pythonWithKubernetesValidate: String? = RealTools.python(passing: "import kubernetes_validate")

/// kubectl (its built-in kustomize renders the overlays); nil when it is not installed.
let kubectlPath: String? = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first(where: FileManager.default.isExecutableFile)
