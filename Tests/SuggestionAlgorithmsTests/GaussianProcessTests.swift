import ExperimentModel
import Foundation
import NumericKernels
import Testing
@testable import SuggestionAlgorithms

@Suite struct GaussianProcessTests {
    /// k(a, b) as the GP computes it: the off-diagonal entry of the two points' kernel matrix.
    static func covariance(_ kernel: MaternKernel, _ a: [Double], _ b: [Double]) -> Double {
        PairwiseDistances([a, b]).kernelMatrix(kernel, noise: 0)[1, 0]
    }

    @Test func maternKernelKnownValues() {
        let matern = MaternKernel(variance: 2, lengthScales: [1, 2])
        let kernel = { (a: [Double], b: [Double]) in Self.covariance(matern, a, b) }
        #expect(kernel([0, 0], [0, 0]) == 2)
        // r = √5 · ‖((1 − 0)/1, (0 − 0)/2)‖ = √5: k = 2 (1 + √5 + 5/3) e^{−√5}.
        let expected = 2 * (1 + 5.0.squareRoot() + 5.0 / 3) * exp(-5.0.squareRoot())
        #expect(abs(kernel([1, 0], [0, 0]) - expected) < 1e-15)
        #expect(abs(kernel([0, 2], [0, 0]) - expected) < 1e-15, "length scale 2 halves the distance")
    }

    @Test func posteriorOfOneObservationMatchesTheClosedForm() throws {
        // One point, targets standardised to 0 (a single value has zero spread): mean is the value itself, and the
        // variance at a distance follows k(x,x) − k(x,x₀)² / (k(x₀,x₀) + noise).
        let kernel = MaternKernel(variance: 1, lengthScales: [1])
        let gp = try #require(GaussianProcess(inputs: [[0]], targets: [3], kernel: kernel, noise: 0.01))
        #expect(abs(gp.predict([0]).mean - 3) < 1e-12)
        let k = Self.covariance(kernel, [0.5], [0])
        let variance = 1 - k * k / 1.01
        #expect(abs(gp.predict([0.5]).std - variance.squareRoot()) < 1e-12)
    }

    @Test func posteriorInterpolatesTwoObservations() throws {
        let gp = try #require(GaussianProcess(
            inputs: [[0], [1]], targets: [1, 3], kernel: MaternKernel(variance: 1, lengthScales: [0.7]), noise: 1e-8))
        #expect(abs(gp.predict([0]).mean - 1) < 1e-6 && abs(gp.predict([1]).mean - 3) < 1e-6)
        #expect(abs(gp.predict([0.5]).mean - 2) < 1e-9, "symmetric data: the midpoint sits halfway")
        #expect(gp.predict([0]).std < 1e-3 && gp.predict([0.5]).std > 0.01)
    }

    @Test func expectedImprovementOfAKnownGaussian() {
        // N(0, 1) against best 0: EI = φ(0) = 1/√(2π).
        #expect(abs(exp(logExpectedImprovement(mean: 0, std: 1, best: 0)) - 1 / (2 * Double.pi).squareRoot()) < 1e-15)
        // best = 1: EI = Φ(1) + φ(1).
        let expected = normalCDF(1) + exp(-0.5) / (2 * Double.pi).squareRoot()
        #expect(abs(exp(logExpectedImprovement(mean: 0, std: 1, best: 1)) - expected) < 1e-12)
        // Far below the incumbent the log form stays finite and decreasing.
        let far = logExpectedImprovement(mean: 40, std: 1, best: 0), farther = logExpectedImprovement(mean: 60, std: 1, best: 0)
        #expect(far.isFinite)
        #expect(farther < far)
    }

    @Test func fittingRaisesTheMarginalLikelihood() throws {
        var rng = Xoshiro256(seed: 3)
        let xs = (0..<25).map { _ in [rng.nextUnit(), rng.nextUnit()] }
        let ys = xs.map { sin(6 * $0[0]) + 0.1 * $0[1] }
        let start = try #require(GaussianProcess(inputs: xs, targets: ys, kernel: MaternKernel(variance: 1, lengthScales: [0.5, 0.5]), noise: 1e-3))
        let fitted = try #require(GaussianProcess.fit(inputs: xs, targets: ys))
        #expect(fitted.logMarginalLikelihood > start.logMarginalLikelihood)
        #expect(fitted.kernel.lengthScales[1] > fitted.kernel.lengthScales[0], "the nearly irrelevant dimension gets the longer scale")
    }

    @Test func likelihoodGradientMatchesFiniteDifferences() throws {
        var rng = Xoshiro256(seed: 5)
        let xs = (0..<12).map { _ in [rng.nextUnit(), rng.nextUnit(), rng.nextUnit()] }
        let y = GaussianProcess.standardised(xs.map { cos(4 * $0[0]) + $0[1] * $0[2] }).values
        let distances = PairwiseDistances(xs)
        let theta = [0.3, log(0.4), log(0.9), log(2.0), log(0.01)]
        let (value, gradient) = try #require(GaussianProcess.negativeLogLikelihood(theta, distances: distances, targets: y))
        // The value is −log p of the conditioned model.
        let model = try #require(GaussianProcess(
            inputs: xs, targets: y, kernel: MaternKernel(variance: exp(0.3), lengthScales: [0.4, 0.9, 2.0]), noise: 0.01))
        #expect(abs(value + model.logMarginalLikelihood) < 1e-9)
        for index in theta.indices {
            var up = theta, down = theta
            up[index] += 1e-6
            down[index] -= 1e-6
            let numeric = (try #require(GaussianProcess.negativeLogLikelihood(up, distances: distances, targets: y)).value
                - (try #require(GaussianProcess.negativeLogLikelihood(down, distances: distances, targets: y)).value)) / 2e-6
            #expect(abs(numeric - gradient[index]) < 1e-5 * max(1, abs(numeric)), "θ[\(index)]: \(numeric) vs \(gradient[index])")
        }
    }

    @Test func beatsRandomSearchOnAMixedQuadratic() throws {
        let seeds: [UInt64] = [1, 2, 3, 4, 5]
        let gp = try seeds.map { try TPETests.bestLoss("bayesianoptimization", seed: $0, trials: 40) }.sorted()
        let random = try seeds.map { try TPETests.bestLoss("random", seed: $0, trials: 40) }.sorted()
        #expect(gp[2] < random[2], "median best loss: gp \(gp[2]) vs random \(random[2])")
    }

    @Test(arguments: [
        ("base_estimator", "RF", "base_estimator RF is not supported in Bayesian optimization"),
        ("acq_func", "EIps", "acq_func EIps is not supported in Bayesian optimization"),
        ("n_initial_points", "-1", "n_initial_points should be great or equal than zero"),
        ("kappa", "2", "unknown setting kappa for algorithm bayesianoptimization"),
    ])
    func settingsAreValidatedWithKatibsMessages(name: String, value: String, message: String) {
        #expect(throws: SuggestionError(message)) {
            try SuggestionService.makeAlgorithm(for: TPETests.experiment("bayesianoptimization", settings: [AlgorithmSetting(name: name, value: value)]))
        }
    }
}
