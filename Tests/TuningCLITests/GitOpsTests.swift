import Foundation
import TestSupport
import Testing

/// `tunekit publish-version` on a copy of deploy/: a published gbdt version becomes the overlay's, rendered by
/// `kubectl kustomize` where kubectl exists; a version that cannot be served leaves the overlay untouched.
@Suite struct GitOpsTests {
    @Test func publishVersionBumpsTheOverlayThatKustomizeRenders() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let deploy = directory.file("deploy")
        try FileManager.default.createDirectory(atPath: deploy, withIntermediateDirectories: true)
        for folder in ["kubernetes", "overlays"] {
            try FileManager.default.copyItem(atPath: PackagePaths.file("deploy/\(folder)"), toPath: "\(deploy)/\(folder)")
        }
        let csv = directory.write("table.csv", "x,y\n" + (0..<60).map { "\($0),\($0 % 7)" }.joined(separator: "\n") + "\n")
        let out = directory.file("out")
        for (trainer, version) in [("gbdt", "2026-12-02"), ("ridge", "ridge-1")] {
            let trained = try TunekitProcess.run(
                ["train", "--trainer", trainer, "--data", csv, "--target=y", "--output", out], environment: ["MODEL_VERSION": version])
            #expect(trained.status == 0, "\(trained.stderr)")
        }
        let overlay = "\(deploy)/overlays/production"
        let patch = "\(overlay)/patch-model-version.yaml"
        let original = try String(contentsOfFile: patch, encoding: .utf8)

        let missing = try TunekitProcess.run(["publish-version", "2099-01-01", "--kustomize", overlay, "--output", out])
        #expect(missing.status == 1 && missing.stderr.contains("not published"))
        #expect(try String(contentsOfFile: patch, encoding: .utf8) == original)

        let bumped = try TunekitProcess.run(["publish-version", "--kustomize", overlay, "--output", out], environment: ["MODEL_VERSION": "2026-12-02"])
        #expect(bumped.status == 0 && bumped.stderr.contains("2025-06-01 -> 2026-12-02"), "\(bumped.stderr)")
        let text = try String(contentsOfFile: patch, encoding: .utf8)
        #expect(text.contains("storageUri: pvc://tunekit-models/model/2026-12-02\n") && text.contains("value: \"2026-12-02\"\n"))
        // The tunekit ServingRuntime serves ridge models too.
        let ridge = try TunekitProcess.run(["publish-version", "ridge-1", "--kustomize", overlay, "--output", out])
        #expect(ridge.status == 0 && ridge.stderr.contains("2026-12-02 -> ridge-1"), "\(ridge.stderr)")
        try original.write(toFile: patch, atomically: true, encoding: .utf8)
        #expect(try TunekitProcess.run(["publish-version", "2026-12-02", "--kustomize", overlay, "--output", out]).status == 0)

        if let kubectl = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first(where: FileManager.default.isExecutableFile) {
            let rendered = try TunekitProcess.runTool(kubectl, ["kustomize", overlay])
            #expect(rendered.status == 0, "\(rendered.stderr)")
            #expect(rendered.stdout.contains("storageUri: pvc://tunekit-models/model/2026-12-02"))
            #expect(rendered.stdout.contains("value: \"2026-12-02\"") && rendered.stdout.contains("namespace: kubeflow"))
            #expect(rendered.stdout.contains("modelFormat:") && rendered.stdout.contains("kind: PersistentVolumeClaim"))
            #expect(rendered.stdout.contains("kind: ServingRuntime") && rendered.stdout.contains("runtime: tunekit"))
        }
    }
}
