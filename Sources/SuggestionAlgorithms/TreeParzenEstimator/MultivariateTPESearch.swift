public import ExperimentModel
import Foundation
import NumericKernels

/// Multivariate TPE (`multivariate-tpe`): l(x) and g(x) are joint Parzen estimators whose components are whole
/// observed points, so correlated parameters are sampled together (Falkner et al. 2018; Optuna's
/// `TPESampler(multivariate=True)`, which serves this name in Katib).
///
/// Good/bad split: the best min(⌈0.1·n⌉, 25) observations (Optuna's default gamma). Candidates are drawn from l and
/// ranked by log l − log g; pending trials and earlier batch points count as bad (constant liar, as Katib's Optuna
/// service does). Settings as Katib's Optuna service: `n_startup_trials` (10), `n_ei_candidates` (24), `random_state`.
public struct MultivariateTPESearch: SuggestionAlgorithm {
    public static let algorithmName = "multivariate-tpe"

    let startupTrials: Int
    let candidates: Int
    let priorWeight = 1.0

    public init(experiment: Experiment) throws(SuggestionError) {
        let settings = try AlgorithmSettings(
            experiment.algorithm, allowed: ["n_startup_trials", "n_ei_candidates", "random_state"])
        _ = try settings.randomState()
        startupTrials = try settings.int("n_startup_trials", default: 10)
        guard startupTrials >= 0 else { throw SuggestionError("n_startup_trials should be greate or equal than zero") }
        let eiCandidates = try settings.int("n_ei_candidates", default: 24)
        guard eiCandidates >= 0 else { throw SuggestionError("n_ei_candidates should be greate or equal than zero") }
        candidates = max(1, eiCandidates)
        guard candidates <= SuggestionLimits.candidates else {
            throw SuggestionError("n_ei_candidates \(candidates) exceeds tunekit's limit of \(SuggestionLimits.candidates)")
        }
    }

    public func suggest(_ context: SuggestionContext) -> [[ParameterValue]] {
        let encoding = ParameterEncoding(context.searchSpace)
        let history = ObservationHistory(context)
        let (good, worse) = history.split(goodCount: ObservationHistory.optunaGoodCount(history.rankedCount))
        let l = JointParzen(encoding: encoding, points: good, priorWeight: priorWeight)
        // g depends on the batch so far (constant liar), not on the retries of one point: built once per batch size.
        var cache: (batchSize: Int, g: JointParzen)?
        return context.modelBasedPoints(
            purpose: "mvtpe", startupTrials: startupTrials, observed: history.rankedCount,
            retries: SuggestionContext.proposalRetries
        ) { batch, rng in
            if cache?.batchSize != batch.count {
                cache = (batch.count, JointParzen(encoding: encoding, points: worse + history.pending + batch, priorWeight: priorWeight))
            }
            let g = cache!.g
            var best = l.sample(using: &rng), bestScore = -Double.infinity
            for _ in 0..<candidates {
                let candidate = l.sample(using: &rng)
                let score = l.logDensity(candidate) - g.logDensity(candidate)
                if score > bestScore { (best, bestScore) = (candidate, score) }
            }
            return encoding.point(coordinates: best)
        }
    }
}

/// A joint Parzen estimator: component j is observed point j in every dimension (plus a prior component).
struct JointParzen {
    /// One dimension on the model axis (see `EncodedParameter`).
    enum Dimension {
        /// A continuous double, or a grid scored by its values' cells (`GridAxis.cell`).
        case numeric(ParzenEstimator, parameter: EncodedParameter)
        case categorical(count: Int, observed: [Int])
    }

    let dimensions: [Dimension]
    let weights: [Double]
    let priorWeight: Double

    init(encoding: ParameterEncoding, points: [[ParameterValue]], priorWeight: Double) {
        self.priorWeight = priorWeight
        let total = Double(points.count) + priorWeight
        weights = Array(repeating: 1 / total, count: points.count) + [priorWeight / total]
        dimensions = encoding.parameters.enumerated().map { d, parameter in
            switch parameter.kind {
            case .categorical(let count):
                return .categorical(count: count, observed: points.map { parameter.index($0[d]) })
            case .continuous, .grid:
                let (low, high) = parameter.bounds
                let estimator = ParzenEstimator(
                    observations: points.map { parameter.coordinate($0[d]) }, low: low, high: high, priorWeight: priorWeight)
                return .numeric(estimator, parameter: parameter)
            }
        }
    }

    /// A point on the model axes drawn from one component, grid coordinates snapped to their grid points.
    func sample(using rng: inout Xoshiro256) -> [Double] {
        let component = pickComponent(weights, using: &rng)
        return dimensions.map { dimension in
            switch dimension {
            case .numeric(let estimator, let parameter):
                let x = estimator.sample(component: component, using: &rng)
                guard case .grid = parameter.kind else { return x }
                return parameter.coordinate(parameter.value(atCoordinate: x))
            case .categorical(let count, let observed):
                return Double(pickComponent(categoryProbabilities(count: count, observed: observed, component: component), using: &rng))
            }
        }
    }

    /// log Σⱼ wⱼ Πd pⱼ,d(x_d), by log-sum-exp; accumulated dimension by dimension over all components.
    func logDensity(_ x: [Double]) -> Double {
        var logs = weights.map { log($0) }
        for (d, dimension) in dimensions.enumerated() {
            switch dimension {
            case .numeric(let estimator, let parameter):
                estimator.addLogComponentDensities(x[d], cell: parameter.scoringCell(at: x[d]), into: &logs)
            case .categorical(let count, let observed):
                // Component j's probability of category k (see categoryProbabilities), in log form.
                let k = Int(x[d])
                let (miss, hit) = Self.categoryKernel(count: count, observations: observed.count, priorWeight: priorWeight)
                let logMiss = log(miss), logHit = log(hit)
                for (component, category) in observed.enumerated() { logs[component] += category == k ? logHit : logMiss }
                logs[observed.count] -= log(Double(count))
            }
        }
        let top = logs.max() ?? -.infinity
        guard top.isFinite else { return -1e300 }
        return top + log(logs.reduce(0) { $0 + exp($1 - top) })
    }

    /// Component j's probabilities (`categoryKernel`); the prior component is uniform.
    private func categoryProbabilities(count: Int, observed: [Int], component: Int) -> [Double] {
        guard component < observed.count else { return Array(repeating: 1 / Double(count), count: count) }
        let (miss, hit) = Self.categoryKernel(count: count, observations: observed.count, priorWeight: priorWeight)
        var p = Array(repeating: miss, count: count)
        p[observed[component]] = hit
        return p
    }

    /// An observation's kernel over K categories, as Optuna's: every category gets prior/(n + 1) (n observations plus
    /// the prior component), the observed one 1 more, normalised — nearly one-hot with many observations, smooth with
    /// few. Returns (probability of another category, probability of the observed one).
    static func categoryKernel(count: Int, observations: Int, priorWeight: Double) -> (miss: Double, hit: Double) {
        let base = priorWeight / Double(observations + 1)
        let total = 1 + Double(count) * base
        return (base / total, (1 + base) / total)
    }
}
