public import ExperimentModel
import Foundation
import ModelArtifacts
import ModelRegistry
import ModelTraining
import Synchronization

/// One line of a run's journal. Fields are set per event kind; absent ones are omitted.
public struct JournalEvent: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case runStarted = "run-started"
        case runResumed = "run-resumed"
        case trialSuggested = "trial-suggested"
        case trialStarted = "trial-started"
        case trialFinished = "trial-finished"
        case published
        case interrupted
    }

    public var event: Kind
    /// UTC, ISO 8601.
    public var time: String
    // run-started / run-resumed
    public var experiment: String?
    public var experimentSHA256: String?
    public var seed: UInt64?
    public var modelVersion: String?
    public var tunekitVersion: String?
    /// The objective's metric name, its direction (`maximize` or `minimize`) and the algorithm (journals from tunekit
    /// 0.1 lack them).
    public var objectiveMetric: String?
    public var objectiveGoal: String?
    public var algorithm: String?
    /// The parameters' bounds and choices, for the report's analysis (older journals lack them).
    public var searchSpace: [RecordedParameter]?
    /// The data files the trials read, as they were when the run started (journals before 0.3 lack them).
    public var inputs: [InputFileRecord]?
    /// `--warm-start`: the earlier run's journal whose finished trials are history, and how many.
    public var warmStart: String?
    public var warmStartTrials: Int?
    // trial events
    public var trial: Int?
    public var name: String?
    public var assignments: [ParameterAssignment]?
    public var condition: TrialCondition?
    public var metrics: [MetricValue]?
    public var message: String?
    public var seconds: Double?
    /// The objective step by step (early stopping), in trial-finished events.
    public var intermediate: [Double]?
    /// Boosting iterations the trial's model kept, in trial-finished events of in-process gbdt trials.
    public var bestIteration: Int?
    // published (with the refitted model's test metrics) / interrupted
    public var test: [String: Double]?
    public var modelDirectory: String?
    public var scorePath: String?
    public var signal: String?
    /// Why the run ended (`GoalReached`, `MaxTrialsReached`), in published events.
    public var outcome: String?

    public init(_ event: Kind) {
        self.event = event
        time = JournalTime.now()
    }
}

/// The journal's timestamps: ISO 8601 in UTC with milliseconds (`2026-12-07T15:12:00.123Z`); journals written before
/// milliseconds were recorded (`…T15:12:00Z`) still read.
public enum JournalTime {
    public static func now() -> String { string(Date()) }

    static func string(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// The instant a journal time names; nil when it is not one.
    public static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// Unix milliseconds (MLflow's timestamps); 0 for text that is not a time.
    public static func millis(_ text: String) -> Int64 {
        date(text).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? 0
    }
}

/// `<output>/runs/<V>/journal.jsonl`: the append-only record of a tuning run, one JSON object a line, each line
/// fsynced before the run goes on. A run killed at any moment can be resumed from it: what it holds is what happened.
public final class RunJournal: Sendable {
    public let path: String
    /// The file, and whether `seal` has run (later events, e.g. trials failing because the interrupt killed them,
    /// are not recorded); one lock, so nothing slips in between the seal's line and the seal.
    private let state: Mutex<(handle: FileHandle, sealed: Bool)>
    /// The first write that failed (a full disk, a removed folder): the run must not publish on a broken record.
    private let failure = Mutex<String?>(nil)

    /// Opens (creating) the journal for appending; a torn last line left by a killed writer is cut off first.
    public init(path: String) throws(TunekitError) {
        self.path = path
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) { _ = fm.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw .artifacts("\(path): cannot open the run journal") }
        do {
            let data = try handle.readToEnd() ?? Data()
            let complete = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
            if complete < data.count { try handle.truncate(atOffset: UInt64(complete)) }
            try handle.seekToEnd()
        } catch {
            throw .artifacts("\(path): cannot append to the run journal: \(error.localizedDescription)")
        }
        state = Mutex((handle, false))
    }

    /// Appends a last event; every later append is dropped, so a resumed run re-runs what was in flight.
    public func seal(with event: JournalEvent) {
        try? append(event, sealing: true)
    }

    /// Appends one event and fsyncs it (nothing once the journal is sealed).
    public func append(_ event: JournalEvent) throws(TunekitError) {
        try append(event, sealing: false)
    }

    private func append(_ event: JournalEvent, sealing: Bool) throws(TunekitError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(event) else { throw .artifacts("\(path): cannot encode a journal event") }
        line.append(UInt8(ascii: "\n"))
        let failure: String? = state.withLock { state in
            guard !state.sealed else { return nil }
            state.sealed = sealing
            do {
                try state.handle.write(contentsOf: line)
                try state.handle.synchronize()
                return nil
            } catch {
                return error.localizedDescription
            }
        }
        if let failure {
            self.failure.withLock { if $0 == nil { $0 = failure } }
            throw .artifacts("\(path): cannot write the run journal: \(failure)")
        }
    }

    /// Throws if any append failed.
    public func checkHealthy() throws(TunekitError) {
        if let failure = failure.withLock({ $0 }) { throw .artifacts("\(path): the run journal could not be written: \(failure)") }
    }

    /// Records a trial event; a failure is kept for `checkHealthy`.
    func record(_ kind: JournalEvent.Kind, _ trial: TrialState, outcome: TrialOutcome? = nil) {
        var event = JournalEvent(kind)
        event.trial = trial.index
        event.name = trial.name
        if kind == .trialSuggested { event.assignments = trial.assignments }
        if let outcome {
            event.condition = outcome.condition
            event.metrics = outcome.metrics
            event.message = outcome.message
            event.seconds = outcome.seconds
            event.intermediate = outcome.intermediate.isEmpty ? nil : outcome.intermediate
            event.bestIteration = outcome.bestIteration
        }
        try? append(event)
    }

    /// Reads every event. A torn last line (the process died while writing it) is dropped; any other unreadable
    /// line is an error naming it.
    public static func read(_ path: String) throws(TunekitError) -> [JournalEvent] {
        try readNumbered(path).map(\.event)
    }

    /// Every event with its line number (from 1).
    static func readNumbered(_ path: String) throws(TunekitError) -> [(line: Int, event: JournalEvent)] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .artifacts("\(path): cannot read the run journal") }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        lines.removeLast()  // after the last newline: empty, or a torn line
        var events: [(line: Int, event: JournalEvent)] = []
        let decoder = JSONDecoder()
        for (offset, line) in lines.enumerated() where !line.isEmpty {
            do {
                events.append((offset + 1, try decoder.decode(JournalEvent.self, from: Data(line))))
            } catch {
                throw .artifacts("\(path):\(offset + 1): unreadable journal line (\(error)); move the journal aside to start over")
            }
        }
        return events
    }
}

/// What a signal handler needs from a running `tune`: its trial processes and its journal.
public final class RunControl: Sendable {
    public let processes: ProcessGroups
    private let journal = Mutex<RunJournal?>(nil)

    /// `adoptingOrphans`: see `ProcessGroups.init`.
    public init(adoptingOrphans: Bool = false) { processes = ProcessGroups(adoptingOrphans: adoptingOrphans) }

    func attach(_ journal: RunJournal) { self.journal.withLock { $0 = journal } }

    /// True once `interrupt` has begun: the run must not go on to refit or publish.
    public var isInterrupted: Bool { processes.isClosed }

    /// Records the interruption, stops recording, and terminates the trial processes (SIGTERM, SIGKILL after `grace`).
    /// Returns the journal's path, or nil when the run had not started one yet.
    public func interrupt(signal: String, grace: Double) -> String? {
        let journal = self.journal.withLock { $0 }
        var event = JournalEvent(.interrupted)
        event.signal = signal
        journal?.seal(with: event)
        processes.terminateAll(grace: grace)
        return journal?.path
    }
}

/// What a journal says about a run: its seed, what it depended on, the trials it suggested and the results it got.
public struct JournalReplay: Sendable {
    public var experimentSHA256: String
    public var seed: UInt64
    /// The tunekit that started the run.
    public var tunekitVersion: String?
    /// The data files as they were when the run started; nil for journals that predate the record.
    public var inputs: [InputFileRecord]?
    public var names: [Int: String] = [:]
    public var suggested: [Int: [ParameterAssignment]] = [:]
    public var finished: [Int: TrialOutcome] = [:]
    /// The last published event, once the run has finished.
    public var published: JournalEvent?

    /// Nil when the journal has no run-started event. Lenient: for printing what a journal holds.
    public init?(_ events: [JournalEvent]) {
        try? self.init(numbered: events.enumerated().map { ($0.offset + 1, $0.element) }, path: "journal")
    }

    /// Reads and checks a journal: a trial suggested out of order or twice, or a result for a trial never suggested
    /// or already finished, is an error naming the line. Nil when the journal has no run-started event.
    public static func load(_ path: String) throws(TunekitError) -> JournalReplay? {
        try JournalReplay(numbered: RunJournal.readNumbered(path), path: path)
    }

    private init?(numbered events: [(line: Int, event: JournalEvent)], path: String) throws(TunekitError) {
        guard let start = events.first(where: { $0.event.event == .runStarted })?.event, let digest = start.experimentSHA256,
              let seed = start.seed
        else { return nil }
        experimentSHA256 = digest
        self.seed = seed
        tunekitVersion = start.tunekitVersion
        inputs = start.inputs
        func refuse(_ line: Int, _ why: String) -> TunekitError {
            .artifacts("\(path):\(line): \(why); the journal was edited or written by another run: move it aside (or pass --force) to start over")
        }
        for (line, event) in events {
            switch event.event {
            case .trialSuggested:
                guard let index = event.trial, let assignments = event.assignments else {
                    throw refuse(line, "a trial-suggested event without its trial number and assignments")
                }
                guard index == suggested.count else {
                    throw refuse(line, "trial \(index + 1) is suggested where trial \(suggested.count + 1) comes next")
                }
                suggested[index] = assignments
                names[index] = event.name
            case .trialStarted, .trialFinished:
                guard let index = event.trial, suggested[index] != nil else {
                    throw refuse(line, "a result for trial \(event.trial.map { String($0 + 1) } ?? "?"), which was never suggested")
                }
                guard event.event == .trialFinished else { continue }
                guard let condition = event.condition else { throw refuse(line, "trial \(index + 1) finished without a condition") }
                guard finished[index] == nil else { throw refuse(line, "a second result for trial \(index + 1)") }
                finished[index] = TrialOutcome(
                    condition: condition, metrics: event.metrics ?? [], message: event.message, seconds: event.seconds ?? 0,
                    intermediate: event.intermediate ?? [], bestIteration: event.bestIteration)
            case .published:
                published = event
            case .runStarted, .runResumed, .interrupted:
                break
            }
        }
    }
}

/// One data file a run read: where, how large, when it was last modified and its SHA-256.
public struct InputFileRecord: Sendable, Codable, Equatable {
    public var path: String
    public var size: Int
    /// Modification time, seconds since 1970 (for messages; the digest decides whether the file changed).
    public var modified: Double
    public var sha256: String

    /// The file as it is now.
    public static func of(_ path: String) throws(TunekitError) -> InputFileRecord {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int
        else { throw .data("\(path): cannot be read") }
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return InputFileRecord(path: path, size: size, modified: modified, sha256: try DataChecksum.file(path))
    }

    /// What differs between the files a run recorded and the files now, one phrase per file; empty when nothing does.
    public static func changes(recorded: [InputFileRecord], now: [InputFileRecord]) -> [String] {
        let before = Dictionary(recorded.map { ($0.path, $0) }) { first, _ in first }
        let after = Dictionary(now.map { ($0.path, $0) }) { first, _ in first }
        var changes: [String] = []
        for file in recorded where after[file.path] == nil { changes.append("\(file.path) is no longer read (removed?)") }
        for file in now {
            guard let old = before[file.path] else {
                changes.append("\(file.path) is new")
                continue
            }
            guard old.sha256 != file.sha256 else { continue }
            let stamp = { (seconds: Double) in ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: seconds)) }
            changes.append(
                "\(file.path) changed (\(old.size) bytes modified \(stamp(old.modified)) → \(file.size) bytes modified \(stamp(file.modified)))")
        }
        return changes
    }
}
