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
        #expect(Self.text(deployment, "apiVersion") == "apps/v1" && Self.text(service, "apiVersion") == "v1")
        let selector = try #require(Self.text(deployment, "spec", "selector", "matchLabels", "app.kubernetes.io/name"))
        #expect(Self.text(deployment, "spec", "template", "metadata", "labels", "app.kubernetes.io/name") == selector)
        #expect(Self.text(service, "spec", "selector", "app.kubernetes.io/name") == selector)

        let containers = Self.items(deployment["spec"]?["template"]?["spec"]?["containers"])
        let container = try #require(containers.first)
        #expect(Self.text(container, "image")?.hasPrefix("ghcr.io/seoul-mlops/tunekit:") == true)
        let args = Self.items(container["args"]).compactMap(\.scalarText)
        #expect(args.first == "serve" && args.contains("0.0.0.0"))
        let port = try #require(Self.text(container, "ports", "0", "containerPort"))
        #expect(args.contains(port), "the server listens where the container port says")
        #expect(Self.text(service, "spec", "ports", "0", "targetPort") == Self.text(container, "ports", "0", "name"))
        // Probes hit endpoints the server documents.
        let openAPI = try String(contentsOfFile: PackagePaths.file("deploy/openapi.json"), encoding: .utf8)
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
        #expect(Self.text(pvc, "kind") == "PersistentVolumeClaim" && Self.text(pvc, "metadata", "name") == claim)
    }

    @Test func dockerfileBuildsTheOneBinaryImage() throws {
        let dockerfile = try String(contentsOfFile: PackagePaths.file("deploy/Dockerfile"), encoding: .utf8)
        #expect(dockerfile.contains("swift build -c release --product tunekit"))
        #expect(dockerfile.contains(#"ENTRYPOINT ["tunekit"]"#))
        #expect(dockerfile.contains("EXPOSE 6789"))
    }
}
