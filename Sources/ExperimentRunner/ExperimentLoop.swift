public import ExperimentModel
import ModelArtifacts
import ModelTraining
import NumericKernels
import SuggestionAlgorithms

/// One trial of a local run.
public struct TrialState: Sendable {
    public let index: Int
    public let name: String
    public let assignments: [ParameterAssignment]
    public let command: TrialCommand
    public var condition: TrialCondition
    public var metrics: [MetricValue] = []
    public var message: String?
    public var seconds = 0.0
    /// The objective step by step, when the experiment has an early-stopping algorithm.
    public var intermediate: [Double] = []
    /// Boosting iterations the trial's model kept (in-process gbdt).
    public var bestIteration: Int?

    /// The trial as the suggestion algorithms see it.
    public var record: TrialRecord {
        TrialRecord(name: name, assignments: assignments, condition: condition, metrics: metrics)
    }
}

/// Why a run stopped (Katib's experiment conditions).
public enum ExperimentOutcome: Sendable, Equatable {
    case goalReached
    case maxTrialsReached
    case failed(String)

    public var status: String {
        switch self {
        case .goalReached, .maxTrialsReached: "Succeeded"
        case .failed: "Failed"
        }
    }

    public var reason: String {
        switch self {
        case .goalReached: "GoalReached"
        case .maxTrialsReached: "MaxTrialsReached"
        case .failed(let why): why
        }
    }
}

/// Progress notifications for terminals and logs.
public enum RunEvent: Sendable {
    /// A killed run continues from its journal; its finished trials are taken from it, not run again.
    case resuming(journal: String, finishedTrials: Int)
    /// `--resume` found no journal (the run was killed before writing one): it starts from the beginning.
    case startingFresh(journal: String)
    case trialStarted(TrialState)
    case trialFinished(TrialState)
}

/// Katib's experiment reconcile loop on one machine (docs/katib-compat.md §3.7): ask for
/// suggestions while a slot is free, run them concurrently, stop on goal, failures or count (see `run` for the order).
struct ExperimentLoop {
    let experiment: Experiment
    let algorithm: any SuggestionAlgorithm
    let maxTrials: Int
    let seed: UInt64
    let executor: TrialExecutor
    /// Where suggestions and results are recorded as they happen.
    var journal: RunJournal?
    /// A killed run's journal: its finished trials are taken from it instead of being run again.
    var replay: JournalReplay?
    /// `spec.earlyStopping`, validated.
    var earlyStopping: (any EarlyStoppingAlgorithm)?
    /// Assignments to evaluate first, in order (Optuna's `enqueue_trial`); the algorithm suggests the trials after them.
    var enqueued: [[ParameterAssignment]] = []
    /// Finished trials of an earlier run (`--warm-start`): history for the algorithm, never run or counted here.
    var warmStart: [TrialRecord] = []

    /// Runs the experiment, refilling a slot as soon as any trial finishes. Deterministic whatever order parallel trials
    /// finish in: with P = parallelTrialCount ≥ 2, trial j (after the first P) is suggested from the results of trials
    /// 0..<j−P only — the P before it count as running even when one has finished — and starts once those results
    /// are in. So a slow trial holds back only the trial P places after it, where recording strictly in order
    /// (each suggestion seeing one more result) idled a slot whenever a later trial finished first. With P = 1 every
    /// trial sees all before it. When the algorithm
    /// has nothing to issue on those results (hyperband between rungs) the next trial waits for one more result, and
    /// so on: the same seed gives the same trials and the same artifacts. Results are recorded in trial order.
    func run(onEvent: @Sendable (RunEvent) -> Void) async throws(TunekitError) -> (trials: [TrialState], outcome: ExperimentOutcome) {
        var trials: [TrialState] = []
        var outcome = ExperimentOutcome.maxTrialsReached
        let executor = self.executor
        let parallel = experiment.parallelTrialCount
        // How many of the latest trials the next suggestion counts as running whatever their state.
        let lag = parallel > 1 ? parallel : 0
        var failure: TunekitError?
        await withTaskGroup(of: (Int, TrialOutcome).self) { group in
            var finished: [Int: TrialOutcome] = [:]
            var recorded = 0, running = 0
            // The next suggestion sees the results of trials 0..<visible.
            var visible = 0
            var starting = true
            while true {
                // Start trials while a slot is free and the results the next one is suggested from are recorded.
                while starting, running < parallel, trials.count < maxTrials, recorded >= visible {
                    // An interrupted run starts nothing more.
                    guard !executor.processes.isClosed else {
                        starting = false
                        break
                    }
                    let history = Self.history(trials, visible: visible)
                    if let stop = stopCondition(history) {
                        outcome = stop
                        starting = false
                        break
                    }
                    // The first trials share one call (one batch, no results yet); later ones come one at a time.
                    let count = trials.count < parallel ? min(parallel, maxTrials) - trials.count : 1
                    let next: [TrialState]
                    switch Result(catching: { () throws(TunekitError) in try nextTrials(count: count, after: history) }) {
                    case .success(let trials): next = trials
                    case .failure(let error):
                        failure = error
                        outcome = .failed(error.description)
                        starting = false
                        continue
                    }
                    if next.isEmpty {
                        // Nothing to issue on these results: ask again with one more, or stop when all are seen.
                        if visible == trials.count { starting = false } else { visible += 1 }
                        continue
                    }
                    // The early-stopping rule sees the same results as the suggestion: the same in every run.
                    let rule = earlyStopping?.rule(
                        succeeded: history.filter { $0.condition == .succeeded }.map(\.intermediate),
                        objective: experiment.objective.type)
                    for trial in next {
                        trials.append(trial)
                        running += 1
                        onEvent(.trialStarted(trial))
                        if let recorded = replay?.finished[trial.index] {
                            group.addTask { (trial.index, recorded) }
                            continue
                        }
                        let journal = self.journal
                        journal?.record(.trialStarted, trial)
                        group.addTask {
                            let outcome = await executor.run(trial.command, trial: trial, rule: rule)
                            journal?.record(.trialFinished, trial, outcome: outcome)
                            return (trial.index, outcome)
                        }
                    }
                    visible = max(visible, trials.count - lag)
                }
                guard running > 0, let (index, result) = await group.next() else { break }
                running -= 1
                finished[index] = result
                while let result = finished.removeValue(forKey: recorded) {
                    record(result, into: &trials[recorded])
                    onEvent(.trialFinished(trials[recorded]))
                    recorded += 1
                    Failpoint.hit("after-trial-\(recorded)")
                }
            }
        }
        if let failure { throw failure }
        return (trials, stopCondition(trials) ?? outcome)
    }

    /// The trials as the next suggestion sees them: results of the first `visible`, the rest running.
    static func history(_ trials: [TrialState], visible: Int) -> [TrialState] {
        trials.enumerated().map { index, trial in
            guard index >= visible else { return trial }
            var pending = trial
            pending.condition = .running
            pending.metrics = []
            pending.intermediate = []
            return pending
        }
    }

    private func record(_ result: TrialOutcome, into trial: inout TrialState) {
        trial.intermediate = result.intermediate
        trial.condition = result.condition
        trial.metrics = result.metrics
        trial.message = result.message
        trial.seconds = result.seconds
        trial.bestIteration = result.bestIteration
    }

    /// Goal reached, too many failures, or enough completed trials.
    func stopCondition(_ trials: [TrialState]) -> ExperimentOutcome? {
        let objective = experiment.objective
        if let goal = objective.goal,
           trials.contains(where: { $0.record.observedValue(of: objective.objectiveMetricName).map { objective.type.reaches($0, goal: goal) } ?? false }) {
            return .goalReached
        }
        let failed = trials.filter { $0.condition == .failed || $0.condition == .metricsUnavailable }.count
        if let maxFailed = experiment.maxFailedTrialCount, failed > 0, failed >= maxFailed {
            return .failed("\(failed) trial(s) failed or reported no metrics (maxFailedTrialCount \(maxFailed))")
        }
        if trials.filter({ !$0.condition.isActive }).count >= maxTrials { return .maxTrialsReached }
        return nil
    }

    /// Asks the algorithm for `count` assignments and turns them into trials (journalled unless the journal has them;
    /// a resumed run must suggest exactly what the killed one did).
    func nextTrials(count: Int, after trials: [TrialState]) throws(TunekitError) -> [TrialState] {
        let space = algorithm.contextSpace ?? experiment.searchSpace
        let queued = Array(enqueued.dropFirst(trials.count).prefix(count))
        let points = queued.count == count ? [] : algorithm.suggest(SuggestionContext(
            searchSpace: space, objective: experiment.objective, trials: warmStart + trials.map(\.record),
            count: count - queued.count, issuedBefore: trials.count + queued.count, seed: seed))
        let proposals = queued + points.map { space.assignments(for: $0) }
        return try proposals.enumerated().map { offset, assignments throws(TunekitError) in
            let index = trials.count + offset
            let name = Self.trialName(experiment: experiment.name, seed: seed, index: index)
            let trial = TrialState(
                index: index, name: name, assignments: assignments,
                command: try TrialCommand.make(for: experiment, assignments: assignments, trialName: name),
                condition: .running)
            if let recorded = replay?.suggested[index] {
                guard recorded == assignments else {
                    throw .experimentFailed(
                        "cannot resume: trial \(index + 1) was \(Self.describe(recorded)) in the journal but is now \(Self.describe(assignments)) (was tunekit or the data changed?); start over with --force")
                }
            } else {
                journal?.record(.trialSuggested, trial)
            }
            return trial
        }
    }

    private static func describe(_ assignments: [ParameterAssignment]) -> String {
        assignments.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }

    /// `<experiment>-<8 lowercase letters and digits>`, as Katib names trials, drawn from the experiment seed.
    static func trialName(experiment: String, seed: UInt64, index: Int) -> String {
        var rng = Xoshiro256(seed: seed, stream: StreamDerivation.code("trial-name"), UInt64(index))
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return experiment + "-" + String((0..<8).map { _ in alphabet[rng.nextIndex(below: alphabet.count)] })
    }
}
