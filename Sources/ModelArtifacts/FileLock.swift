import Foundation

/// An exclusive lock on a file (`flock`), holding the owner's PID for error messages. The kernel releases it when the
/// owner exits, however it exits, so a lock left by a killed process is simply taken over.
public final class FileLock: Sendable {
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Takes the lock without waiting; throws `.locked` naming the PID that holds it.
    public static func acquire(_ path: String) throws(ArtifactError) -> FileLock {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .ioFailure(path: path, reason: "cannot open lock file: \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let owner = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data(), as: UTF8.self)
            close(descriptor)
            throw .locked(path: path, owner: Int32(owner.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let pid = Data("\(ProcessInfo.processInfo.processIdentifier)\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return FileLock(path: path, descriptor: descriptor)
    }

    deinit {
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
