import CFileSystem
import Foundation

/// An exclusive lock on a file (`flock`), holding the owner's PID for error messages. The kernel releases it when the
/// owner exits, however it exits, so a lock left by a killed process is simply taken over. Released normally, the
/// file is removed (no lock files left behind); a taker checks that the file it locked is still the one the path
/// names, so removal never lets two holders in.
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
        var descriptor: Int32 = -1
        for _ in 0..<100 {
            descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw .ioFailure(path: path, reason: "cannot open lock file: \(String(cString: strerror(errno)))") }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                let owner = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data(), as: UTF8.self)
                close(descriptor)
                throw .locked(path: path, owner: Int32(owner.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            // Locked a file its last holder removed on release: take the one the path names now.
            if tunekit_same_file(descriptor, path) == 1 { break }
            close(descriptor)
            descriptor = -1
        }
        guard descriptor >= 0 else { throw .ioFailure(path: path, reason: "the lock file keeps being replaced") }
        let pid = Data("\(ProcessInfo.processInfo.processIdentifier)\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return FileLock(path: path, descriptor: descriptor)
    }

    /// Removes the file while still holding it, then releases it.
    deinit {
        unlink(path)
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
