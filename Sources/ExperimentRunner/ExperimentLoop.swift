public import ExperimentModel
public import SuggestionAlgorithms
import ModelArtifacts
import NumericKernels

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
    case trialStarted(TrialState)
    case trialFinished(TrialState)
}

/// Katib's experiment reconcile loop on one machine (katib-compat.md §3.7): ask for
/// `min(parallel, maxTrials − completed) − active` suggestions, run them concurrently, stop on goal, failures or count.
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

    /// Runs the experiment. Results are recorded in trial order (a trial that finishes early waits for its
    /// predecessors), so every suggestion sees the same history whatever order parallel trials finish in: the same
    /// seed gives the same trials and the same artifacts.
    func run(onEvent: @Sendable (RunEvent) -> Void) async throws(RunnerError) -> (trials: [TrialState], outcome: ExperimentOutcome) {
        var trials: [TrialState] = []
        var outcome = ExperimentOutcome.maxTrialsReached
        let executor = self.executor
        var failure: RunnerError?
        await withTaskGroup(of: (Int, TrialOutcome).self) { group in
            var finished: [Int: TrialOutcome] = [:]
            var recorded = 0
            while true {
                if let stop = stopCondition(trials) {
                    outcome = stop
                    break
                }
                let active = trials.count - recorded
                // An interrupted run starts nothing more.
                let wanted = executor.processes.isClosed ? 0 : min(experiment.parallelTrialCount, maxTrials - recorded) - active
                if wanted > 0 {
                    switch Result(catching: { () throws(RunnerError) in try nextTrials(count: wanted, after: trials) }) {
                    case .success(let next):
                        for trial in next {
                            trials.append(trial)
                            onEvent(.trialStarted(trial))
                            if let recorded = replay?.finished[trial.index] {
                                group.addTask { (trial.index, recorded) }
                                continue
                            }
                            let journal = self.journal
                            journal?.record(.trialStarted, trial)
                            // The rule sees the trials finished before this one started: the same in every run.
                            let rule = earlyStopping?.rule(
                                succeeded: trials.filter { $0.condition == .succeeded }.map(\.intermediate),
                                objective: experiment.objective.type)
                            group.addTask {
                                let outcome = await executor.run(trial.command, trial: trial, rule: rule)
                                journal?.record(.trialFinished, trial, outcome: outcome)
                                return (trial.index, outcome)
                            }
                        }
                    case .failure(let error):
                        failure = error
                        outcome = .failed(error.description)
                    }
                    if failure != nil { break }
                }
                guard recorded < trials.count else { break }
                while finished[recorded] == nil, let (index, result) = await group.next() { finished[index] = result }
                guard let result = finished.removeValue(forKey: recorded) else { break }
                record(result, into: &trials[recorded])
                onEvent(.trialFinished(trials[recorded]))
                recorded += 1
                Failpoint.hit("after-trial-\(recorded)")
            }
            // Trials still running when the experiment stopped finish and are recorded, in order.
            for await (index, result) in group { finished[index] = result }
            for index in finished.keys.sorted() {
                record(finished[index]!, into: &trials[index])
                onEvent(.trialFinished(trials[index]))
            }
        }
        if let failure { throw failure }
        return (trials, outcome)
    }

    private func record(_ result: TrialOutcome, into trial: inout TrialState) {
        trial.intermediate = result.intermediate
        trial.condition = result.condition
        trial.metrics = result.metrics
        trial.message = result.message
        trial.seconds = result.seconds
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
    func nextTrials(count: Int, after trials: [TrialState]) throws(RunnerError) -> [TrialState] {
        let space = algorithm.contextSpace ?? experiment.searchSpace
        let points = algorithm.suggest(SuggestionContext(
            searchSpace: space, objective: experiment.objective, trials: trials.map(\.record),
            count: count, issuedBefore: trials.count, seed: seed))
        return try points.enumerated().map { offset, point throws(RunnerError) in
            let index = trials.count + offset
            let name = Self.trialName(experiment: experiment.name, seed: seed, index: index)
            let assignments = space.assignments(for: point)
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
