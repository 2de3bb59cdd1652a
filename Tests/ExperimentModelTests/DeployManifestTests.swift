import ExperimentModel
import Foundation
import TestSupport
import Testing

/// The manifests in deploy/ parse and hang together: image, ports, probes, volume and claim names.
@Suite struct DeployManifestTests {
    static func documents(_ relative: String) throws -> [SpecNode] {
        let text = try String(contentsOfFile: PackagePaths.file(relative), encoding: .utf8)
        return try text.components(separatedBy: "\n---\n").map { try SpecNode.parse(yaml: $0, file: relative) }
    }

    static func text(_ node: SpecNode?, _ path: String...) -> String? {
        var current = node
        for key in path {
            if let index = Int(key), case .sequence(let items, _)? = current {
                current = index < items.count ? items[index] : nil
            } else {
                current = current?[key]
            }
        }
        return current?.scalarText
    }

    static func items(_ node: SpecNode?) -> [SpecNode] {
        if case .sequence(let items, _)? = node { items } else { [] }
    }

    @Test func suggestionServiceDeploymentAndService() throws {
        let documents = try Self.documents("deploy/kubernetes/suggestion-service.yaml")
        #expect(documents.count == 2)
        let deployment = try #require(documents.first { Self.text($0, "kind") == "Deployment" })
        let service = try #require(documents.first { Self.text($0, "kind") == "Service" })
        #expect(Self.text(deployment, "apiVersion") == "apps/v1")
        #expect(Self.text(service, "apiVersion") == "v1")
        let selector = try #require(Self.text(deployment, "spec", "selector", "matchLabels", "app.kubernetes.io/name"))
        #expect(Self.text(deployment, "spec", "template", "metadata", "labels", "app.kubernetes.io/name") == selector)
        #expect(Self.text(service, "spec", "selector", "app.kubernetes.io/name") == selector)

        let containers = Self.items(deployment["spec"]?["template"]?["spec"]?["containers"])
        let container = try #require(containers.first)
        #expect(Self.text(container, "image")?.hasPrefix("ghcr.io/seoul-mlops/tunekit:") == true)
        let args = Self.items(container["args"]).compactMap(\.scalarText)
        #expect(args.first == "serve")
        #expect(args.contains("0.0.0.0"))
        let port = try #require(Self.text(container, "ports", "0", "containerPort"))
        #expect(args.contains(port), "the server listens where the container port says")
        #expect(Self.text(service, "spec", "ports", "0", "targetPort") == Self.text(container, "ports", "0", "name"))
        // Probes hit endpoints the server documents.
        let openAPI = try String(contentsOfFile: PackagePaths.file("Sources/TuningServer/openapi.json"), encoding: .utf8)
        for probe in ["readinessProbe", "livenessProbe"] {
            let path = try #require(Self.text(container, probe, "httpGet", "path"))
            #expect(openAPI.contains("\"\(path)\""))
        }
        #expect(Self.text(container, "resources", "requests", "cpu") != nil)
        #expect(Self.text(container, "resources", "requests", "memory") != nil)
    }

    @Test func katibExperimentRunsTheImageOnTheDataVolume() throws {
        let path = PackagePaths.file("deploy/katib/seoul-traffic-gbdt.yaml")
        let experiment = try Experiment.parse(text: String(contentsOfFile: path, encoding: .utf8), file: path)
        #expect(experiment.algorithm.algorithmName == "multivariate-tpe")
        let template = try #require(experiment.trialTemplate)
        let command = try #require(template.primaryContainerCommand())
        #expect(Array(command.prefix(2)) == ["tunekit", "train"])
        let data = try #require(command.first { $0.hasPrefix("--data=") }).dropFirst("--data=".count)

        let podSpec = template.trialSpec?["spec"]?["template"]?["spec"]
        let containers = Self.items(podSpec?["containers"])
        let container = try #require(containers.first)
        let deployment = try Self.documents("deploy/kubernetes/suggestion-service.yaml")[0]
        let serviceImage = Self.text(deployment, "spec", "template", "spec", "containers", "0", "image")
        #expect(Self.text(container, "image") == serviceImage, "one image for the service and the trials")
        let mounts = Self.items(container["volumeMounts"])
        let mount = try #require(mounts.first)
        #expect(data.hasPrefix(try #require(Self.text(mount, "mountPath"))))
        let volumes = Self.items(podSpec?["volumes"])
        let volume = try #require(volumes.first { Self.text($0, "name") == Self.text(mount, "name") })
        let claim = try #require(Self.text(volume, "persistentVolumeClaim", "claimName"))
        let pvc = try Self.documents("deploy/kubernetes/seoul-traffic-data.yaml")[0]
        #expect(Self.text(pvc, "kind") == "PersistentVolumeClaim")
        #expect(Self.text(pvc, "metadata", "name") == claim)
    }

    @Test func dockerfileBuildsTheOneBinaryImage() throws {
        let dockerfile = try String(contentsOfFile: PackagePaths.file("deploy/Dockerfile"), encoding: .utf8)
        #expect(dockerfile.contains("swift build -c release --product tunekit"))
        #expect(dockerfile.contains(#"ENTRYPOINT ["tunekit"]"#))
        #expect(dockerfile.contains("EXPOSE 6789"))
        // The KFP pipelines run deploy/katib's Experiment from the image, and their deploy step uses git over ssh as
        // the image's user.
        #expect(dockerfile.contains("WORKDIR /opt/tunekit"))
        #expect(dockerfile.contains("COPY deploy/katib deploy/katib"))
        #expect(dockerfile.contains("git openssh-client"))
        #expect(dockerfile.contains("useradd --uid 65532"))
    }

    /// deploy/kubernetes is a kustomize base (every listed file exists and parses) and deploy/overlays/production
    /// patches its InferenceService with the version it serves, on the models volume the base declares.
    @Test func kustomizeBaseAndProductionOverlayHangTogether() throws {
        let base = try #require(try Self.documents("deploy/kubernetes/kustomization.yaml").first)
        let resources = Self.items(base["resources"]).compactMap(\.scalarText)
        #expect(resources.contains("inference-service.yaml"))
        #expect(resources.contains("models-pvc.yaml"))
        for resource in resources { #expect(!(try Self.documents("deploy/kubernetes/\(resource)")).isEmpty) }
        let service = try #require(try Self.documents("deploy/kubernetes/inference-service.yaml").first)
        #expect(Self.text(service, "apiVersion") == "serving.kserve.io/v1beta1")
        #expect(Self.text(service, "kind") == "InferenceService")
        #expect(Self.text(service, "spec", "predictor", "model", "modelFormat", "name") == "tunekit")
        // The runtime it names serves that format with tunekit's image, from KServe's model mount, on KServe's port.
        #expect(resources.contains("serving-runtime.yaml"))
        let runtime = try #require(try Self.documents("deploy/kubernetes/serving-runtime.yaml").first)
        #expect(Self.text(runtime, "kind") == "ServingRuntime")
        #expect(Self.text(runtime, "metadata", "name") == Self.text(service, "spec", "predictor", "model", "runtime"))
        #expect(Self.items(runtime["spec"]?["supportedModelFormats"]).compactMap { Self.text($0, "name") } == ["tunekit"])
        let containers = Self.items(runtime["spec"]?["containers"])
        let container = try #require(containers.first)
        let args = Self.items(container["args"]).compactMap { Self.text($0) }
        #expect(args.prefix(3) == ["serve", "--models", "/mnt/models"])
        #expect(args.contains("{{.Name}}"))
        #expect(args.contains("8080"))
        let claim = try #require(Self.text(try Self.documents("deploy/kubernetes/models-pvc.yaml").first, "metadata", "name"))
        #expect(Self.text(service, "spec", "predictor", "model", "storageUri")?.hasPrefix("pvc://\(claim)/model/") == true)

        let overlay = try #require(try Self.documents("deploy/overlays/production/kustomization.yaml").first)
        #expect(Self.items(overlay["resources"]).compactMap(\.scalarText) == ["../../kubernetes"])
        #expect(Self.text(overlay, "patches", "0", "path") == "patch-model-version.yaml")
        let patch = try #require(try Self.documents("deploy/overlays/production/patch-model-version.yaml").first)
        #expect(Self.text(patch, "kind") == "InferenceService")
        #expect(Self.text(patch, "metadata", "name") == Self.text(service, "metadata", "name"))
        let uri = try #require(Self.text(patch, "spec", "predictor", "model", "storageUri"))
        let version = try #require(Self.text(patch, "spec", "predictor", "model", "env", "0", "value"))
        #expect(Self.text(patch, "spec", "predictor", "model", "env", "0", "name") == "MODEL_VERSION")
        #expect(uri == "pvc://\(claim)/model/\(version)")
    }

    /// The retrain CronJob runs the base's script (generated ConfigMap) with tunekit's image on the claims the base
    /// declares, with the overlay and experiment paths that exist in the repository it clones, and the serving runtime
    /// logs predictions to the claim the CronJob reads.
    @Test func retrainCronJobHangsTogether() throws {
        let base = try #require(try Self.documents("deploy/kubernetes/kustomization.yaml").first)
        let resources = Self.items(base["resources"]).compactMap(\.scalarText)
        #expect(resources.contains("retrain-cronjob.yaml"))
        #expect(resources.contains("predictions-pvc.yaml"))
        let generators = Self.items(base["configMapGenerator"])
        let generator = try #require(generators.first { Self.text($0, "name") == "tunekit-retrain-script" })
        let gitops = try Self.gitOpsSettings()
        let files = Self.items(generator["files"]).compactMap(\.scalarText)
        let script = try #require(files.first)
        #expect(FileManager.default.fileExists(atPath: PackagePaths.file("deploy/kubernetes/\(script)")))
        var claims: Set<String> = []
        for resource in resources {
            for document in try Self.documents("deploy/kubernetes/\(resource)") where Self.text(document, "kind") == "PersistentVolumeClaim" {
                claims.insert(Self.text(document, "metadata", "name") ?? "")
            }
        }
        let cronJob = try #require(try Self.documents("deploy/kubernetes/retrain-cronjob.yaml").first)
        #expect(Self.text(cronJob, "kind") == "CronJob")
        #expect(Self.text(cronJob, "spec", "concurrencyPolicy") == "Forbid")
        let pod = cronJob["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"]
        let volumes = Self.items(pod?["volumes"])
        let used = Set(volumes.compactMap { Self.text($0, "persistentVolumeClaim", "claimName") })
        #expect(used == ["tunekit-models", "tunekit-predictions", "seoul-traffic-data"])
        #expect(used.isSubset(of: claims))
        #expect(volumes.contains { Self.text($0, "configMap", "name") == Self.text(generator, "name") })
        let initContainers = Self.items(pod?["initContainers"])
        let retrain = try #require(initContainers.first { Self.text($0, "name") == "retrain" })
        #expect(Self.items(retrain["command"]).compactMap { Self.text($0) } == ["/bin/sh", "/scripts/\((script as NSString).lastPathComponent)"])
        let environment = Self.environment(retrain, configMaps: ["tunekit-gitops": gitops])
        #expect(FileManager.default.fileExists(atPath: PackagePaths.file("\(environment["OVERLAY"] ?? "")/patch-model-version.yaml")))
        #expect(try Self.documents(environment["EXPERIMENT"] ?? "").first.flatMap { Self.text($0, "kind") } == "Experiment")
        let mounts = Self.items(retrain["volumeMounts"]).compactMap { Self.text($0, "mountPath") }
        #expect(mounts.contains(environment["MODELS"] ?? "") && mounts.contains(environment["PREDICTIONS"] ?? ""))
        let runtime = try #require(try Self.documents("deploy/kubernetes/serving-runtime.yaml").first)
        #expect(Self.items(runtime["spec"]?["volumes"]).compactMap { Self.text($0, "persistentVolumeClaim", "claimName") } == ["tunekit-predictions"])
    }

    /// KServe both ways. The base's InferenceService is annotated RawDeployment and its runtime may use the downward
    /// API and a writable claim; the serverless overlay switches to Serverless on a runtime within Knative Serving's
    /// default feature flags: one port named http1 or h2c, no fieldRef or resourceFieldRef env, no volumes or
    /// mounts (persistent-volume-claim, -write and emptyDir are flags), no probe port other than the container's.
    @Test func inferenceServiceRunsRawAndServerless() throws {
        let isvc = try #require(try Self.documents("deploy/kubernetes/inference-service.yaml").first)
        #expect(isvc["metadata"]?["annotations"]?["serving.kserve.io/deploymentMode"]?.scalarText == "RawDeployment")
        let overlay = try #require(try Self.documents("deploy/overlays/serverless/kustomization.yaml").first)
        let patches = Self.items(overlay["patches"]).compactMap { Self.text($0, "path") }
        #expect(Set(patches) == ["patch-model-version.yaml", "patch-serverless.yaml"])
        let patch = try #require(try Self.documents("deploy/overlays/serverless/patch-serverless.yaml").first)
        #expect(patch["metadata"]?["annotations"]?["serving.kserve.io/deploymentMode"]?.scalarText == "Serverless")
        let runtimeName = try #require(Self.text(patch, "spec", "predictor", "model", "runtime"))
        let resources = Self.items(overlay["resources"]).compactMap(\.scalarText).filter { !$0.hasPrefix("..") }
        let runtimes = try resources.flatMap { try Self.documents("deploy/overlays/serverless/\($0)") }
            .filter { Self.text($0, "kind") == "ServingRuntime" }
        let runtime = try #require(runtimes.first { Self.text($0, "metadata", "name") == runtimeName })
        #expect(runtime["spec"]?["volumes"] == nil)
        let containers = Self.items(runtime["spec"]?["containers"])
        #expect(containers.count == 1)
        for container in containers {
            let ports = Self.items(container["ports"])
            #expect(ports.count == 1)
            #expect(["http1", "h2c"].contains(Self.text(ports.first, "name") ?? ""))
            #expect(container["volumeMounts"] == nil)
            for entry in Self.items(container["env"]) {
                #expect(entry["valueFrom"]?["fieldRef"] == nil && entry["valueFrom"]?["resourceFieldRef"] == nil)
            }
            let probePort = container["readinessProbe"]?["httpGet"]?["port"]?.scalarText
            #expect(probePort == nil || probePort == Self.text(ports.first, "containerPort"))
            let arguments = Self.items(container["args"]).compactMap(\.scalarText)
            let log = try #require(arguments.firstIndex(of: "--prediction-log"))
            #expect(arguments[log + 1] == "-", "the prediction log goes to stdout: no writable volume in Serverless")
        }
        // The RawDeployment runtime keeps the per-pod log folder on the claim.
        let raw = try #require(try Self.documents("deploy/kubernetes/serving-runtime.yaml").first)
        let rawArguments = Self.items(Self.items(raw["spec"]?["containers"]).first?["args"]).compactMap(\.scalarText)
        #expect(rawArguments.contains("/mnt/predictions/$(POD_NAME)"))
        // The data claim can be written by the pod that fills it and read by trials on any node.
        let data = try #require(try Self.documents("deploy/kubernetes/seoul-traffic-data.yaml").first)
        #expect(Self.items(data["spec"]?["accessModes"]).compactMap(\.scalarText) == ["ReadWriteMany"])
    }

    /// The literals of the base's `tunekit-gitops` ConfigMap (the repository and overlay the CronJob pushes).
    static func gitOpsSettings() throws -> [String: String] {
        let base = try #require(try documents("deploy/kubernetes/kustomization.yaml").first)
        let generator = try #require(items(base["configMapGenerator"]).first { text($0, "name") == "tunekit-gitops" })
        return Dictionary(uniqueKeysWithValues: items(generator["literals"]).compactMap(\.scalarText).map { literal in
            let parts = literal.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        })
    }

    /// A container's environment: plain values, and values from the named ConfigMaps' data.
    static func environment(_ container: SpecNode, configMaps: [String: [String: String]]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: items(container["env"]).compactMap { entry in
            text(entry, "name").map { name in
                let reference = entry["valueFrom"]?["configMapKeyRef"]
                let fromMap = text(reference, "name").flatMap { configMaps[$0]?[text(reference, "key") ?? ""] }
                return (name, fromMap ?? text(entry, "value") ?? "")
            }
        })
    }

    /// `owner/name` of a git remote, ssh or https form.
    static func repositoryName(_ remote: String) -> String {
        var name = remote
        for prefix in ["git@github.com:", "ssh://git@github.com/", "https://github.com/"] where name.hasPrefix(prefix) {
            name = String(name.dropFirst(prefix.count))
        }
        return name.hasSuffix(".git") ? String(name.dropLast(4)) : name
    }

    /// The retrain CronJob clones and pushes the repository and overlay the Argo CD Application watches (both from the
    /// one tunekit-gitops ConfigMap), and publishes through the promotion gate.
    @Test func retrainPushesWhereArgoCDWatches() throws {
        let gitops = try Self.gitOpsSettings()
        let application = try #require(try Self.documents("deploy/argocd/application.yaml").first)
        let watched = try #require(Self.text(application, "spec", "source", "repoURL"))
        let pushed = try #require(gitops["repository"])
        #expect(Self.repositoryName(pushed) == Self.repositoryName(watched), "CronJob pushes \(pushed), Argo CD watches \(watched)")
        #expect(Self.repositoryName(pushed) == "seoul-mlops/tunekit")
        #expect(gitops["overlay"] == Self.text(application, "spec", "source", "path"))
        let cronJob = try #require(try Self.documents("deploy/kubernetes/retrain-cronjob.yaml").first)
        let pod = cronJob["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"]
        let containers = Self.items(pod?["initContainers"]) + Self.items(pod?["containers"])
        let clone = try #require(containers.first { Self.text($0, "name") == "clone" })
        #expect(Self.environment(clone, configMaps: ["tunekit-gitops": gitops])["GIT_REPOSITORY"] == pushed)
        for name in ["retrain", "push"] {
            let container = try #require(containers.first { Self.text($0, "name") == name })
            #expect(Self.environment(container, configMaps: ["tunekit-gitops": gitops])["OVERLAY"] == gitops["overlay"], "\(name)")
        }
        let push = try #require(containers.first { Self.text($0, "name") == "push" })
        let script = Self.items(push["args"]).compactMap(\.scalarText).joined()
        #expect(script.contains("\"$OVERLAY/patch-model-version.yaml\""))
        #expect(!script.contains("deploy/overlays/production"))
        let retrain = try String(contentsOfFile: PackagePaths.file("deploy/kubernetes/retrain/retrain.sh"), encoding: .utf8)
        #expect(retrain.contains("--require-better"))
    }

    /// The Argo CD Application syncs the production overlay into the namespace that overlay sets.
    @Test func argoCDApplicationSyncsTheProductionOverlay() throws {
        let application = try #require(try Self.documents("deploy/argocd/application.yaml").first)
        #expect(Self.text(application, "apiVersion") == "argoproj.io/v1alpha1")
        #expect(Self.text(application, "kind") == "Application")
        let path = try #require(Self.text(application, "spec", "source", "path"))
        #expect(FileManager.default.fileExists(atPath: PackagePaths.file("\(path)/kustomization.yaml")))
        let overlay = try #require(try Self.documents("\(path)/kustomization.yaml").first)
        #expect(Self.text(application, "spec", "destination", "namespace") == Self.text(overlay, "namespace"))
        #expect(Self.text(application, "spec", "syncPolicy", "automated", "selfHeal") == "true")
    }
}
