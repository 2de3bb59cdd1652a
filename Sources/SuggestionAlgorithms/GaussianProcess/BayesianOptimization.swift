public import ExperimentModel
import Foundation
import NumericKernels

/// Gaussian-process Bayesian optimisation (`bayesianoptimization`), in the style of scikit-optimize's `gp_minimize`.
///
/// Points live in the unit cube of `ParameterEncoding` (log scale for log distributions, grid positions for ints and
/// stepped doubles, lists one-hot). A GP with a Matérn-5/2 ARD kernel is fitted to the standardised losses by
/// maximising the marginal likelihood (Cholesky through LAPACK); the acquisition (EI in log space, PI, LCB, or `gp_hedge`) is
/// maximised by 512 seeded random candidates followed by a shrinking coordinate search from the best four, always on
/// the parameters' grids. Batches use the kriging believer: each chosen point, and every pending trial, joins the
/// data with the GP's mean as its value, so the points of a batch spread out without a refit of the hyperparameters
/// (a constant liar would need a lie value; the believer's mean keeps the model's shape). Deviations from skopt:
/// `gp_hedge` picks one of EI/PI/LCB per point with a seeded draw (skopt keeps gains across calls, which a stateless
/// service cannot); only the GP estimator exists; the GP sees at most `SuggestionLimits.gaussianProcessPoints` points (the most recent observations first).
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
        return context.modelBasedPoints(purpose: "gp", startupTrials: initialPoints, observed: inputs.count) { _, rng in
            guard let gp = model, let best = losses.min() else { return context.randomPoint(using: &rng) }
            let point = maximiseAcquisition(gp, best: best, encoding: encoding, space: space, rng: &rng)
            believe(encoding.cube(point), gp)
            return point
        }
    }

    /// Scores 512 seeded random candidates, then climbs from the best four by a shrinking coordinate search in the
    /// unit cube (best neighbour per sweep), every move snapped to the parameters' grids. Candidates are scored in
    /// batches (one triangular solve each); only the winner is rounded to Katib's text form.
    private func maximiseAcquisition(
        _ gp: GaussianProcess, best: Double, encoding: ParameterEncoding, space: SearchSpace, rng: inout Xoshiro256
    ) -> [ParameterValue] {
        let function = Acquisition(rawValue: acquisition) ?? Acquisition.allCases[rng.nextIndex(below: Acquisition.allCases.count)]
        func scores(_ xs: [[Double]]) -> [Double] {
            gp.predict(batch: xs).map { function.score(mean: $0.mean, std: $0.std, best: best) }
        }
        let candidates = (0..<512).map { _ in encoding.cube(space.parameters.map { $0.sample(using: &rng) }) }
        let ranked = zip(candidates, scores(candidates)).sorted { $0.1 > $1.1 }
        var winner = ranked[0]
        for start in ranked.prefix(4) {
            var current = start
            var step = 0.1
            while step > 1e-4 {
                var neighbours: [[Double]] = []
                for (d, parameter) in encoding.parameters.enumerated() {
                    let offset = encoding.cubeOffsets[d]
                    if case .categorical(let count) = parameter.kind {
                        // Every other entry of a list: one-hot coordinates do not move by small steps.
                        for k in 0..<count where current.0[offset + k] != 1 {
                            var x = current.0
                            for j in 0..<count { x[offset + j] = j == k ? 1 : 0 }
                            neighbours.append(x)
                        }
                        continue
                    }
                    for direction in [-1.0, 1.0] {
                        var x = current.0
                        x[offset] = min(1, max(0, x[offset] + direction * step))
                        neighbours.append(encoding.snapped(cube: x))
                    }
                }
                let top = zip(neighbours, scores(neighbours)).max { $0.1 < $1.1 }
                if let top, top.1 > current.1 { current = top } else { step /= 2 }
            }
            if current.1 > winner.1 { winner = current }
        }
        return space.canonical(encoding.point(cube: winner.0))
    }
}
