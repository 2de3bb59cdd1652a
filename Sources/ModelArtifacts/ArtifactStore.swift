public import Foundation

/// A versioned store: `model/<V>/` (model files + manifest) and `artifact/<V>/score.json`, never overwritten by accident.
public protocol ArtifactStore: Sendable {
    /// Publishes one version atomically; fails if it exists unless `force`.
    func publish(
        version: String, manifest: ArtifactManifest, modelFiles: [String: Data], score: Data, force: Bool
    ) throws(ArtifactError)

    /// Reads a model directory, verifying its format version and file checksums.
    func loadModel(at directory: String) throws(ArtifactError) -> (manifest: ArtifactManifest, files: [String: Data])
}

/// The filesystem store: each directory is written under a temporary name, synced, then renamed into place.
public struct FileSystemArtifactStore: ArtifactStore {
    public let root: String

    public init(root: String) { self.root = root }

    public func modelDirectory(_ version: String) -> String { path(root, "model", version) }
    public func artifactDirectory(_ version: String) -> String { path(root, "artifact", version) }

    public func publish(
        version: String, manifest: ArtifactManifest, modelFiles: [String: Data], score: Data, force: Bool
    ) throws(ArtifactError) {
        try Self.checkVersion(version)
        let modelDir = modelDirectory(version), artifactDir = artifactDirectory(version)
        let fm = FileManager.default
        if !force {
            for existing in [modelDir, artifactDir] where fm.fileExists(atPath: existing) {
                throw .versionExists(version: version, path: existing)
            }
        }
        let manifestData = Self.encode(manifest)
        let stagedModel = try stage(parent: path(root, "model"), version: version, files: modelFiles.merging(["manifest.json": manifestData]) { $1 })
        let stagedArtifact = try stage(parent: path(root, "artifact"), version: version, files: ["score.json": score])
        // The model goes first: a score.json in place means its model is complete.
        try install(stagedModel, at: modelDir)
        try install(stagedArtifact, at: artifactDir)
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
        let staging = path(parent, ".\(version).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        do { try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true) } catch {
            throw .ioFailure(path: staging, reason: "cannot create directory: \(error.localizedDescription)")
        }
        for (name, data) in files.sorted(by: { $0.key < $1.key }) {
            try Durable.write(data, to: path(staging, name))
        }
        try Durable.syncDirectory(staging)
        return staging
    }

    private func install(_ staged: String, at target: String) throws(ArtifactError) {
        let fm = FileManager.default
        var displaced: String?
        if fm.fileExists(atPath: target) {
            let old = target + ".replaced-\(ProcessInfo.processInfo.processIdentifier)"
            guard rename(target, old) == 0 else { throw .ioFailure(path: target, reason: "cannot move the old version aside") }
            displaced = old
        }
        guard rename(staged, target) == 0 else {
            if let displaced { _ = rename(displaced, target) }
            throw .ioFailure(path: target, reason: "cannot rename \(staged) into place")
        }
        try Durable.syncDirectory((target as NSString).deletingLastPathComponent)
        if let displaced { try? fm.removeItem(atPath: displaced) }
    }
}

func path(_ components: String...) -> String {
    components.dropFirst().reduce(components[0]) { ($0 as NSString).appendingPathComponent($1) }
}
