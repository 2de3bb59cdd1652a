public import ExperimentModel
import Foundation
import NumericKernels

/// Gaussian-process Bayesian optimisation (`bayesianoptimization`), in the style of scikit-optimize's `gp_minimize`.
///
/// Points live in the unit cube of `ParameterEncoding` (log scale for log distributions, grid positions for ints and
/// stepped doubles, lists one-hot). A GP with a Matérn-5/2 ARD kernel is fitted to the standardised losses by
/// maximising the marginal likelihood plus priors (Optuna's on the length scales: `GaussianProcess.fit`), from two
/// starts (Cholesky through LAPACK). The acquisition is maximised over 1024 seeded candidates (half from the
/// parameters' distributions, half steps from the best observations at three scales), then by a mixed local search from
/// the best three: L-BFGS on the analytic gradient for continuous coordinates, neighbouring grid values, every list
/// entry (Optuna's `optim_mixed` is the model). Batches use the kriging believer: each chosen point, and every pending
/// trial, joins the data with the GP's mean as its value, so the points of a batch spread out without a refit of the
/// hyperparameters. Deviations from skopt: `gp_hedge` (the default) draws each point's acquisition with the seeded
/// stream — log EI half of the time, LCB and PI a quarter each — because skopt's hedge learns its weights from gains
/// kept between calls, which a stateless service cannot; EI has no margin (skopt's xi = 0.01 stops short of the optimum
/// on fine scales); only the GP estimator exists; the GP sees at most `SuggestionLimits.gaussianProcessPoints` points
/// (the most recent observations first).
public struct BayesianOptimization: SuggestionAlgorithm {
    public static let algorithmName = "bayesianoptimization"

    let initialPoints: Int
    let acquisition: String
    /// Candidates scored before the local search, and the best of them it starts from.
    static let candidateCount = 1024
    static let localStarts = 3
    /// `gp_hedge`'s portfolio, one member drawn per point: EI half of the time, LCB and PI a quarter each.
    static let hedge: [Acquisition] = [.expectedImprovement, .expectedImprovement, .lowerConfidenceBound, .probabilityOfImprovement]
    /// Standard deviations (cube units) of the steps taken from the best observations, coarse to fine.
    static let perturbationScales = [0.1, 0.02, 0.004]

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
        let encoding = ParameterEncoding(space)
        let history = ObservationHistory(context)
        // The GP's cost is cubic in its data: it sees the most recent observations, pending trials and batch points up
        // to `SuggestionLimits.gaussianProcessPoints`.
        let observed = history.observed.suffix(SuggestionLimits.gaussianProcessPoints)
        let inputs = observed.map { encoding.cube($0.point) }, losses = observed.map(\.loss)
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
        if let fitted { for point in history.pending { believe(encoding.cube(point), model ?? fitted) } }
        let incumbents = observed.enumerated().sorted { ($0.element.loss, $0.offset) < ($1.element.loss, $1.offset) }
            .prefix(5).map { inputs[$0.offset] }
        return context.modelBasedPoints(purpose: "gp", startupTrials: initialPoints, observed: inputs.count) { _, rng in
            guard let gp = model, let best = losses.min() else { return context.randomPoint(using: &rng) }
            let point = maximiseAcquisition(
                gp, best: best, encoding: encoding, space: space, incumbents: incumbents, rng: &rng)
            believe(encoding.cube(point), gp)
            return point
        }
    }

    /// Maximises the acquisition (Optuna's `optim_mixed` is the model): `candidateCount` seeded candidates, half from
    /// the parameters' distributions and half Gaussian steps (σ = 0.05 in the cube) from the five best observations,
    /// scored in one batch; then from the best `localStarts` a mixed local search, repeated while it improves: the
    /// continuous coordinates by bounded L-BFGS on the acquisition's analytic gradient, each grid parameter by its
    /// neighbouring values (every value when it has at most 16), each list by every entry. Only the winner is rounded
    /// to Katib's text form.
    private func maximiseAcquisition(
        _ gp: GaussianProcess, best: Double, encoding: ParameterEncoding, space: SearchSpace, incumbents: [[Double]],
        rng: inout Xoshiro256
    ) -> [ParameterValue] {
        let function = Acquisition(rawValue: acquisition) ?? Self.hedge[rng.nextIndex(below: Self.hedge.count)]
        func scores(_ xs: [[Double]]) -> [Double] {
            gp.predict(batch: xs).map { function.score(mean: $0.mean, std: $0.std, best: best) }
        }
        var candidates: [[Double]] = []
        candidates.reserveCapacity(Self.candidateCount)
        for index in 0..<Self.candidateCount {
            if index % 2 == 1, !incumbents.isEmpty {
                var x = incumbents[(index / 2) % incumbents.count]
                let scale = Self.perturbationScales[(index / 2) % Self.perturbationScales.count]
                for (d, parameter) in encoding.parameters.enumerated() where !parameter.isList {
                    let offset = encoding.cubeOffsets[d]
                    // A grid parameter moves by at least about one cell.
                    let step = max(scale, (parameter.cubeCell ?? 0) * 0.75)
                    x[offset] = min(1, max(0, x[offset] + step * rng.nextStandardNormal()))
                }
                candidates.append(encoding.snapped(cube: x))
            } else {
                candidates.append(encoding.cube(space.parameters.map { $0.sample(using: &rng) }))
            }
        }
        let ranked = zip(candidates, scores(candidates)).sorted { $0.1 > $1.1 }
        var winner = ranked[0]
        var starts: [([Double], Double)] = []
        for candidate in ranked where !starts.contains(where: { $0.0 == candidate.0 }) {
            starts.append(candidate)
            if starts.count == Self.localStarts { break }
        }
        let continuous = encoding.parameters.indices.filter {
            if case .continuous = encoding.parameters[$0].kind { return true }
            return false
        }.map { encoding.cubeOffsets[$0] }
        for start in starts {
            var current = start
            for _ in 0..<3 {
                let before = current.1
                if !continuous.isEmpty, let moved = climbContinuous(gp, function: function, best: best, from: current.0, coordinates: continuous),
                   moved.1 > current.1 {
                    current = moved
                }
                for (d, parameter) in encoding.parameters.enumerated() {
                    let options = discreteMoves(parameter, offset: encoding.cubeOffsets[d], from: current.0)
                    guard !options.isEmpty else { continue }
                    if let top = zip(options, scores(options)).max(by: { $0.1 < $1.1 }), top.1 > current.1 { current = top }
                }
                if current.1 <= before { break }
            }
            if current.1 > winner.1 { winner = current }
        }
        return space.canonical(encoding.point(cube: winner.0))
    }

    /// Bounded L-BFGS over the continuous coordinates, the others held.
    private func climbContinuous(
        _ gp: GaussianProcess, function: Acquisition, best: Double, from x: [Double], coordinates: [Int]
    ) -> ([Double], Double)? {
        var point = x
        let optimum = BoundedLBFGS(maxEvaluations: 20, gradientTolerance: 1e-6).minimize(
            start: coordinates.map { x[$0] }, lower: coordinates.map { _ in 0 }, upper: coordinates.map { _ in 1 }
        ) { values in
            for (i, c) in coordinates.enumerated() { point[c] = values[i] }
            guard let p = gp.predictWithGradient(point) else { return nil }
            let (value, dMean, dStd) = function.scoreWithGradient(mean: p.mean, std: p.std, best: best)
            guard value.isFinite else { return nil }
            return (-value, coordinates.map { -(dMean * p.meanGradient[$0] + dStd * p.stdGradient[$0]) })
        }
        guard let optimum else { return nil }
        for (i, c) in coordinates.enumerated() { point[c] = optimum.point[i] }
        return (point, -optimum.value)
    }

    /// The cube points one discrete step away in one parameter: a grid's neighbours (every value up to 16), a list's
    /// other entries; none for a continuous parameter.
    private func discreteMoves(_ parameter: EncodedParameter, offset: Int, from x: [Double]) -> [[Double]] {
        switch parameter.kind {
        case .continuous:
            return []
        case .categorical(let count) where !parameter.isOneHot:
            // A long list on one ordinal coordinate: its neighbouring entries.
            let current = parameter.index(parameter.value(fromCube: x, at: offset))
            return [current - 2, current - 1, current + 1, current + 2].filter { $0 >= 0 && $0 < count }.map { k in
                var y = x
                parameter.writeCube(.choice(k), into: &y, at: offset)
                return y
            }
        case .categorical(let count):
            return (0..<count).compactMap { k in
                guard x[offset + k] != 1 else { return nil }
                var y = x
                for j in 0..<count { y[offset + j] = j == k ? 1 : 0 }
                return y
            }
        case .grid(let axis):
            let current = axis.index(of: parameter.value(fromCube: x, at: offset))
            let indices = axis.count <= 16 ? Array(0..<axis.count) : [current - 2, current - 1, current + 1, current + 2]
            return indices.filter { $0 >= 0 && $0 < axis.count && $0 != current }.map { k in
                var y = x
                parameter.writeCube(axis.value(at: k), into: &y, at: offset)
                return y
            }
        }
    }
}
