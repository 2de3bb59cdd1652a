import Foundation
import ModelArtifacts
import TestSupport
import Testing

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hex(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}

@Suite struct ArtifactStoreTests {
    static func manifest(_ version: String, files: [String: Data]) -> ArtifactManifest {
        ArtifactManifest(modelKind: "ridge", modelVersion: version, tunekitVersion: "test", dataChecksum: "abc",
                         files: files.mapValues { SHA256.hex($0) })
    }

    @Test func publishWritesBothDirectoriesAndNeverOverwritesByAccident() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = FileSystemArtifactStore(root: directory.path)
        let files = ["model.json": Data("{\"w\": 1}".utf8)]
        try store.publish(version: "2025-06-01", manifest: Self.manifest("2025-06-01", files: files), modelFiles: files,
                          score: Data("{\"rmse\": 1}".utf8), force: false)
        let loaded = try store.loadModel(at: store.modelDirectory("2025-06-01"))
        #expect(loaded.files == files && loaded.manifest.modelKind == "ridge")
        #expect(FileManager.default.fileExists(atPath: directory.file("artifact/2025-06-01/score.json")))

        let newer = ["model.json": Data("{\"w\": 2}".utf8)]
        #expect(throws: ArtifactError.versionExists(version: "2025-06-01", path: store.modelDirectory("2025-06-01"))) {
            try store.publish(version: "2025-06-01", manifest: Self.manifest("2025-06-01", files: newer), modelFiles: newer,
                              score: Data(), force: false)
        }
        #expect(try store.loadModel(at: store.modelDirectory("2025-06-01")).files == files, "the refused publish changed nothing")
        try store.publish(version: "2025-06-01", manifest: Self.manifest("2025-06-01", files: newer), modelFiles: newer,
                          score: Data(), force: true)
        #expect(try store.loadModel(at: store.modelDirectory("2025-06-01")).files == newer)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.file("model")).filter { $0.hasPrefix(".") || $0.contains("replaced") }
        #expect(leftovers.isEmpty, "no temporary or displaced directories remain: \(leftovers)")
    }

    @Test(arguments: ["", "..", "a/b", ".hidden", "v 1"])
    func unsafeVersionsAreRefused(_ version: String) {
        #expect(throws: ArtifactError.invalidVersion(version)) { try FileSystemArtifactStore.checkVersion(version) }
    }

    @Test func tamperedFilesAreDetected() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = FileSystemArtifactStore(root: directory.path)
        let files = ["model.json": Data("{}".utf8)]
        try store.publish(version: "v1", manifest: Self.manifest("v1", files: files), modelFiles: files, score: Data(), force: false)
        try Durable.replace(directory.file("model/v1/model.json"), with: Data("{ }".utf8))
        #expect(throws: ArtifactError.corrupt(path: directory.file("model/v1/model.json"), reason: "checksum does not match the manifest")) {
            try store.loadModel(at: store.modelDirectory("v1"))
        }
    }
}
