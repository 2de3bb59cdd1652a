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
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("not published"))
        #expect(try String(contentsOfFile: patch, encoding: .utf8) == original)

        let bumped = try TunekitProcess.run(["publish-version", "--kustomize", overlay, "--output", out], environment: ["MODEL_VERSION": "2026-12-02"])
        #expect(bumped.status == 0, "\(bumped.stderr)")
        #expect(bumped.stderr.contains("2025-06-01 -> 2026-12-02"), "\(bumped.stderr)")
        let text = try String(contentsOfFile: patch, encoding: .utf8)
        #expect(text.contains("storageUri: pvc://tunekit-models/model/2026-12-02\n"))
        #expect(text.contains("value: \"2026-12-02\"\n"))
        // The tunekit ServingRuntime serves ridge models too.
        let ridge = try TunekitProcess.run(["publish-version", "ridge-1", "--kustomize", overlay, "--output", out])
        #expect(ridge.status == 0, "\(ridge.stderr)")
        #expect(ridge.stderr.contains("2026-12-02 -> ridge-1"), "\(ridge.stderr)")
        try original.write(toFile: patch, atomically: true, encoding: .utf8)
        #expect(try TunekitProcess.run(["publish-version", "2026-12-02", "--kustomize", overlay, "--output", out]).status == 0)

        if let kubectl = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first(where: FileManager.default.isExecutableFile) {
            let rendered = try TunekitProcess.runTool(kubectl, ["kustomize", overlay])
            #expect(rendered.status == 0, "\(rendered.stderr)")
            #expect(rendered.stdout.contains("storageUri: pvc://tunekit-models/model/2026-12-02"))
            #expect(rendered.stdout.contains("value: \"2026-12-02\""))
            #expect(rendered.stdout.contains("namespace: kubeflow"))
            #expect(rendered.stdout.contains("modelFormat:"))
            #expect(rendered.stdout.contains("kind: PersistentVolumeClaim"))
            #expect(rendered.stdout.contains("kind: ServingRuntime"))
            #expect(rendered.stdout.contains("runtime: tunekit"))
        }
    }

    /// The promotion gate: `--require-better` scores the candidate and the served version on the candidate's test
    /// rows and refuses a worse candidate (exit 4, overlay untouched); it refuses to compare when it cannot (no served
    /// version published, no test split, data changed since scoring). `--canary-percent` sets and ends KServe's
    /// canaryTrafficPercent.
    @Test func requireBetterRefusesAWorseVersionAndCanariesAreSetAndEnded() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let overlay = directory.file("deploy/overlays/production")
        try FileManager.default.createDirectory(atPath: directory.file("deploy"), withIntermediateDirectories: true)
        for folder in ["kubernetes", "overlays"] {
            try FileManager.default.copyItem(atPath: PackagePaths.file("deploy/\(folder)"), toPath: directory.file("deploy/\(folder)"))
        }
        let csv = directory.write("table.csv", regressionCSV(rows: 400, seed: 11))
        let out = directory.file("out")
        for (version, arguments) in [
            ("good", ["--trainer", "gbdt", "--num_iterations=60", "--min_data_in_leaf=5", "--test-fraction", "0.2"]),
            ("bad", ["--trainer", "ridge", "--alpha=1000000", "--test-fraction", "0.2"]),
            ("untested", ["--trainer", "ridge"]),
        ] {
            let trained = try TunekitProcess.run(
                ["train", "--data", csv, "--target=y", "--output", out, "--model-version", version] + arguments)
            #expect(trained.status == 0, "\(trained.stderr)")
        }
        let patch = "\(overlay)/patch-model-version.yaml"
        func served() throws -> String { try String(contentsOfFile: patch, encoding: .utf8) }
        func publish(_ arguments: String...) throws -> TunekitProcess.Result {
            try TunekitProcess.run(["publish-version"] + arguments + ["--kustomize", overlay, "--output", out])
        }

        // The base names a version that was never published here: nothing to compare with.
        let first = try publish("bad", "--require-better")
        #expect(first.status == 1)
        #expect(first.stderr.contains("the served version 2025-06-01 is not published"), "\(first.stderr)")
        #expect(try publish("bad").status == 0)

        let better = try publish("good", "--require-better")
        #expect(better.status == 0, "\(better.stderr)")
        #expect(better.stderr.contains("good is at least as good as the served bad: test rmse on the same 80 rows"), "\(better.stderr)")
        let promoted = try served()
        #expect(promoted.contains("model/good\n"))

        let worse = try publish("bad", "--require-better")
        #expect(worse.status == 4)
        #expect(worse.stderr.contains("not promoted: bad is worse than the served good: test rmse on the same 80 rows"), "\(worse.stderr)")
        #expect(try served() == promoted)
        // By a metric where higher is better, the same verdict.
        let byR2 = try publish("bad", "--require-better", "--metric", "r2")
        #expect(byR2.status == 4)
        #expect(byR2.stderr.contains("(higher is better)"), "\(byR2.stderr)")

        let untested = try publish("untested", "--require-better")
        #expect(untested.status == 1)
        #expect(untested.stderr.contains("untested has no test split"), "\(untested.stderr)")

        // A canary: 10 % to the version, then all of it.
        #expect(try publish("good", "--canary-percent", "10").status == 0)
        let canary = try served()
        #expect(canary.contains("  predictor:\n    canaryTrafficPercent: 10\n    model:\n"), "\(canary)")
        if let kubectl = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first(where: FileManager.default.isExecutableFile) {
            let rendered = try TunekitProcess.runTool(kubectl, ["kustomize", overlay])
            #expect(rendered.status == 0, "\(rendered.stderr)")
            #expect(rendered.stdout.contains("canaryTrafficPercent: 10"))
        }
        #expect(try publish("good", "--canary-percent", "100").status == 0)
        #expect(try served() == promoted)
        #expect(try publish("good", "--canary-percent", "0").status == 1)

        // A served model that cannot predict some of the candidate's test rows (a site it never saw, with ridge)
        // scores NaN there: not comparable, rather than any candidate passing.
        let wider = directory.write("wider.csv", try String(contentsOfFile: csv, encoding: .utf8)
            .replacingOccurrences(of: ",north,", with: ",west,"))
        let widerTrained = try TunekitProcess.run([
            "train", "--data", wider, "--target=y", "--output", out, "--model-version", "wider", "--trainer", "gbdt",
            "--num_iterations=5", "--test-fraction", "0.2",
        ])
        #expect(widerTrained.status == 0, "\(widerTrained.stderr)")
        #expect(try publish("bad").status == 0)
        let incomparable = try publish("wider", "--require-better")
        #expect(incomparable.status == 1)
        #expect(incomparable.stderr.contains("the served version bad has no finite test rmse"), "\(incomparable.stderr)")
        #expect(try publish("good").status == 0)

        // The candidate's data changed after it was scored: its test rows cannot be rebuilt.
        try (try String(contentsOfFile: csv, encoding: .utf8) + "0.5,0.5,0.5,north,3\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let changed = try publish("bad", "--require-better")
        #expect(changed.status == 1)
        #expect(changed.stderr.contains("has changed since version bad was scored"), "\(changed.stderr)")
        #expect(try served() == promoted)
    }
}
