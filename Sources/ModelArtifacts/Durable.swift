public import Foundation

/// File writes that survive a crash: write, fsync, and (for replacements) rename over the old file.
public enum Durable {
    /// Writes `data` to `path` and fsyncs it.
    public static func write(_ data: Data, to path: String) throws(ArtifactError) {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path)
        else { throw .ioFailure(path: path, reason: "cannot create file") }
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            throw .ioFailure(path: path, reason: "write failed: \(error.localizedDescription)")
        }
    }

    /// Replaces `path` atomically: a temporary sibling is written and synced, then renamed over it.
    public static func replace(_ path: String, with data: Data) throws(ArtifactError) {
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        try write(data, to: temporary)
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .ioFailure(path: path, reason: "cannot rename the temporary file into place")
        }
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// fsyncs a directory so that renames inside it are durable.
    public static func syncDirectory(_ directory: String) throws(ArtifactError) {
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY)
        guard descriptor >= 0 else { throw .ioFailure(path: directory, reason: "cannot open directory to sync") }
        defer { close(descriptor) }
        _ = fsync(descriptor)
    }
}
