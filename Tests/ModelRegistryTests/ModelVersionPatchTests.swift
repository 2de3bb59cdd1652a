import Foundation
import ModelArtifacts
@testable import ModelRegistry
import ModelTraining
import TestSupport
import Testing

@Suite struct ModelVersionPatchTests {
    /// A copy of deploy/overlays/production in a temporary folder.
    static func overlay(in directory: TemporaryDirectory) throws -> String {
        let text = try String(contentsOfFile: PackagePaths.file("deploy/overlays/production/patch-model-version.yaml"), encoding: .utf8)
        _ = directory.write("overlay/patch-model-version.yaml", text)
        return directory.file("overlay")
    }

    /// A published version: model files with their manifest, and score.json; `bst` false makes it a ridge-like one,
    /// `modelJSON` false one without the model itself.
    static func publish(_ version: String, in directory: TemporaryDirectory, bst: Bool = true, modelJSON: Bool = true) throws {
        var files = ["training.json": "{}"]
        if modelJSON { files["model.json"] = "{}" }
        if bst { files["model.bst"] = "tree\n" }
        for (name, text) in files { _ = directory.write("out/model/\(version)/\(name)", text) }
        let manifest = ArtifactManifest(
            modelKind: bst ? "gbdt" : "ridge", modelVersion: version, tunekitVersion: "test", dataChecksum: "x",
            files: files.mapValues { SHA256.hex(Data($0.utf8)) })
        _ = directory.write("out/model/\(version)/manifest.json", String(decoding: try JSONEncoder().encode(manifest), as: UTF8.self))
        let score = ScoreReport(modelVersion: version, trainer: "gbdt", parameters: [:], validation: nil, test: nil, fittedOn: "train", data: nil)
        _ = directory.write("out/artifact/\(version)/score.json", String(decoding: try JSONEncoder().encode(score), as: UTF8.self))
    }

    @Test func bumpRewritesOnlyTheVersionAfterCheckingIt() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let overlay = try Self.overlay(in: directory)
        let path = overlay + "/" + ModelVersionPatch.fileName
        let before = try String(contentsOfFile: path, encoding: .utf8)
        #expect(try ModelVersionPatch.version(in: before, file: path) == "2025-06-01")
        try Self.publish("2026-12-02", in: directory)

        #expect(try ModelVersionPatch.bump(overlay: overlay, version: "2026-12-02", output: directory.file("out")) == "2025-06-01")
        let after = try String(contentsOfFile: path, encoding: .utf8)
        #expect(try ModelVersionPatch.version(in: after, file: path) == "2026-12-02")
        #expect(after.contains("storageUri: pvc://tunekit-models/model/2026-12-02\n"))
        #expect(after.contains("value: \"2026-12-02\"\n"))
        // Comments and every other line are kept.
        let changed = zip(before.split(separator: "\n"), after.split(separator: "\n")).filter { $0 != $1 }
        #expect(changed.count == 2)
        #expect(before.split(separator: "\n").count == after.split(separator: "\n").count)
    }

    @Test func refusesVersionsThatCannotBeServed() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let overlay = try Self.overlay(in: directory)
        let output = directory.file("out")
        func refusal(_ version: String) -> String {
            do {
                try ModelVersionPatch.bump(overlay: overlay, version: version, output: output)
                return "accepted"
            } catch { return error.description }
        }
        #expect(refusal("2030-01-01").contains("is not published"))
        #expect(refusal("../etc").contains("version"))
        try Self.publish("no-model", in: directory, modelJSON: false)
        #expect(refusal("no-model").contains("has no model.json"))
        try Self.publish("tampered", in: directory)
        _ = directory.write("out/model/tampered/model.bst", "other\n")
        #expect(refusal("tampered").contains("incomplete"))
        #expect(refusal("tampered").contains("checksum"))
        try Self.publish("no-score", in: directory)
        _ = directory.write("out/artifact/no-score/score.json", "{")
        #expect(refusal("no-score").contains("cannot be read"))
        // Every refusal left the patch as it was.
        let text = try String(contentsOfFile: overlay + "/" + ModelVersionPatch.fileName, encoding: .utf8)
        #expect(try ModelVersionPatch.version(in: text, file: "patch") == "2025-06-01")
    }

    @Test func inconsistentPatchesAreRefused() {
        let mismatch = """
            spec:
              predictor:
                model:
                  storageUri: pvc://m/model/a
                  env:
                    - name: MODEL_VERSION
                      value: b
            """
        #expect(throws: TunekitError.self) { try ModelVersionPatch.version(in: mismatch, file: "p") }
        #expect(throws: TunekitError.self) { try ModelVersionPatch.version(in: "spec: {}", file: "p") }
    }
}
