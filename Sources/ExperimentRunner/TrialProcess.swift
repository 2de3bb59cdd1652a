import CFileSystem
import Foundation
import Synchronization

/// The process groups of running trials, so an interrupted run can stop every process a trial started.
public final class ProcessGroups: Sendable {
    /// Running trials: process group → the trial's folder (its `TUNEKIT_TRIAL_DIR`, which every process it starts
    /// inherits).
    private let state = Mutex((groups: [Int32: String](), closed: false))
    /// This process reaps orphaned trial descendants, and every child it has is a trial's.
    private let adoptsOrphans: Bool

    /// With `adoptingOrphans` (the `tune` process, whose only children are trials; never a library's host), this
    /// process becomes the reaper of orphaned descendants (`PR_SET_CHILD_SUBREAPER`): a daemon a trial double-forked
    /// is re-parented here, and killed once no trial runs, even if it cleared its environment.
    public init(adoptingOrphans: Bool = false) {
        adoptsOrphans = adoptingOrphans && tunekit_become_subreaper() == 0
    }

    /// Starts a trial's process group with `spawn` (its PID, or ≤ 0) and registers it in one step, so no other trial's
    /// end can take the new process for an orphan; once `terminateAll` has run, a group that starts late is killed at
    /// once.
    func start(folder: String, _ spawn: () -> Int32) -> Int32 {
        let (pid, closed) = state.withLock { state in
            let pid = spawn()
            if pid > 0 {
                _ = setpgid(pid, pid)  // also from the parent, so the group exists before anyone signals it
                if !state.closed { state.groups[pid] = folder }
            }
            return (pid, state.closed)
        }
        if pid > 0, closed {
            kill(-pid, SIGKILL)
            TrialDescendants.kill(folder: folder)
        }
        return pid
    }

    func remove(_ group: Int32) {
        state.withLock { state in
            state.groups.removeValue(forKey: group)
            // Under the lock: no trial can start between "none runs" and the sweep.
            if state.groups.isEmpty, adoptsOrphans { TrialDescendants.killAdopted() }
        }
    }

    /// True once `terminateAll` has run: the run is being interrupted.
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// SIGTERM to every group, then SIGKILL to any still alive after `grace` seconds, and to every process a trial
    /// started outside its group (`setsid`, double forks). Blocks up to `grace`. No trial process survives it,
    /// including ones started meanwhile.
    public func terminateAll(grace: Double) {
        let running = state.withLock { state in
            state.closed = true
            return state.groups
        }
        guard !running.isEmpty else { return }
        for group in running.keys { kill(-group, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline, running.keys.contains(where: { kill(-$0, 0) == 0 }) { usleep(50_000) }
        for (group, folder) in running {
            kill(-group, SIGKILL)
            TrialDescendants.kill(folder: folder)
        }
        if adoptsOrphans { state.withLock { _ in TrialDescendants.killAdopted() } }
    }
}

/// Processes a trial started that left its process group (`setsid`, a double-forked daemon): found by the
/// `TUNEKIT_TRIAL_DIR` every trial process inherits, as a pod's end takes all its processes with it.
enum TrialDescendants {
    /// SIGKILLs every process (but this one) whose environment names `folder` as its trial folder, and reaps those
    /// re-parented to this process.
    static func kill(folder: String) {
        let marker = Array("TUNEKIT_TRIAL_DIR=\(folder)".utf8)
        let me = getpid()
        var killed: [Int32] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), pid != me,
                  let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { continue }
            let entries = environment.split(separator: 0)
            guard entries.contains(where: { $0.elementsEqual(marker) }) else { continue }
            Glibc.kill(pid, SIGKILL)
            killed.append(pid)
        }
        for pid in killed where parent(of: pid) == me {
            var status: Int32 = 0
            for _ in 0..<100 where waitpid(pid, &status, WNOHANG) == 0 { usleep(10_000) }
        }
    }

    /// SIGKILLs and reaps every child of this process: with no trial running, a child is an orphan a trial left.
    static func killAdopted() {
        let me = getpid()
        var killed: [Int32] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), pid != me, parent(of: pid) == me else { continue }
            Glibc.kill(pid, SIGKILL)
            killed.append(pid)
        }
        for pid in killed {
            var status: Int32 = 0
            for _ in 0..<100 where waitpid(pid, &status, WNOHANG) == 0 { usleep(10_000) }
        }
    }

    /// The parent process id from `/proc/<pid>/stat` (after the command name's closing parenthesis).
    private static func parent(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }
}

/// How a trial process ended.
enum TrialExit: Equatable {
    case exited(Int32)
    /// The watch asked to stop the trial (early stopping); it was terminated.
    case stoppedByWatch
    /// The trial wrote more than `TrialProcess.maxLogBytes` of output and was terminated.
    case outputTooLarge
    case signalled(Int32)
    case timedOut(Double)
    case couldNotStart(String)
}

/// Runs one trial command in its own process group with stdout and stderr streamed to a log file (never held in
/// memory), a deadline (SIGTERM, then SIGKILL after a grace period), and every process of the group killed when the
/// trial ends, so nothing it started in the background outlives it.
enum TrialProcess {
    static let grace = 5.0
    /// The most output a trial may write to its log (a runaway loop must not fill the disk).
    static let maxLogBytes: UInt64 = 1 << 30

    /// Lines appended to a file while the trial runs are passed to `onLines`; returning false stops the trial.
    struct Watch: Sendable {
        let path: String
        /// Bytes of the file before the trial started (not this trial's).
        var offset: UInt64 = 0
        let onLines: @Sendable (String) -> Bool
    }

    static func run(
        _ command: ExternalCommand, folder: String, logPath: String, timeout: Double?, groups: ProcessGroups,
        watch: Watch? = nil
    ) async -> TrialExit {
        // A thread of its own: the wait blocks, and blocked Dispatch workers would starve other work.
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: runBlocking(
                    command, folder: folder, logPath: logPath, timeout: timeout, groups: groups, watch: watch))
            }
        }
    }

    private static func runBlocking(
        _ command: ExternalCommand, folder: String, logPath: String, timeout: Double?, groups: ProcessGroups, watch: Watch?
    ) -> TrialExit {
        guard !command.words.isEmpty else { return .couldNotStart("the command is empty") }
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard log >= 0 else { return .couldNotStart("cannot create \(logPath)") }
        var environment = ProcessInfo.processInfo.environment
        for variable in command.environment { environment[variable.name] = variable.value }
        environment["TUNEKIT_TRIAL_DIR"] = folder
        let directory = command.workingDirectory ?? folder
        let pid = withCStringArray(command.words) { argv in
            withCStringArray(environment.map { "\($0.key)=\($0.value)" }.sorted()) { envp in
                directory.withCString { directory in groups.start(folder: folder) { tunekit_spawn_group(argv, envp, directory, log, log) } }
            }
        }
        let spawnError = errno
        close(log)
        guard pid > 0 else { return .couldNotStart(String(cString: strerror(spawnError))) }
        // Poll for the exit, sending SIGTERM at the deadline and SIGKILL a grace period later.
        let started = Date()
        var status: Int32 = 0
        var timedOut = false
        var terminatedAt: Date?
        var stoppedByWatch = false, outputTooLarge = false
        var tail = watch.map { FileTail(path: $0.path, offset: $0.offset) }
        var polls = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno != EINTR) { break }
            if let timeout, !timedOut, Date().timeIntervalSince(started) >= timeout {
                timedOut = true
                terminatedAt = Date()
                kill(-pid, SIGTERM)
            }
            polls += 1
            if polls % 100 == 0, terminatedAt == nil,
               ((try? FileManager.default.attributesOfItem(atPath: logPath)[.size] as? UInt64) ?? 0) > maxLogBytes {
                outputTooLarge = true
                terminatedAt = Date()
                kill(-pid, SIGTERM)
            }
            if let watch, !stoppedByWatch, terminatedAt == nil, polls % 10 == 0, let lines = tail?.newLines(), !watch.onLines(lines) {
                stoppedByWatch = true
                terminatedAt = Date()
                kill(-pid, SIGTERM)
            }
            if let terminatedAt, Date().timeIntervalSince(terminatedAt) >= grace { kill(-pid, SIGKILL) }
            usleep(10_000)
        }
        kill(-pid, SIGKILL)
        TrialDescendants.kill(folder: folder)
        groups.remove(pid)
        // Everything written since the last poll, however much (one read takes at most 1 MiB): a curve is never cut.
        if let watch, !stoppedByWatch {
            while let lines = tail?.newLines() {
                if !watch.onLines(lines) {
                    stoppedByWatch = true
                    break
                }
            }
        }
        if outputTooLarge { return .outputTooLarge }
        if stoppedByWatch { return .stoppedByWatch }
        if timedOut, let timeout { return .timedOut(timeout) }
        let signal = status & 0x7f
        if signal == 0 {
            let code = (status >> 8) & 0xff
            return code == 127 ? .couldNotStart("not found, or not executable (exit 127)") : .exited(code)
        }
        return .signalled(signal)
    }

    private static func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        let array = pointers.map { UnsafePointer($0) } + [nil]
        return array.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// The complete lines appended to a file since the last call.
struct FileTail {
    let path: String
    var offset: UInt64 = 0

    /// At most 1 MiB of complete lines; nil when no complete line follows the offset yet.
    mutating func newLines() -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        while true {
            guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.read(upToCount: 1 << 20), !data.isEmpty
            else { return nil }
            if let cut = LogFile.lastLineBreak(in: data) {
                offset += UInt64(cut - data.startIndex + 1)
                return String(decoding: data[...cut], as: UTF8.self)
            }
            // A line longer than the read is skipped rather than re-read forever; a shorter one is still being written.
            guard data.count == 1 << 20 else { return nil }
            offset += UInt64(data.count)
        }
    }
}

/// Reading trial logs without loading them whole.
enum LogFile {
    /// The last `lines` lines of a file (from its last 4 KB).
    static func tail(_ path: String, lines: Int) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 4096 ? size - 4096 : 0)
        let text = String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).suffix(lines).map(String.init)
    }

    /// The file from `offset` (from the start if it is now shorter) as chunks of about 1 MiB that each end at a line
    /// break (`\n` or `\r`, as progress bars use). A line longer than `maxLine` is dropped, keeping memory bounded.
    /// Reading stops (see `LineChunks.stopped`) after `byteLimit` bytes or at `deadline`.
    static func lineChunks(
        _ path: String, from offset: UInt64 = 0, byteLimit: UInt64 = .max, deadline: ContinuousClock.Instant? = nil
    ) -> LineChunks {
        let handle = FileHandle(forReadingAtPath: path)
        if let handle, let size = try? handle.seekToEnd() { try? handle.seek(toOffset: size >= offset ? offset : 0) }
        return LineChunks(handle: handle, byteLimit: byteLimit, deadline: deadline)
    }

    /// Why a metrics source cannot be read as a file (a folder, a device, a FIFO); nil for a regular file or none.
    static func refusal(_ path: String) -> String? {
        guard let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType,
              type != .typeRegular
        else { return nil }
        return "\(path) is not a regular file (\(type.rawValue)); metrics are read from a file the trial writes"
    }

    static let maxLine = 1 << 20

    /// The last `\n` or `\r` (progress bars end their lines with `\r`).
    static func lastLineBreak(in data: Data) -> Data.Index? {
        data.lastIndex { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
    }

    struct LineChunks: Sequence, IteratorProtocol {
        let handle: FileHandle?
        let byteLimit: UInt64
        let deadline: ContinuousClock.Instant?
        var carry = Data()
        var done = false
        var read: UInt64 = 0
        /// Why reading stopped before the end of the file, if it did.
        var stopped: String?

        init(handle: FileHandle?, byteLimit: UInt64 = .max, deadline: ContinuousClock.Instant? = nil) {
            self.handle = handle
            self.byteLimit = byteLimit
            self.deadline = deadline
        }

        mutating func next() -> String? {
            guard !done, let handle else { return nil }
            while true {
                if read >= byteLimit { return stop("more than \(byteLimit >> 20) MB") }
                if let deadline, ContinuousClock().now >= deadline { return stop("the trial deadline passed") }
                let block = (try? handle.read(upToCount: 1 << 20)) ?? nil
                guard let block, !block.isEmpty else {
                    done = true
                    try? handle.close()
                    return carry.isEmpty ? nil : String(decoding: carry, as: UTF8.self)
                }
                read += UInt64(block.count)
                // Only the new block is searched for the last break, so a long line costs linear time.
                guard let cut = LogFile.lastLineBreak(in: block) else {
                    carry.append(block)
                    if carry.count > LogFile.maxLine { carry.removeAll(keepingCapacity: true) }
                    continue
                }
                var chunk = carry
                chunk.append(block[block.startIndex...cut])
                carry = Data(block[(cut + 1)...])
                return String(decoding: chunk, as: UTF8.self)
            }
        }

        private mutating func stop(_ reason: String) -> String? {
            stopped = reason
            done = true
            try? handle?.close()
            return nil
        }
    }
}
