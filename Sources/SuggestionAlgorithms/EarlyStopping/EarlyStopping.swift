public import ExperimentModel

/// A trial's objective reported step by step (gbdt iterations, or the metric lines of an external trial).
public typealias ObjectiveCurve = [Double]

/// When a running trial stops: at each checkpoint step, if its best objective so far is worse than the threshold.
/// Built from the curves of trials that finished before the trial started, so a run's decisions do not depend on
/// which parallel trial finished first.
public struct StoppingRule: Sendable, Equatable {
    public struct Checkpoint: Sendable, Equatable {
        public let step: Int
        public let threshold: Double
    }

    /// Checkpoints in increasing step order.
    public let checkpoints: [Checkpoint]
    public let objective: ObjectiveType
    /// Checkpoints after the listed ones, all with one threshold: every `every`-th step from `from` on (the finished
    /// curves they come from no longer change); nil: none.
    public let continuing: Continuing?

    public struct Continuing: Sendable, Equatable {
        public let from: Int
        public let every: Int
        public let threshold: Double
    }

    public init(checkpoints: [Checkpoint], objective: ObjectiveType, continuing: Continuing? = nil) {
        self.checkpoints = checkpoints
        self.objective = objective
        self.continuing = continuing
    }

    /// True when `curve` (reports 1…n of the running trial) has just reached a checkpoint and is behind it.
    public func shouldStop(_ curve: ObjectiveCurve) -> Bool {
        shouldStop(step: curve.count, best: objective.best(of: curve))
    }

    /// True when report `step` is a checkpoint and `best` (the trial's best value over reports 1…step) is behind
    /// it. The checkpoint is found by binary search, so a trial reporting every step costs O(log n) per report.
    public func shouldStop(step: Int, best: Double) -> Bool {
        var low = 0, high = checkpoints.count
        while low < high {
            let middle = (low + high) / 2
            if checkpoints[middle].step < step { low = middle + 1 } else { high = middle }
        }
        if low == checkpoints.count, let continuing, step >= continuing.from, (step - continuing.from) % continuing.every == 0 {
            return objective.isBetter(continuing.threshold, than: best)
        }
        guard low < checkpoints.count, checkpoints[low].step == step else { return false }
        return objective.isBetter(checkpoints[low].threshold, than: best)
    }
}

/// An early-stopping algorithm: settings validated at construction, a rule from finished trials' curves.
public protocol EarlyStoppingAlgorithm: Sendable {
    static var algorithmName: String { get }
    init(_ spec: AlgorithmSpec) throws(SuggestionError)
    /// The rule for a trial starting now, given the curves of SUCCEEDED trials (in trial order); nil: no rule yet.
    func rule(succeeded: [ObjectiveCurve], objective: ObjectiveType) -> StoppingRule?
}

/// The early-stopping algorithms by name: Katib's `medianstop`, and tunekit's `asha` and `medianpruner`.
public enum EarlyStoppingService {
    public static let algorithms: [any EarlyStoppingAlgorithm.Type] = [MedianStop.self, SuccessiveHalving.self, MedianPruner.self]

    /// Builds the algorithm, validating its settings (Katib's `ValidateEarlyStoppingSettings`).
    public static func make(_ spec: AlgorithmSpec) throws(SuggestionError) -> any EarlyStoppingAlgorithm {
        guard let type = algorithms.first(where: { $0.algorithmName == spec.algorithmName }) else {
            throw SuggestionError("unknown algorithm name \(spec.algorithmName)")
        }
        return try type.init(spec)
    }
}

/// Katib's `medianstop` (its service's semantics, docs/katib-compat.md §7): once `min_trials_required` trials have
/// succeeded, the rule value is the mean over them of the average of their first `start_step` reports; a running trial
/// whose best objective after `start_step` reports is worse than that value is stopped (EarlyStopped).
public struct MedianStop: EarlyStoppingAlgorithm {
    public static let algorithmName = "medianstop"

    public let minTrialsRequired: Int
    public let startStep: Int

    public init(_ spec: AlgorithmSpec) throws(SuggestionError) {
        let values = try integerSettings(spec, [
            "min_trials_required": (1, "min_trials_required must be greater than zero (>0)"),
            "start_step": (1, "start_step must be greater or equal than one (>=1)"),
        ])
        minTrialsRequired = values["min_trials_required"] ?? 3
        startStep = values["start_step"] ?? 4
    }

    public func rule(succeeded: [ObjectiveCurve], objective: ObjectiveType) -> StoppingRule? {
        let averages = succeeded.filter { !$0.isEmpty }.map { curve in
            let first = curve.prefix(startStep)
            return first.reduce(0, +) / Double(first.count)
        }
        guard averages.count >= minTrialsRequired else { return nil }
        let value = averages.reduce(0, +) / Double(averages.count)
        return StoppingRule(checkpoints: [.init(step: startStep, threshold: value)], objective: objective)
    }
}

/// `asha`, a tunekit extension Katib does not have: asynchronous successive halving (Li et al. 2020) with rungs at
/// `min_resource · reduction_factor^k` steps. At each rung a trial goes on only if its best objective so far is
/// within the best 1/`reduction_factor` of the finished trials' best objectives at that rung (at least
/// `min_trials_required` of them must have reached it).
public struct SuccessiveHalving: EarlyStoppingAlgorithm {
    public static let algorithmName = "asha"

    public let minResource: Int
    public let reductionFactor: Int
    public let minTrialsRequired: Int

    public init(_ spec: AlgorithmSpec) throws(SuggestionError) {
        let values = try integerSettings(spec, [
            "min_resource": (1, "min_resource must be greater or equal than one (>=1)"),
            "reduction_factor": (2, "reduction_factor must be greater or equal than two (>=2)"),
            "min_trials_required": (1, "min_trials_required must be greater than zero (>0)"),
        ])
        minResource = values["min_resource"] ?? 1
        reductionFactor = values["reduction_factor"] ?? 3
        minTrialsRequired = values["min_trials_required"] ?? 3
    }

    public func rule(succeeded: [ObjectiveCurve], objective: ObjectiveType) -> StoppingRule? {
        let longest = succeeded.map(\.count).max() ?? 0
        var checkpoints: [StoppingRule.Checkpoint] = []
        var step = minResource
        while step < longest {
            let best = succeeded.filter { $0.count >= step }.map { objective.best(of: $0.prefix(step)) }
                .sorted { objective.isBetter($0, than: $1) }
            if best.count >= minTrialsRequired {
                let kept = max(1, best.count / reductionFactor)
                checkpoints.append(.init(step: step, threshold: best[kept - 1]))
            }
            let (next, overflow) = step.multipliedReportingOverflow(by: reductionFactor)
            if overflow { break }
            step = next
        }
        return checkpoints.isEmpty ? nil : StoppingRule(checkpoints: checkpoints, objective: objective)
    }
}

/// `medianpruner`, a tunekit extension: Optuna's `MedianPruner`. Once `n_startup_trials` trials have succeeded, at
/// every `interval_steps`-th report after the first `n_warmup_steps`, a running trial whose best value so far is worse
/// than the median of the succeeded trials' values *at that same report* (over those that reached it) is stopped.
/// Unlike `medianstop`, which compares with an average over the first reports, it compares like with like at every
/// step, so a decreasing curve meets thresholds from curves at the same point.
///
/// With `finished_trials: best_so_far` (a tunekit setting; Optuna's behaviour is `as_reported`, the default) each
/// finished trial counts at step k with its best value over its reports 1…k, and at every step after its last report
/// with its final best: a trial that ended early (its own early stopping, a shorter `num_iterations`) would end with
/// that value however long it was given. The running trial's best so far is then compared with the finished trials'
/// best so far at the same step, and a long, slow trial still meets thresholds after the faster trials have ended.
public struct MedianPruner: EarlyStoppingAlgorithm {
    public static let algorithmName = "medianpruner"

    public let startupTrials: Int
    public let warmupSteps: Int
    public let intervalSteps: Int
    /// Whether finished trials count with their best value so far, and beyond their last report (see above).
    public let bestSoFar: Bool

    public init(_ spec: AlgorithmSpec) throws(SuggestionError) {
        var integers = spec
        integers.algorithmSettings.removeAll { $0.name == "finished_trials" }
        let values = try integerSettings(integers, [
            "n_startup_trials": (1, "n_startup_trials must be greater than zero (>0)"),
            "n_warmup_steps": (0, "n_warmup_steps must be greater or equal than zero (>=0)"),
            "interval_steps": (1, "interval_steps must be greater or equal than one (>=1)"),
        ])
        startupTrials = values["n_startup_trials"] ?? 5
        warmupSteps = values["n_warmup_steps"] ?? 0
        intervalSteps = values["interval_steps"] ?? 1
        switch spec.algorithmSettings.last(where: { $0.name == "finished_trials" })?.value.trimmingSpaces {
        case nil, "as_reported": bestSoFar = false
        case "best_so_far": bestSoFar = true
        case let other?:
            throw SuggestionError("finished_trials must be as_reported or best_so_far, got \(other)")
        }
    }

    /// Checkpoints run to the longest finished curve; with `best_so_far`, the interval steps after it compare with the
    /// median of the finished trials' final bests (no finished trial's value changes after its end).
    public func rule(succeeded: [ObjectiveCurve], objective: ObjectiveType) -> StoppingRule? {
        var curves = succeeded.filter { !$0.isEmpty }
        guard curves.count >= startupTrials, let longest = curves.map(\.count).max(), bestSoFar || longest > warmupSteps else {
            return nil
        }
        if bestSoFar {
            curves = curves.map { curve in
                var best = curve
                for index in best.indices.dropFirst() where objective.isBetter(best[index - 1], than: best[index]) {
                    best[index] = best[index - 1]
                }
                return best
            }
        }
        func median(_ values: [Double]) -> Double {
            let sorted = values.sorted(), middle = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        }
        let steps = Array(stride(from: warmupSteps + 1, through: longest, by: intervalSteps))
        let checkpoints = steps.map { step in
            StoppingRule.Checkpoint(step: step, threshold: median(curves.compactMap { curve in
                curve.count >= step ? curve[step - 1] : (bestSoFar ? curve.last : nil)
            }))
        }
        guard bestSoFar else { return StoppingRule(checkpoints: checkpoints, objective: objective) }
        let after = (steps.last ?? warmupSteps + 1 - intervalSteps) + intervalSteps
        return StoppingRule(
            checkpoints: checkpoints, objective: objective,
            continuing: .init(from: after, every: intervalSteps, threshold: median(curves.map { $0.last! })))
    }
}

extension ObjectiveType {
    /// The best report of a curve (+inf for an empty minimised one, −inf for an empty maximised one).
    func best(of curve: some Collection<Double>) -> Double {
        self == .maximize ? curve.max() ?? -.infinity : curve.min() ?? .infinity
    }
}

/// Integer settings by name, each at least its minimum (else the message, Katib's words for medianstop) and at most
/// Int32.max; a value that is not an integer or an unknown name is refused as Katib's medianstop service refuses it.
private func integerSettings(
    _ spec: AlgorithmSpec, _ bounds: [String: (minimum: Int, message: String)]
) throws(SuggestionError) -> [String: Int] {
    var values: [String: Int] = [:]
    for setting in spec.algorithmSettings {
        guard let bound = bounds[setting.name] else {
            throw SuggestionError("unknown setting \(setting.name) for algorithm \(spec.algorithmName)")
        }
        guard let value = Int(setting.value.trimmingSpaces) else {
            throw SuggestionError(
                "failed to validate \(setting.name)(\(setting.value)): invalid literal for int() with base 10: '\(setting.value)'")
        }
        guard value >= bound.minimum else { throw SuggestionError(bound.message) }
        // Katib's EarlyStoppingRule carries start_step as an int32: a larger value could not be sent as it is.
        guard value <= Int(Int32.max) else {
            throw SuggestionError("\(setting.name) must be at most \(Int32.max), got \(setting.value)")
        }
        values[setting.name] = value
    }
    return values
}
