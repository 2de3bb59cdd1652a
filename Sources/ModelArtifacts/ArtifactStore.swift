public import Foundation
import CFileSystem

/// A versioned store: `model/<V>/` (model files + manifest) and `artifact/<V>/score.json`, never overwritten by accident.
public protocol ArtifactStore: Sendable {
    /// Publishes one version atomically; fails if it exists unless `force`.
    func publish(
        version: String, manifest: ArtifactManifest, modelFiles: [String: Data], score: Data, force: Bool
    ) throws(ArtifactError)

    /// Reads a model directory, verifying its format version and file checksums.
    func loadModel(at directory: String) throws(ArtifactError) -> (manifest: ArtifactManifest, files: [String: Data])
}

/// The filesystem store. A version is published when `artifact/<V>/score.json` exists: the model directory is renamed
/// into place first, the score directory last, so a score.json always has its complete model beside it. Publishing
/// holds the version's lock (`.locks/<V>.lock`, released by the kernel if the process dies), so two publishers of one
/// version can never both succeed or mix their files; each directory is staged under a hidden name, fsynced, and moved
/// with an atomic no-replace rename (or, with `force`, an atomic exchange with the old one, so V never disappears).
/// A model directory without its score.json is an interrupted publish and is replaced by the next publisher; staging
/// folders left by killed publishers are removed under the lock.
public struct FileSystemArtifactStore: ArtifactStore {
    public let root: String

    public init(root: String) { self.root = root }

    public func modelDirectory(_ version: String) -> String { path(root, "model", version) }
    public func artifactDirectory(_ version: String) -> String { path(root, "artifact", version) }
    public func scorePath(_ version: String) -> String { path(artifactDirectory(version), "score.json") }
    public func lockPath(_ version: String) -> String { path(root, ".locks", version + ".lock") }

    /// True when the version's score.json exists (the publish completed).
    public func isPublished(_ version: String) -> Bool { FileManager.default.fileExists(atPath: scorePath(version)) }

    public func publish(
        version: String, manifest: ArtifactManifest, modelFiles: [String: Data], score: Data, force: Bool
    ) throws(ArtifactError) {
        try claim(version, force: force) { () throws(ArtifactError) in
            let files = modelFiles.merging(["manifest.json": Self.encode(manifest)]) { $1 }
            let stagedModel = try stage(parent: path(root, "model"), version: version, files: files)
            let stagedArtifact = try stage(parent: path(root, "artifact"), version: version, files: ["score.json": score])
            Failpoint.hit("before-publish")
            try install(stagedModel, at: modelDirectory(version))
            Failpoint.hit("between-model-and-score")
            try install(stagedArtifact, at: artifactDirectory(version))
        }
    }

    /// Publishes only `artifact/<V>/score.json` (runs whose trials keep their own models), with the same locking.
    public func publishScore(version: String, score: Data, force: Bool) throws(ArtifactError) {
        try claim(version, force: force) { () throws(ArtifactError) in
            let staged = try stage(parent: path(root, "artifact"), version: version, files: ["score.json": score])
            try install(staged, at: artifactDirectory(version))
        }
    }

    /// Runs `body` holding the version's lock, after removing dead staging folders and refusing a published version
    /// unless `force`.
    private func claim(_ version: String, force: Bool, _ body: () throws(ArtifactError) -> Void) throws(ArtifactError) {
        try Self.checkVersion(version)
        let lock = try FileLock.acquire(lockPath(version))
        defer { withExtendedLifetime(lock) {} }
        removeStaging(version)
        if !force, isPublished(version) { throw .versionExists(version: version, path: artifactDirectory(version)) }
        try body()
    }

    public func loadModel(at directory: String) throws(ArtifactError) -> (manifest: ArtifactManifest, files: [String: Data]) {
        let manifestPath = path(directory, "manifest.json")
        guard let manifestData = FileManager.default.contents(atPath: manifestPath) else { throw .notFound(path: manifestPath) }
        let manifest: ArtifactManifest
        do { manifest = try JSONDecoder().decode(ArtifactManifest.self, from: manifestData) } catch {
            throw .corrupt(path: manifestPath, reason: "manifest cannot be read: \(error)")
        }
        guard manifest.formatVersion == ArtifactManifest.currentFormatVersion else {
            throw .corrupt(
                path: manifestPath,
                reason: "format version \(manifest.formatVersion) is not supported (this tunekit reads \(ArtifactManifest.currentFormatVersion))")
        }
        var files: [String: Data] = [:]
        for (name, checksum) in manifest.files {
            let filePath = path(directory, name)
            guard let data = FileManager.default.contents(atPath: filePath) else { throw .notFound(path: filePath) }
            guard SHA256.hex(data) == checksum else { throw .corrupt(path: filePath, reason: "checksum does not match the manifest") }
            files[name] = data
        }
        return (manifest, files)
    }

    /// Versions may hold letters, digits, `.`, `_`, `-` (no path separators, not `.` or `..`).
    public static func checkVersion(_ version: String) throws(ArtifactError) {
        let allowed = version.unicodeScalars.allSatisfy {
            (("0"..."9").contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || "._-".unicodeScalars.contains($0))
        }
        guard !version.isEmpty, version.count <= 128, allowed, version != ".", version != "..", !version.hasPrefix(".") else {
            throw .invalidVersion(version)
        }
    }

    /// JSON with sorted keys and indentation: stable bytes for the same content.
    public static func encode<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data()
    }

    private func stage(parent: String, version: String, files: [String: Data]) throws(ArtifactError) -> String {
        let staging = path(parent, Self.stagingPrefix(version) + "\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        do { try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true) } catch {
            throw .ioFailure(path: staging, reason: "cannot create directory: \(error.localizedDescription)")
        }
        for (name, data) in files.sorted(by: { $0.key < $1.key }) {
            try Durable.write(data, to: path(staging, name))
        }
        try Durable.syncDirectory(staging)
        return staging
    }

    static func stagingPrefix(_ version: String) -> String { ".\(version).tmp-" }

    /// Removes the version's staging folders (only publishers of this version make them, and they hold its lock).
    private func removeStaging(_ version: String) {
        let fm = FileManager.default
        for parent in [path(root, "model"), path(root, "artifact")] {
            for name in (try? fm.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix(Self.stagingPrefix(version)) {
                try? fm.removeItem(atPath: path(parent, name))
            }
        }
    }

    /// Moves `staged` to `target`: a no-replace rename when the target is absent, else an atomic exchange (the old
    /// content lands at the staging name and is deleted).
    private func install(_ staged: String, at target: String) throws(ArtifactError) {
        if FileManager.default.fileExists(atPath: target) {
            guard tunekit_rename_exchange(staged, target) == 0 else {
                throw .ioFailure(path: target, reason: "cannot swap in the new version: \(String(cString: strerror(errno)))")
            }
        } else if tunekit_rename_noreplace(staged, target) != 0 {
            let reason = errno == EEXIST ? "appeared while publishing (another writer?)" : String(cString: strerror(errno))
            throw .ioFailure(path: target, reason: "cannot rename into place: \(reason)")
        }
        try Durable.syncDirectory((target as NSString).deletingLastPathComponent)
        try? FileManager.default.removeItem(atPath: staged)
    }
}

func path(_ components: String...) -> String {
    components.dropFirst().reduce(components[0]) { ($0 as NSString).appendingPathComponent($1) }
}
