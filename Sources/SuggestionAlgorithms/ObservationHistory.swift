import ExperimentModel
import NumericKernels

/// The history as model-based algorithms see it: observed points with losses (lower is better, so maximised
/// objectives are negated), the points of early-stopped trials with the loss they last reported, and the points of
/// trials still pending (CREATED or RUNNING).
///
/// An early-stopped trial's value is where its curve was cut, not what its configuration reaches, so it is kept apart
/// from the finished ones, as Optuna keeps pruned trials: TPE ranks every stopped trial after every finished one (by
/// its value among themselves), and the GP and CMA-ES leave them out (Optuna's GPSampler and CmaEsSampler defaults).
/// Katib's services count an early-stopped trial as if it had finished with that value (docs/katib-compat.md §9).
struct ObservationHistory {
    var observed: [(point: [ParameterValue], loss: Double)] = []
    var stopped: [(point: [ParameterValue], loss: Double)] = []
    var pending: [[ParameterValue]] = []

    init(_ context: SuggestionContext) {
        let sign: Double = context.objective.type == .minimize ? 1 : -1
        for (trial, point) in zip(context.trials, context.points) {
            guard let point else { continue }
            if let value = trial.observedValue(of: context.objective.objectiveMetricName) {
                if trial.condition == .earlyStopped {
                    stopped.append((point, sign * value))
                } else {
                    observed.append((point, sign * value))
                }
            } else if trial.condition.isActive {
                pending.append(point)
            }
        }
    }

    /// Finished and early-stopped trials: what TPE counts (its start-up phase and the size of its good set).
    var rankedCount: Int { observed.count + stopped.count }

    /// Finished observations best first, then early-stopped ones best first; ties keep trial order.
    var ranked: [(point: [ParameterValue], loss: Double)] {
        func sorted(_ entries: [(point: [ParameterValue], loss: Double)]) -> [(point: [ParameterValue], loss: Double)] {
            entries.enumerated().sorted { ($0.element.loss, $0.offset) < ($1.element.loss, $1.offset) }.map(\.element)
        }
        return sorted(observed) + sorted(stopped)
    }

    /// Optuna's default size of the good set for n observations: min(⌈0.1·n⌉, 25).
    static func optunaGoodCount(_ n: Int) -> Int { min(25, Int((0.1 * Double(n)).rounded(.up))) }

    /// The best `goodCount` observed points (at least one, at most all) and the rest, both best first.
    func split(goodCount: Int) -> (good: [[ParameterValue]], bad: [[ParameterValue]]) {
        let ranked = self.ranked
        let count = min(ranked.count, max(1, goodCount))
        return (ranked.prefix(count).map(\.point), ranked.dropFirst(count).map(\.point))
    }
}

extension SuggestionContext {
    /// `count` distinct points: point i comes from `propose` with its own stream `(seed, issuedBefore + i, purpose)`
    /// and the points chosen before it in this batch; a point already in the history or the batch is proposed again up
    /// to `retries` times (the stream moves on, so a stochastic proposal differs), then replaced by a distinct random
    /// draw. Stops early, with fewer points, once `cancellation` is set.
    func distinctPoints(
        purpose: String, retries: Int = 0,
        _ propose: (_ batch: [[ParameterValue]], _ rng: inout Xoshiro256) -> [ParameterValue]
    ) -> [[ParameterValue]] {
        var taken = Set(historyPoints)
        var points: [[ParameterValue]] = []
        var freeIndices: [Int]?
        for i in 0..<count {
            if cancellation?.isCancelled == true { break }
            var rng = Xoshiro256(seed: seed, stream: UInt64(issuedBefore + i), StreamDerivation.code(purpose))
            var point = searchSpace.canonical(propose(points, &rng))
            for _ in 0..<retries where taken.contains(point) {
                point = searchSpace.canonical(propose(points, &rng))
            }
            if taken.contains(point) {
                point = DistinctDraw.draw(in: searchSpace, avoiding: taken, freeIndices: &freeIndices, rng: &rng) { rng in
                    randomPoint(using: &rng)
                }
            }
            taken.insert(point)
            points.append(point)
        }
        return points
    }

    /// The start-up phase every model-based algorithm shares: random draws until the history holds
    /// `max(1, startupTrials)` observations, then `propose` (see `distinctPoints`; `retries` for cheap proposals).
    func modelBasedPoints(
        purpose: String, startupTrials: Int, observed: Int, retries: Int = 0,
        _ propose: (_ batch: [[ParameterValue]], _ rng: inout Xoshiro256) -> [ParameterValue]
    ) -> [[ParameterValue]] {
        guard observed >= max(1, startupTrials) else {
            return distinctPoints(purpose: purpose) { _, rng in randomPoint(using: &rng) }
        }
        return distinctPoints(purpose: purpose, retries: retries, propose)
    }

    /// How many times a cheap model (TPE, CMA-ES) proposes again before a repeated point becomes a random draw.
    static let proposalRetries = 8

    /// A point drawn from every parameter's declared distribution.
    func randomPoint(using rng: inout Xoshiro256) -> [ParameterValue] {
        searchSpace.canonical(searchSpace.parameters.map { $0.sample(using: &rng) })
    }
}
