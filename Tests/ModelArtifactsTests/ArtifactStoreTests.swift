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
        #expect(loaded.files == files)
        #expect(loaded.manifest.modelKind == "ridge")
        #expect(FileManager.default.fileExists(atPath: directory.file("artifact/2025-06-01/score.json")))

        let newer = ["model.json": Data("{\"w\": 2}".utf8)]
        #expect(throws: ArtifactError.versionExists(version: "2025-06-01", path: store.artifactDirectory("2025-06-01"))) {
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

    /// Many publishers of one version at once: exactly one wins, every other is refused, and the files that remain
    /// are the winner's model beside the winner's score.
    @Test func concurrentPublishesOfOneVersionHaveExactlyOneWinner() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = FileSystemArtifactStore(root: directory.path)
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for writer in 0..<8 {
                group.addTask {
                    let files = ["model.json": Data("{\"writer\": \(writer)}".utf8)]
                    do {
                        try store.publish(
                            version: "v1", manifest: Self.manifest("v1", files: files), modelFiles: files,
                            score: Data("{\"writer\": \(writer)}".utf8), force: false)
                        return (writer, true)
                    } catch {
                        return (writer, false)
                    }
                }
            }
            return await group.reduce(into: [(Int, Bool)]()) { $0.append($1) }
        }
        let winners = results.filter(\.1).map(\.0)
        #expect(winners.count == 1)
        let winner = try #require(winners.first)
        #expect(try store.loadModel(at: store.modelDirectory("v1")).files["model.json"] == Data("{\"writer\": \(winner)}".utf8))
        #expect(FileManager.default.contents(atPath: store.scorePath("v1")) == Data("{\"writer\": \(winner)}".utf8))
    }

    /// A model directory without its score.json (a publish killed between the two renames) and staging folders of
    /// killed publishers are replaced and removed by the next publish; a held lock refuses a second publisher.
    @Test func interruptedPublishesAreCompletedByTheNextOne() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = FileSystemArtifactStore(root: directory.path)
        let fm = FileManager.default
        try fm.createDirectory(atPath: store.modelDirectory("v1"), withIntermediateDirectories: true)
        try Data("half".utf8).write(to: URL(fileURLWithPath: store.modelDirectory("v1") + "/model.json"))
        try fm.createDirectory(atPath: directory.file("artifact/.v1.tmp-99999-1"), withIntermediateDirectories: true)
        #expect(!store.isPublished("v1"))
        let files = ["model.json": Data("{}".utf8)]
        let lock = try FileLock.acquire(store.lockPath("v1"))
        #expect(throws: ArtifactError.self) {
            try store.publish(version: "v1", manifest: Self.manifest("v1", files: files), modelFiles: files, score: Data("{}".utf8), force: false)
        }
        withExtendedLifetime(lock) {}
        _ = consume lock
        try store.publish(version: "v1", manifest: Self.manifest("v1", files: files), modelFiles: files, score: Data("{}".utf8), force: false)
        #expect(try store.loadModel(at: store.modelDirectory("v1")).files == files)
        #expect(store.isPublished("v1"))
        let hidden = try (fm.contentsOfDirectory(atPath: directory.file("model")) + fm.contentsOfDirectory(atPath: directory.file("artifact")))
            .filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "staging folders remain: \(hidden)")
        #expect(!fm.fileExists(atPath: store.lockPath("v1")), "a released lock leaves no file")
    }

    /// A lock file removed by its holder on release: whoever opened it before the removal takes the lock on the file
    /// the path names now, never on the removed one (so two holders cannot both run).
    @Test func aReleasedLockIsRemovedAndCannotBeHeldTwice() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("runs/v1/lock")
        var first: FileLock? = try FileLock.acquire(path)
        #expect(FileManager.default.contents(atPath: path) == Data("\(getpid())\n".utf8))
        #expect(throws: ArtifactError.self) { try FileLock.acquire(path) }
        // Opened before the holder's release, as a racing taker would have it.
        let early = open(path, O_RDWR)
        first = nil
        _ = first
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(flock(early, LOCK_EX | LOCK_NB) == 0, "the removed file is free to lock, but it is no longer the lock")
        let second = try FileLock.acquire(path)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(throws: ArtifactError.self) { try FileLock.acquire(path) }
        close(early)
        withExtendedLifetime(second) {}
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
