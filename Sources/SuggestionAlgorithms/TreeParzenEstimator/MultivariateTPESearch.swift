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
        let space = context.searchSpace
        let history = ObservationHistory(context)
        return context.distinctPoints(purpose: "mvtpe") { batch, rng in
            guard history.observed.count >= max(1, startupTrials) else { return context.randomPoint(using: &rng) }
            let (good, worse) = history.split(goodCount: ObservationHistory.optunaGoodCount(history.observed.count))
            let bad = worse + history.pending + batch
            let l = JointParzen(space: space, points: good, priorWeight: priorWeight)
            let g = JointParzen(space: space, points: bad, priorWeight: priorWeight)
            var best = l.sample(using: &rng), bestScore = -Double.infinity
            for _ in 0..<candidates {
                let candidate = l.sample(using: &rng)
                let score = l.logDensity(candidate) - g.logDensity(candidate)
                if score > bestScore { (best, bestScore) = (candidate, score) }
            }
            return l.values(best)
        }
    }
}

/// A joint Parzen estimator: component j is observed point j in every dimension (plus a prior component).
struct JointParzen {
    /// One dimension in internal coordinates: a log- or linear-scaled value, a grid index, or a category index.
    enum Dimension {
        case continuous(ParzenEstimator, log: Bool)
        case grid(ParzenEstimator, axis: GridAxis, cell: Double?)
        case categorical(count: Int, observed: [Int])
    }

    let space: SearchSpace
    let dimensions: [Dimension]
    let weights: [Double]
    let priorWeight: Double

    init(space: SearchSpace, points: [[ParameterValue]], priorWeight: Double) {
        self.space = space
        self.priorWeight = priorWeight
        let total = Double(points.count) + priorWeight
        weights = Array(repeating: 1 / total, count: points.count) + [priorWeight / total]
        dimensions = space.parameters.enumerated().map { d, parameter in
            switch parameter.domain {
            case .discrete(let list), .categorical(let list):
                return .categorical(count: list.count, observed: points.map { if case .choice(let k) = $0[d] { k } else { 0 } })
            case .int(let range):
                let indices = points.map { value -> Int in
                    guard case .int(let v) = value[d] else { return 0 }
                    return min(range.gridCount - 1, max(0, (v - range.lower) / range.step))
                }
                return Self.grid(GridAxis(range), indices: indices, priorWeight: priorWeight)
            case .double(let range):
                if let step = range.step, let axis = GridAxis(parameter) {
                    let indices = points.map { value -> Int in
                        guard case .double(let v) = value[d] else { return 0 }
                        return gridIndex((v - range.lower) / step, count: axis.count)
                    }
                    return Self.grid(axis, indices: indices, priorWeight: priorWeight)
                }
                let isLog = range.distribution.isLogarithmic
                let forward = { (v: Double) in isLog ? log(v) : v }
                let values = points.map { if case .double(let v) = $0[d] { forward(v) } else { forward(range.lower) } }
                return .continuous(
                    ParzenEstimator(observations: values, low: forward(range.lower), high: forward(range.upper), priorWeight: priorWeight),
                    log: isLog)
            }
        }
    }

    private static func grid(_ axis: GridAxis, indices: [Int], priorWeight: Double) -> Dimension {
        let count = axis.count
        let first = axis.position(0), last = axis.position(count - 1)
        let cell = count > 1 ? (last - first) / Double(count - 1) : 1
        let estimator = ParzenEstimator(
            observations: indices.map(axis.position), low: first - cell / 2, high: last + cell / 2, priorWeight: priorWeight)
        return .grid(estimator, axis: axis, cell: axis.isLogarithmic ? nil : cell)
    }

    /// A point in internal coordinates drawn from one component.
    func sample(using rng: inout Xoshiro256) -> [Double] {
        let component = pickComponent(weights, using: &rng)
        return dimensions.map { dimension in
            switch dimension {
            case .continuous(let estimator, _):
                return estimator.sample(component: component, using: &rng)
            case .grid(let estimator, let axis, _):
                return Double(axis.nearestIndex(to: estimator.sample(component: component, using: &rng)))
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
            case .continuous(let estimator, _):
                estimator.addLogComponentDensities(x[d], into: &logs)
            case .grid(let estimator, let axis, let cell):
                estimator.addLogComponentDensities(axis.position(Int(x[d])), cell: cell, into: &logs)
            case .categorical(let count, let observed):
                // Component j's probability of category k (see categoryProbabilities), in log form.
                let k = Int(x[d])
                let miss = log(priorWeight / Double(count) / (priorWeight + 1))
                let hit = log(priorWeight / Double(count) / (priorWeight + 1) + 1 / (priorWeight + 1))
                for (component, category) in observed.enumerated() { logs[component] += category == k ? hit : miss }
                logs[observed.count] -= log(Double(count))
            }
        }
        let top = logs.max() ?? -.infinity
        guard top.isFinite else { return -1e300 }
        return top + log(logs.reduce(0) { $0 + exp($1 - top) })
    }

    /// The parameter values of a point in internal coordinates.
    func values(_ x: [Double]) -> [ParameterValue] {
        zip(space.parameters, zip(dimensions, x)).map { parameter, pair in
            let (dimension, coordinate) = pair
            switch (parameter.domain, dimension) {
            case (.int(let range), _):
                return .int(range.lower + Int(coordinate) * range.step)
            case (.double(let range), .grid):
                return .double(range.gridValue(Int(coordinate)))
            case (.double(let range), .continuous(_, let isLog)):
                return .double(min(range.upper, max(range.lower, isLog ? exp(coordinate) : coordinate)))
            default:
                return .choice(Int(coordinate))
            }
        }
    }

    /// Component j puts (prior/K + 1)/(prior + 1) on its observed category; the prior component is uniform.
    private func categoryProbabilities(count: Int, observed: [Int], component: Int) -> [Double] {
        guard component < observed.count else { return Array(repeating: 1 / Double(count), count: count) }
        var p = Array(repeating: priorWeight / Double(count) / (priorWeight + 1), count: count)
        p[observed[component]] += 1 / (priorWeight + 1)
        return p
    }
}
