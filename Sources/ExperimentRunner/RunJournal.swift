import Foundation
public import ExperimentModel
import ModelArtifacts
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
    public var searchSpace: [ParameterImportance.Parameter]?
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
    // published (with the refitted model's test metrics) / interrupted
    public var test: [String: Double]?
    public var modelDirectory: String?
    public var scorePath: String?
    public var signal: String?

    public init(_ event: Kind) {
        self.event = event
        time = ISO8601DateFormatter().string(from: Date())
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
    public init(path: String) throws(RunnerError) {
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
    public func append(_ event: JournalEvent) throws(RunnerError) {
        try append(event, sealing: false)
    }

    private func append(_ event: JournalEvent, sealing: Bool) throws(RunnerError) {
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
    public func checkHealthy() throws(RunnerError) {
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
        }
        try? append(event)
    }

    /// Reads every event. A torn last line (the process died while writing it) is dropped; any other unreadable
    /// line is an error naming it.
    public static func read(_ path: String) throws(RunnerError) -> [JournalEvent] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .artifacts("\(path): cannot read the run journal") }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        lines.removeLast()  // after the last newline: empty, or a torn line
        var events: [JournalEvent] = []
        let decoder = JSONDecoder()
        for (offset, line) in lines.enumerated() where !line.isEmpty {
            do {
                events.append(try decoder.decode(JournalEvent.self, from: Data(line)))
            } catch {
                throw .artifacts("\(path):\(offset + 1): unreadable journal line (\(error)); move the journal aside to start over")
            }
        }
        return events
    }
}

/// What a signal handler needs from a running `tune`: its trial processes and its journal.
public final class RunControl: Sendable {
    public let processes = ProcessGroups()
    private let journal = Mutex<RunJournal?>(nil)

    public init() {}

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

/// What a journal says about a run that did not finish: its seed, the trials it suggested and the results it got.
public struct JournalReplay: Sendable {
    public var experimentSHA256: String
    public var seed: UInt64
    public var suggested: [Int: [ParameterAssignment]] = [:]
    public var finished: [Int: TrialOutcome] = [:]
    public var published = false

    /// Nil when the journal has no run-started event.
    public init?(_ events: [JournalEvent]) {
        guard let start = events.first(where: { $0.event == .runStarted }), let digest = start.experimentSHA256,
              let seed = start.seed
        else { return nil }
        experimentSHA256 = digest
        self.seed = seed
        for event in events {
            switch event.event {
            case .trialSuggested:
                if let index = event.trial, let assignments = event.assignments { suggested[index] = assignments }
            case .trialFinished:
                if let index = event.trial, let condition = event.condition {
                    finished[index] = TrialOutcome(
                        condition: condition, metrics: event.metrics ?? [], message: event.message, seconds: event.seconds ?? 0,
                        intermediate: event.intermediate ?? [])
                }
            case .published:
                published = true
            default:
                break
            }
        }
    }
}
