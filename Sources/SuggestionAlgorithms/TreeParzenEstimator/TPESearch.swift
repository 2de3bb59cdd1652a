public import ExperimentModel
import Foundation
import NumericKernels

/// Tree-structured Parzen Estimator (`tpe`), univariate (Bergstra et al., "Algorithms for Hyper-Parameter
/// Optimization", NeurIPS 2011; hyperopt's `tpe.suggest`, Optuna's `TPESampler`).
///
/// Observations (SUCCEEDED or EARLYSTOPPED with a numeric objective) are split into the best min(⌈0.1·n⌉, 25)
/// ("good", Optuna's default; with the `gamma` setting, hyperopt's best ⌈γ·√n⌉) and the rest; each parameter gets a
/// Parzen estimator l(x) over good and g(x) over bad values (in log space for log distributions; integers and stepped
/// doubles scored on their grid cells; categories by smoothed counts), and the best of `n_EI_candidates` draws from l
/// by l(x)/g(x) is chosen. Until `n_startup_trials` observations exist it is random search. Batches use a constant
/// liar: pending trials and earlier points of the batch count as bad.
/// Deviations from Katib's hyperopt service: the default split is Optuna's (it found better points in every problem
/// of Benchmarks/suggest); no linear forgetting of old trials; NORMAL/LOG_NORMAL use the same estimator as uniform.
public struct TPESearch: SuggestionAlgorithm {
    public static let algorithmName = "tpe"

    /// hyperopt's `gamma` when set (good = the best ⌈γ·√n⌉); nil for Optuna's split, min(⌈0.1·n⌉, 25).
    let gamma: Double?
    let priorWeight: Double
    let candidates: Int
    let startupTrials: Int

    public init(experiment: Experiment) throws(SuggestionError) {
        let settings = try AlgorithmSettings(
            experiment.algorithm,
            allowed: ["random_state", "gamma", "prior_weight", "n_EI_candidates", "n_ei_candidates", "n_startup_trials"])
        _ = try settings.randomState()
        let gamma = try settings.double("gamma", default: 0.25)
        guard gamma > 0, gamma < 1 else { throw SuggestionError("gamma should be in the range of (0, 1)") }
        self.gamma = settings.values["gamma"] != nil ? gamma : nil
        priorWeight = try settings.double("prior_weight", default: 1)
        guard priorWeight > 0 else { throw SuggestionError("prior_weight should be great than zero") }
        let eiCandidates = try settings.int("n_EI_candidates", default: 24)
        guard eiCandidates > 0 else { throw SuggestionError("n_EI_candidates should be great than zero") }
        let optunaCandidates = try settings.int("n_ei_candidates", default: eiCandidates)
        guard optunaCandidates >= 0 else { throw SuggestionError("n_ei_candidates should be greate or equal than zero") }
        candidates = max(1, settings.values["n_ei_candidates"] != nil ? optunaCandidates : eiCandidates)
        guard candidates <= SuggestionLimits.candidates else {
            throw SuggestionError("n_EI_candidates \(candidates) exceeds tunekit's limit of \(SuggestionLimits.candidates)")
        }
        startupTrials = try settings.int("n_startup_trials", default: 10)
        guard startupTrials >= 0 else { throw SuggestionError("n_startup_trials should be greate or equal than zero") }
    }

    public func suggest(_ context: SuggestionContext) -> [[ParameterValue]] {
        let history = ObservationHistory(context)
        return context.distinctPoints(purpose: "tpe") { batch, rng in
            guard history.observed.count >= max(1, startupTrials) else { return context.randomPoint(using: &rng) }
            return propose(space: context.searchSpace, history: history, pending: history.pending + batch, rng: &rng)
        }
    }

    private func propose(
        space: SearchSpace, history: ObservationHistory, pending: [[ParameterValue]], rng: inout Xoshiro256
    ) -> [ParameterValue] {
        let n = history.observed.count
        let goodCount = gamma.map { Int(($0 * Double(n).squareRoot()).rounded(.up)) } ?? ObservationHistory.optunaGoodCount(n)
        let (good, worse) = history.split(goodCount: goodCount)
        let bad = worse + pending
        return space.parameters.enumerated().map { index, parameter in
            ParameterProposal(parameter: parameter, priorWeight: priorWeight, candidates: candidates)
                .propose(good: good.map { $0[index] }, bad: bad.map { $0[index] }, rng: &rng)
        }
    }
}

/// One parameter's l(x)/g(x) choice.
private struct ParameterProposal {
    let parameter: SearchParameter
    let priorWeight: Double
    let candidates: Int

    func propose(good: [ParameterValue], bad: [ParameterValue], rng: inout Xoshiro256) -> ParameterValue {
        switch parameter.domain {
        case .discrete(let list), .categorical(let list):
            return .choice(chooseCategory(count: list.count, good: good, bad: bad, rng: &rng))
        case .int(let range):
            let k = chooseOnGrid(
                GridAxis(range),
                good: good.compactMap { if case .int(let v) = $0 { (v - range.lower) / range.step } else { nil } },
                bad: bad.compactMap { if case .int(let v) = $0 { (v - range.lower) / range.step } else { nil } }, rng: &rng)
            return .int(range.lower + k * range.step)
        case .double(let range):
            let values = { (list: [ParameterValue]) in list.compactMap { if case .double(let v) = $0 { v } else { nil } } }
            if let step = range.step, let axis = GridAxis(parameter) {
                let index = { (v: Double) in gridIndex((v - range.lower) / step, count: axis.count) }
                let k = chooseOnGrid(axis, good: values(good).map(index), bad: values(bad).map(index), rng: &rng)
                return .double(range.gridValue(k))
            }
            let log = range.distribution.isLogarithmic
            let forward = { (v: Double) in log ? Foundation.log(v) : v }
            let low = forward(range.lower), high = forward(range.upper)
            let l = ParzenEstimator(observations: values(good).map(forward), low: low, high: high, priorWeight: priorWeight)
            let g = ParzenEstimator(observations: values(bad).map(forward), low: low, high: high, priorWeight: priorWeight)
            var best = l.sample(using: &rng), bestScore = -Double.infinity
            for _ in 0..<candidates {
                let x = l.sample(using: &rng)
                let score = l.logDensity(x) - g.logDensity(x)
                if score > bestScore { (best, bestScore) = (x, score) }
            }
            let value = log ? exp(best) : best
            return .double(min(range.upper, max(range.lower, value)))
        }
    }

    /// Grid indices scored on their cells: log-scaled grids are modelled on log(value), linear ones on the index.
    private func chooseOnGrid(_ axis: GridAxis, good: [Int], bad: [Int], rng: inout Xoshiro256) -> Int {
        let count = axis.count
        guard count > 1 else { return 0 }
        let low = axis.position(0), high = axis.position(count - 1)
        let cell = (high - low) / Double(count - 1)
        let l = ParzenEstimator(observations: good.map(axis.position), low: low - cell / 2, high: high + cell / 2, priorWeight: priorWeight)
        let g = ParzenEstimator(observations: bad.map(axis.position), low: low - cell / 2, high: high + cell / 2, priorWeight: priorWeight)
        let densityCell = axis.isLogarithmic ? nil : cell
        var best = axis.nearestIndex(to: l.sample(using: &rng)), bestScore = -Double.infinity
        for _ in 0..<candidates {
            let k = axis.nearestIndex(to: l.sample(using: &rng))
            let x = axis.position(k)
            let score = l.logDensity(x, cell: densityCell) - g.logDensity(x, cell: densityCell)
            if score > bestScore { (best, bestScore) = (k, score) }
        }
        return best
    }

    /// Categories by smoothed counts: l(k) ∝ prior/K + good count, g likewise.
    private func chooseCategory(count: Int, good: [ParameterValue], bad: [ParameterValue], rng: inout Xoshiro256) -> Int {
        func weights(_ values: [ParameterValue]) -> [Double] {
            var w = Array(repeating: priorWeight / Double(count), count: count)
            for case .choice(let k) in values { w[k] += 1 }
            let total = w.reduce(0, +)
            return w.map { $0 / total }
        }
        let l = weights(good), g = weights(bad)
        var best = 0, bestScore = -Double.infinity
        for _ in 0..<candidates {
            var u = rng.nextUnit(), k = count - 1
            for (index, weight) in l.enumerated() {
                if u < weight { k = index; break }
                u -= weight
            }
            let score = log(l[k]) - log(g[k])
            if score > bestScore { (best, bestScore) = (k, score) }
        }
        return best
    }
}
