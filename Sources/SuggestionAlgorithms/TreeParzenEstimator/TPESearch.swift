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
        let n = history.rankedCount
        let goodCount = gamma.map { Int(($0 * Double(n).squareRoot()).rounded(.up)) } ?? ObservationHistory.optunaGoodCount(n)
        let (good, worse) = history.split(goodCount: goodCount)
        // The estimators depend on the batch so far (constant liar), not on the retries of one point: built once per
        // batch size and kept, with their grid scores, while a repeated point is proposed again.
        var batchSize = -1
        var models: [ParameterModel] = []
        var scores: [[Double]] = []
        return context.modelBasedPoints(
            purpose: "tpe", startupTrials: startupTrials, observed: n, retries: SuggestionContext.proposalRetries
        ) { batch, rng in
            if batchSize != batch.count {
                batchSize = batch.count
                models = self.models(encoding: encoding, good: good, bad: worse + history.pending + batch)
                scores = models.map(\.unscored)
            }
            return propose(models, scores: &scores, rng: &rng)
        }
    }

    /// One parameter's l(x) and g(x).
    private enum ParameterModel {
        /// Numbers on the model axis, grid values scored over their cells (`GridAxis.cell`).
        case numeric(l: ParzenEstimator, g: ParzenEstimator, parameter: EncodedParameter)
        case categorical(l: [Double], g: [Double])

        /// A grid's scores by index, NaN until computed (empty: not kept — continuous, a list, or a grid too large).
        var unscored: [Double] {
            guard case .numeric(_, _, let parameter) = self, case .grid(let axis) = parameter.kind,
                  axis.count <= TPESearch.scoredGridLimit
            else { return [] }
            return Array(repeating: .nan, count: axis.count)
        }
    }

    /// Grids up to this many values keep their scores by index.
    fileprivate static let scoredGridLimit = 4096

    private func models(encoding: ParameterEncoding, good: [[ParameterValue]], bad: [[ParameterValue]]) -> [ParameterModel] {
        encoding.parameters.enumerated().map { d, parameter in
            switch parameter.kind {
            case .categorical(let count):
                return .categorical(
                    l: categoryWeights(count: count, good.map { parameter.index($0[d]) }),
                    g: categoryWeights(count: count, bad.map { parameter.index($0[d]) }))
            case .continuous, .grid:
                let (low, high) = parameter.bounds
                let l = ParzenEstimator(
                    observations: good.map { parameter.coordinate($0[d]) }, low: low, high: high, priorWeight: priorWeight)
                let g = ParzenEstimator(
                    observations: bad.map { parameter.coordinate($0[d]) }, low: low, high: high, priorWeight: priorWeight)
                return .numeric(l: l, g: g, parameter: parameter)
            }
        }
    }

    /// Each parameter's best of `candidates` draws from l by log l − log g, on the model axis. Grid values are scored
    /// by their cells' probabilities (`GridAxis.cell`).
    private func propose(_ models: [ParameterModel], scores: inout [[Double]], rng: inout Xoshiro256) -> [ParameterValue] {
        models.indices.map { d in
            switch models[d] {
            case .categorical(let l, let g):
                var best = 0, bestScore = -Double.infinity
                for _ in 0..<candidates {
                    let k = pickComponent(l, using: &rng)
                    let score = log(l[k]) - log(g[k])
                    if score > bestScore { (best, bestScore) = (k, score) }
                }
                return .choice(best)
            case .numeric(let l, let g, let parameter):
                var best = l.sample(using: &rng), bestScore = -Double.infinity
                for _ in 0..<candidates {
                    var x = l.sample(using: &rng)
                    let score: Double
                    if case .grid(let axis) = parameter.kind {
                        let k = axis.nearestIndex(to: x)
                        x = axis.position(k)
                        if !scores[d].isEmpty, !scores[d][k].isNaN {
                            score = scores[d][k]
                        } else {
                            let cell = axis.cell(k)
                            score = l.logDensity(x, cell: cell) - g.logDensity(x, cell: cell)
                            if !scores[d].isEmpty { scores[d][k] = score }
                        }
                    } else {
                        score = l.logDensity(x) - g.logDensity(x)
                    }
                    if score > bestScore { (best, bestScore) = (x, score) }
                }
                return parameter.value(atCoordinate: best)
            }
        }
    }

    /// Category probabilities: the mixture of one kernel per observation (`JointParzen.categoryKernel`, Optuna's)
    /// and a uniform prior component, weighted alike.
    private func categoryWeights(count: Int, _ indices: [Int]) -> [Double] {
        let (miss, hit) = JointParzen.categoryKernel(count: count, observations: indices.count, priorWeight: priorWeight)
        var w = Array(repeating: Double(indices.count) * miss + priorWeight / Double(count), count: count)
        for k in indices { w[k] += hit - miss }
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }
}
