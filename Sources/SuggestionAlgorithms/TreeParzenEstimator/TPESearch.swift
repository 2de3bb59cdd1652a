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
        let encoding = ParameterEncoding(context.searchSpace)
        return context.modelBasedPoints(
            purpose: "tpe", startupTrials: startupTrials, observed: history.observed.count,
            retries: SuggestionContext.proposalRetries
        ) {
            batch, rng in propose(encoding: encoding, history: history, pending: history.pending + batch, rng: &rng)
        }
    }

    private func propose(
        encoding: ParameterEncoding, history: ObservationHistory, pending: [[ParameterValue]], rng: inout Xoshiro256
    ) -> [ParameterValue] {
        let n = history.observed.count
        let goodCount = gamma.map { Int(($0 * Double(n).squareRoot()).rounded(.up)) } ?? ObservationHistory.optunaGoodCount(n)
        let (good, worse) = history.split(goodCount: goodCount)
        let bad = worse + pending
        return encoding.parameters.enumerated().map { d, parameter in
            switch parameter.kind {
            case .categorical(let count):
                return .choice(chooseCategory(
                    count: count, good: good.map { parameter.index($0[d]) }, bad: bad.map { parameter.index($0[d]) },
                    rng: &rng))
            case .continuous, .grid:
                return chooseNumber(
                    parameter, good: good.map { parameter.coordinate($0[d]) }, bad: bad.map { parameter.coordinate($0[d]) },
                    rng: &rng)
            }
        }
    }

    /// The best of `candidates` draws from l by log l − log g, on the model axis. Grid values are scored on their
    /// cells (linear grids) or at their positions (log grids, whose cells differ in width).
    private func chooseNumber(
        _ parameter: EncodedParameter, good: [Double], bad: [Double], rng: inout Xoshiro256
    ) -> ParameterValue {
        let (low, high) = parameter.bounds
        let l = ParzenEstimator(observations: good, low: low, high: high, priorWeight: priorWeight)
        let g = ParzenEstimator(observations: bad, low: low, high: high, priorWeight: priorWeight)
        var cell: Double?
        var isGrid = false
        if case .grid(let axis) = parameter.kind {
            isGrid = true
            cell = axis.isLogarithmic ? nil : parameter.gridCell
        }
        var best = l.sample(using: &rng), bestScore = -Double.infinity
        for _ in 0..<candidates {
            var x = l.sample(using: &rng)
            if isGrid { x = parameter.coordinate(parameter.value(atCoordinate: x)) }
            let score = l.logDensity(x, cell: cell) - g.logDensity(x, cell: cell)
            if score > bestScore { (best, bestScore) = (x, score) }
        }
        return parameter.value(atCoordinate: best)
    }

    /// Categories by smoothed counts: l(k) ∝ prior/K + good count, g likewise.
    private func chooseCategory(count: Int, good: [Int], bad: [Int], rng: inout Xoshiro256) -> Int {
        func weights(_ indices: [Int]) -> [Double] {
            var w = Array(repeating: priorWeight / Double(count), count: count)
            for k in indices { w[k] += 1 }
            let total = w.reduce(0, +)
            return w.map { $0 / total }
        }
        let l = weights(good), g = weights(bad)
        var best = 0, bestScore = -Double.infinity
        for _ in 0..<candidates {
            let k = pickComponent(l, using: &rng)
            let score = log(l[k]) - log(g[k])
            if score > bestScore { (best, bestScore) = (k, score) }
        }
        return best
    }
}
