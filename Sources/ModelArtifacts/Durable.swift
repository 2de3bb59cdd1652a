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

/// Reads small files (patches, calendars, manifests) whole, refusing one larger than a limit before reading it: a
/// 1 GB file named by mistake is an error, not an allocation.
public enum SmallFile {
    public enum Failure: Error, Sendable {
        case unreadable
        case tooLarge(size: Int, limit: Int)
    }

    public static func read(_ path: String, limit: Int) throws(Failure) -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable }
        defer { try? handle.close() }
        // One byte past the limit tells "too large" without trusting the size a special file reports.
        guard let data = try? handle.read(upToCount: limit + 1) ?? Data() else { throw .unreadable }
        guard data.count <= limit else {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? data.count
            throw .tooLarge(size: size, limit: limit)
        }
        return data
    }

    /// `read` as UTF-8 text; nil for bytes that are not UTF-8.
    public static func text(_ path: String, limit: Int) throws(Failure) -> String? {
        String(data: try read(path, limit: limit), encoding: .utf8)
    }
}
