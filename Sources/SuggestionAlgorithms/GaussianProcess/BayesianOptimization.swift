public import ExperimentModel
import Foundation
import NumericKernels

/// Gaussian-process Bayesian optimisation (`bayesianoptimization`), in the style of scikit-optimize's `gp_minimize`.
///
/// Each parameter maps to one unit-cube coordinate (log scale for log distributions; grid index for ints, stepped
/// doubles and list values). A GP with a Matérn-5/2 ARD kernel is fitted to the standardised losses by maximising the
/// marginal likelihood (Cholesky through LAPACK); the acquisition (EI in log space, PI, LCB, or `gp_hedge`) is
/// maximised by 512 seeded random candidates followed by a shrinking coordinate search from the best four, always on
/// the parameters' grids. Batches use the kriging believer: each chosen point, and every pending trial, joins the
/// data with the GP's mean as its value, so the points of a batch spread out without a refit of the hyperparameters
/// (a constant liar would need a lie value; the believer's mean keeps the model's shape). Deviations from skopt:
/// `gp_hedge` picks one of EI/PI/LCB per point with a seeded draw (skopt keeps gains across calls, which a stateless
/// service cannot); categories are ordered coordinates rather than one-hot; only the GP estimator exists; the GP sees
/// at most `SuggestionLimits.gaussianProcessPoints` points (the most recent observations first).
public struct BayesianOptimization: SuggestionAlgorithm {
    public static let algorithmName = "bayesianoptimization"

    let initialPoints: Int
    let acquisition: String

    public init(experiment: Experiment) throws(SuggestionError) {
        let settings = try AlgorithmSettings(
            experiment.algorithm, allowed: ["base_estimator", "n_initial_points", "acq_func", "acq_optimizer", "random_state"])
        _ = try settings.randomState()
        if let estimator = settings.values["base_estimator"], estimator != "GP" {
            throw SuggestionError("base_estimator \(estimator) is not supported in Bayesian optimization")
        }
        acquisition = settings.values["acq_func"] ?? "gp_hedge"
        guard acquisition == "gp_hedge" || Acquisition(rawValue: acquisition) != nil else {
            throw SuggestionError("acq_func \(acquisition) is not supported in Bayesian optimization")
        }
        if let optimizer = settings.values["acq_optimizer"], !["auto", "sampling", "lbfgs"].contains(optimizer) {
            throw SuggestionError("acq_optimizer \(optimizer) is not supported in Bayesian optimization")
        }
        initialPoints = try settings.int("n_initial_points", default: 10)
        guard initialPoints >= 0 else { throw SuggestionError("n_initial_points should be great or equal than zero") }
    }

    public func suggest(_ context: SuggestionContext) -> [[ParameterValue]] {
        let space = context.searchSpace
        let encoding = UnitCubeEncoding(space: space)
        let history = ObservationHistory(context)
        // The GP's cost is cubic in its data: it sees the most recent observations, pending trials and batch points up
        // to `SuggestionLimits.gaussianProcessPoints`.
        let observed = history.observed.suffix(SuggestionLimits.gaussianProcessPoints)
        let inputs = observed.map { encoding.encode($0.point) }, losses = observed.map(\.loss)
        let fitted = inputs.count >= max(1, initialPoints) ? GaussianProcess.fit(inputs: inputs, targets: losses) : nil
        // Kriging believer: pending trials, then each chosen point, join the data at the GP's mean.
        var believed = (inputs: inputs, targets: losses)
        var model = fitted
        func believe(_ x: [Double], _ gp: GaussianProcess) {
            guard believed.inputs.count < SuggestionLimits.gaussianProcessPoints else { return }
            believed.inputs.append(x)
            believed.targets.append(gp.predict(x).mean)
            model = GaussianProcess(inputs: believed.inputs, targets: believed.targets, kernel: gp.kernel, noise: gp.noise) ?? gp
        }
        if let fitted { for point in history.pending { believe(encoding.encode(point), model ?? fitted) } }
        return context.distinctPoints(purpose: "gp") { _, rng in
            guard let gp = model, let best = losses.min() else { return context.randomPoint(using: &rng) }
            let point = maximiseAcquisition(gp, best: best, encoding: encoding, space: space, rng: &rng)
            believe(encoding.encode(point), gp)
            return point
        }
    }

    /// Scores 512 seeded random candidates, then climbs from the best four by a shrinking coordinate search in the
    /// unit cube (best neighbour per sweep), every move snapped to the parameters' grids. Candidates are scored in
    /// batches (one triangular solve each); only the winner is rounded to Katib's text form.
    private func maximiseAcquisition(
        _ gp: GaussianProcess, best: Double, encoding: UnitCubeEncoding, space: SearchSpace, rng: inout Xoshiro256
    ) -> [ParameterValue] {
        let function = Acquisition(rawValue: acquisition) ?? Acquisition.allCases[rng.nextIndex(below: Acquisition.allCases.count)]
        func scores(_ xs: [[Double]]) -> [Double] {
            gp.predict(batch: xs).map { function.score(mean: $0.mean, std: $0.std, best: best) }
        }
        let candidates = (0..<512).map { _ in encoding.encode(space.parameters.map { $0.sample(using: &rng) }) }
        let ranked = zip(candidates, scores(candidates)).sorted { $0.1 > $1.1 }
        var winner = ranked[0]
        for start in ranked.prefix(4) {
            var current = start
            var step = 0.1
            while step > 1e-4 {
                var neighbours: [[Double]] = []
                for dimension in space.parameters.indices {
                    for direction in [-1.0, 1.0] {
                        var x = current.0
                        x[dimension] = min(1, max(0, x[dimension] + direction * step))
                        neighbours.append(encoding.encode(encoding.decode(x)))
                    }
                }
                let top = zip(neighbours, scores(neighbours)).max { $0.1 < $1.1 }
                if let top, top.1 > current.1 { current = top } else { step /= 2 }
            }
            if current.1 > winner.1 { winner = current }
        }
        return space.canonical(encoding.decode(winner.0))
    }
}

/// Maps points to the unit cube and back: one coordinate per parameter.
struct UnitCubeEncoding {
    let space: SearchSpace

    func encode(_ point: [ParameterValue]) -> [Double] {
        zip(space.parameters, point).map { parameter, value in
            switch (parameter.domain, value) {
            case (.double(let range), .double(let v)):
                if let count = range.gridCount, let step = range.step {
                    return Self.fraction(gridIndex((v - range.lower) / step, count: count), count)
                }
                let log = range.distribution.isLogarithmic
                let f = { (x: Double) in log ? Foundation.log(x) : x }
                let span = f(range.upper) - f(range.lower)
                return span > 0 ? (f(v) - f(range.lower)) / span : 0.5
            case (.int(let range), .int(let v)):
                if range.distribution.isLogarithmic, range.lower > 0, range.upper > range.lower {
                    return (log(Double(v)) - log(Double(range.lower))) / (log(Double(range.upper)) - log(Double(range.lower)))
                }
                return Self.fraction((v - range.lower) / range.step, range.gridCount)
            case (.discrete(let list), .choice(let k)), (.categorical(let list), .choice(let k)):
                return Self.fraction(k, list.count)
            default:
                return 0.5
            }
        }
    }

    func decode(_ x: [Double]) -> [ParameterValue] {
        zip(space.parameters, x).map { parameter, c in
            switch parameter.domain {
            case .double(let range):
                if let count = range.gridCount { return .double(range.gridValue(Self.index(c, count))) }
                let log = range.distribution.isLogarithmic
                let value = log
                    ? exp(Foundation.log(range.lower) + c * (Foundation.log(range.upper) - Foundation.log(range.lower)))
                    : range.lower + c * (range.upper - range.lower)
                return .double(min(range.upper, max(range.lower, value)))
            case .int(let range):
                if range.distribution.isLogarithmic, range.lower > 0, range.upper > range.lower {
                    let value = exp(log(Double(range.lower)) + c * (log(Double(range.upper)) - log(Double(range.lower))))
                    let k = gridIndex((value - Double(range.lower)) / Double(range.step), count: range.gridCount)
                    return .int(range.lower + k * range.step)
                }
                return .int(range.lower + Self.index(c, range.gridCount) * range.step)
            case .discrete(let list), .categorical(let list):
                return .choice(Self.index(c, list.count))
            }
        }
    }

    private static func fraction(_ k: Int, _ count: Int) -> Double { count > 1 ? Double(k) / Double(count - 1) : 0.5 }
    private static func index(_ c: Double, _ count: Int) -> Int { gridIndex(c * Double(count - 1), count: count) }
}
