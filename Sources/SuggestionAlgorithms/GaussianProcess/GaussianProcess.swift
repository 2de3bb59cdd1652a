import Foundation
import NumericKernels

/// Matérn-5/2 kernel with one length scale per dimension (ARD): k(r) = σ² (1 + √5 r + 5r²/3) e^{−√5 r}.
struct MaternKernel: Equatable {
    var variance: Double
    var lengthScales: [Double]

    /// k as a function of r² = Σ ((aᵢ − bᵢ)/ℓᵢ)².
    @inline(__always)
    func value(scaledSquaredDistance r2: Double) -> Double {
        let r = (5 * r2).squareRoot()
        return variance * (1 + r + r * r / 3) * exp(-r)
    }
}

/// Per-dimension squared differences of every pair of inputs (i > j), computed once per fit so that each
/// likelihood evaluation only rescales them.
struct PairwiseDistances {
    let count: Int
    let dimensions: Int
    /// Pair (i, j), i > j, in the order j-major then i, `dimensions` values each.
    let squaredDifferences: [Double]

    init(_ inputs: [[Double]]) {
        count = inputs.count
        dimensions = inputs.first?.count ?? 0
        var values: [Double] = []
        values.reserveCapacity(count * (count - 1) / 2 * dimensions)
        for j in 0..<count {
            for i in (j + 1)..<max(j + 1, count) {
                for k in 0..<dimensions {
                    let d = inputs[i][k] - inputs[j][k]
                    values.append(d * d)
                }
            }
        }
        squaredDifferences = values
    }

    /// The kernel matrix plus `noise` on the diagonal, column-major, lower triangle filled.
    func kernelMatrix(_ kernel: MaternKernel, noise: Double) -> Matrix {
        var k = Matrix(rows: count, columns: count)
        let inverseSquares = kernel.lengthScales.map { 1 / ($0 * $0) }
        squaredDifferences.withUnsafeBufferPointer { d in
            k.storage.withUnsafeMutableBufferPointer { out in
                var pair = 0
                for j in 0..<count {
                    out[j + j * count] = kernel.variance + noise
                    for i in (j + 1)..<max(j + 1, count) {
                        var r2 = 0.0
                        for dimension in 0..<dimensions { r2 += d[pair + dimension] * inverseSquares[dimension] }
                        out[i + j * count] = kernel.value(scaledSquaredDistance: r2)
                        pair += dimensions
                    }
                }
            }
        }
        return k
    }
}

/// A Gaussian-process regressor on standardised targets, its kernel fitted by maximising the log marginal likelihood.
struct GaussianProcess {
    let inputs: [[Double]]
    let kernel: MaternKernel
    let noise: Double
    let targetMean: Double
    let targetScale: Double
    let factor: Matrix
    let alpha: [Double]
    /// log p(y | X, θ) of the standardised targets.
    let logMarginalLikelihood: Double

    /// Conditions on `(inputs, targets)` with fixed hyperparameters; nil when the kernel matrix is not positive definite.
    init?(inputs: [[Double]], targets: [Double], kernel: MaternKernel, noise: Double) {
        self.init(inputs: inputs, targets: targets, distances: PairwiseDistances(inputs), kernel: kernel, noise: noise)
    }

    private init?(inputs: [[Double]], targets: [Double], distances: PairwiseDistances, kernel: MaternKernel, noise: Double) {
        let n = targets.count
        let (y, mean, scale) = Self.standardised(targets)
        guard let (factor, _) = try? DenseSolvers.cholesky(distances.kernelMatrix(kernel, noise: noise)),
              let alpha = try? DenseSolvers.choleskySolve(factor: factor, y)
        else { return nil }
        self.inputs = inputs
        self.kernel = kernel
        self.noise = noise
        targetMean = mean
        targetScale = scale
        self.factor = factor
        self.alpha = alpha
        var logDeterminant = 0.0
        for i in 0..<n { logDeterminant += 2 * log(factor[i, i]) }
        logMarginalLikelihood = -0.5 * zip(y, alpha).reduce(0) { $0 + $1.0 * $1.1 } - 0.5 * logDeterminant
            - 0.5 * Double(n) * log(2 * Double.pi)
    }

    /// Posterior mean and standard deviation at `x`, in the original target units.
    func predict(_ x: [Double]) -> (mean: Double, std: Double) { predict(batch: [x])[0] }

    /// Posterior means and standard deviations at many points: one triangular solve for all of them.
    func predict(batch points: [[Double]]) -> [(mean: Double, std: Double)] {
        let n = inputs.count
        var cross = Matrix(rows: n, columns: points.count)
        let inverseScales = kernel.lengthScales.map { 1 / $0 }
        cross.storage.withUnsafeMutableBufferPointer { out in
            for (column, x) in points.enumerated() {
                for (row, input) in inputs.enumerated() {
                    var r2 = 0.0
                    for k in x.indices {
                        let d = (x[k] - input[k]) * inverseScales[k]
                        r2 += d * d
                    }
                    out[row + column * n] = kernel.value(scaledSquaredDistance: r2)
                }
            }
        }
        let whitened = DenseSolvers.lowerTriangularSolve(factor: factor, cross)
        return (0..<points.count).map { column in
            var mean = 0.0, explained = 0.0
            for row in 0..<n {
                mean += cross.storage[row + column * n] * alpha[row]
                let v = whitened.storage[row + column * n]
                explained += v * v
            }
            let variance = max(1e-12, kernel.variance - explained)
            return (targetMean + targetScale * mean, targetScale * variance.squareRoot())
        }
    }

    /// Likelihood-and-gradient evaluations allowed per start of the fit.
    static let fitBudget = 20

    /// Fits log variance, log length scales and log noise by maximising the log marginal likelihood plus priors: normal
    /// on log variance (around 1, σ = 1) and log noise (around 10⁻³, σ = 2); on each length scale ℓ (cube units)
    /// −log p = 0.1 (ℓ² + ℓ⁻²), Optuna's GPSampler's prior, which makes length scales below ~0.2 costly. A GP that may
    /// bend within a tenth of the cube fits the plateaus of gbdt surfaces (trees ignore small changes) with bumps, and
    /// its expected improvement then keeps proposing points beside the incumbent; with this prior `gp_hedge` reached
    /// the grid's best point of gbdt-breast-cancer in 38 of 60 held-out seeds, against 16 of 60 with the earlier
    /// log-normal prior (σ = 1.5). Analytic gradients (bounded L-BFGS, `fitBudget` evaluations), from two starts
    /// (smooth: ℓ = 0.5; rough: ℓ = 0.15); the better posterior wins.
    static func fit(inputs: [[Double]], targets: [Double]) -> GaussianProcess? {
        let dimensions = inputs.first?.count ?? 0
        let distances = PairwiseDistances(inputs)
        let lower = [log(0.05)] + Array(repeating: log(0.01), count: dimensions) + [log(1e-6)]
        let upper = [log(20.0)] + Array(repeating: log(20.0), count: dimensions) + [log(1.0)]
        let (variance, noise) = (0, dimensions + 1)
        let priors = [(index: variance, mean: 0.0, scale: 1.0), (index: noise, mean: log(1e-3), scale: 2.0)]
        let y = standardised(targets).values
        func model(_ t: [Double]) -> GaussianProcess? {
            GaussianProcess(
                inputs: inputs, targets: targets, distances: distances,
                kernel: MaternKernel(variance: exp(t[0]), lengthScales: t[1...dimensions].map(exp)), noise: exp(t[dimensions + 1]))
        }
        func posterior(_ t: [Double]) -> (value: Double, gradient: [Double])? {
            guard var result = negativeLogLikelihood(t, distances: distances, targets: y) else { return nil }
            for prior in priors {
                let z = (t[prior.index] - prior.mean) / prior.scale
                result.value += 0.5 * z * z
                result.gradient[prior.index] += z / prior.scale
            }
            // θ = log ℓ: 0.1 (e^{2θ} + e^{−2θ}), derivative 0.2 (e^{2θ} − e^{−2θ}).
            for i in 1..<(dimensions + 1) {
                let up = exp(2 * t[i]), down = exp(-2 * t[i])
                result.value += 0.1 * (up + down)
                result.gradient[i] += 0.2 * (up - down)
            }
            return result
        }
        let starts = [log(0.5), log(0.15)].map { scale in
            [0.0] + Array(repeating: scale, count: dimensions) + [log(1e-3)]
        }
        let optimiser = BoundedLBFGS(maxEvaluations: fitBudget)
        let best = starts.compactMap { optimiser.minimize(start: $0, lower: lower, upper: upper, posterior) }
            .min { $0.value < $1.value }
        return best.flatMap { model($0.point) } ?? model(starts[0])
    }

    /// Targets shifted and scaled to mean 0 and standard deviation 1 (scale 1 when they are all equal).
    static func standardised(_ targets: [Double]) -> (values: [Double], mean: Double, scale: Double) {
        let n = Double(max(1, targets.count))
        let mean = targets.reduce(0, +) / n
        let spread = (targets.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        let scale = spread > 1e-12 ? spread : 1
        return (targets.map { ($0 - mean) / scale }, mean, scale)
    }

    /// −log p(y | X, θ) and its gradient in θ = (log σ², log ℓ₁ … log ℓ_d, log noise):
    /// ∂ log p/∂θ = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ), α = K⁻¹y, with ∂k/∂log ℓ_d = σ² (5/3) (1 + r) e^{−r} (Δ_d/ℓ_d)².
    static func negativeLogLikelihood(
        _ theta: [Double], distances: PairwiseDistances, targets y: [Double]
    ) -> (value: Double, gradient: [Double])? {
        let n = distances.count, dimensions = distances.dimensions
        let variance = exp(theta[0]), noise = exp(theta[dimensions + 1])
        let inverseSquares = theta[1...dimensions].map { exp(-2 * $0) }
        let kernel = MaternKernel(variance: variance, lengthScales: theta[1...dimensions].map(exp))
        let k = distances.kernelMatrix(kernel, noise: noise)
        guard let (factor, _) = try? DenseSolvers.cholesky(k),
              let alpha = try? DenseSolvers.choleskySolve(factor: factor, y),
              let inverse = try? DenseSolvers.choleskyInverse(factor: factor)
        else { return nil }
        var value = 0.5 * zip(y, alpha).reduce(0) { $0 + $1.0 * $1.1 } + 0.5 * Double(n) * log(2 * Double.pi)
        for i in 0..<n { value += log(factor[i, i]) }
        // Gradient of log p; W = ααᵀ − K⁻¹ is symmetric, so each off-diagonal pair counts twice (cancelling the ½).
        var gradient = [Double](repeating: 0, count: dimensions + 2)
        for i in 0..<n {
            let w = alpha[i] * alpha[i] - inverse[i, i]
            gradient[0] += 0.5 * w * variance
            gradient[dimensions + 1] += 0.5 * w * noise
        }
        distances.squaredDifferences.withUnsafeBufferPointer { d in
            inverse.storage.withUnsafeBufferPointer { kInverse in
                k.storage.withUnsafeBufferPointer { kernelValues in
                    var pair = 0
                    for j in 0..<n {
                        for i in (j + 1)..<max(j + 1, n) {
                            let w = alpha[i] * alpha[j] - kInverse[i + j * n]
                            gradient[0] += w * kernelValues[i + j * n]
                            var r2 = 0.0
                            for dimension in 0..<dimensions { r2 += d[pair + dimension] * inverseSquares[dimension] }
                            let r = (5 * r2).squareRoot()
                            // σ² e^{−r} recovered from the kernel value: no second exponential per pair.
                            let scaledExp = kernelValues[i + j * n] / (1 + r + r * r / 3)
                            let common = w * (5.0 / 3.0) * (1 + r) * scaledExp
                            for dimension in 0..<dimensions {
                                gradient[1 + dimension] += common * d[pair + dimension] * inverseSquares[dimension]
                            }
                            pair += dimensions
                        }
                    }
                }
            }
        }
        return (value, gradient.map { -$0 })
    }
}

/// Acquisition functions for minimisation (skopt's names).
enum Acquisition: String, CaseIterable {
    case expectedImprovement = "EI", probabilityOfImprovement = "PI", lowerConfidenceBound = "LCB"

    /// PI's margin (skopt's xi); EI has none (log EI exploits precisely near the incumbent, as Optuna's does).
    static let improvementMargin = 0.01
    /// LCB's exploration weight (skopt's kappa).
    static let kappa = 1.96

    /// Larger is better. EI is computed as log EI for numerical stability far from the incumbent.
    func score(mean: Double, std: Double, best: Double) -> Double {
        switch self {
        case .expectedImprovement: logExpectedImprovement(mean: mean, std: std, best: best)
        case .probabilityOfImprovement: log(max(1e-300, normalCDF((best - Self.improvementMargin - mean) / std)))
        case .lowerConfidenceBound: -(mean - Self.kappa * std)
        }
    }

    /// The score and its partial derivatives in the mean and the standard deviation.
    func scoreWithGradient(mean: Double, std: Double, best: Double) -> (value: Double, dMean: Double, dStd: Double) {
        switch self {
        case .expectedImprovement:
            return logExpectedImprovementWithGradient(mean: mean, std: std, best: best)
        case .probabilityOfImprovement:
            let z = (best - Self.improvementMargin - mean) / std
            let cdf = normalCDF(z)
            // d log Φ(z)/dz = φ(z)/Φ(z), which tends to −z where Φ underflows.
            let slope = cdf > 1e-280 ? exp(-0.5 * z * z) / (2 * Double.pi).squareRoot() / cdf : -z
            return (log(max(1e-300, cdf)), -slope / std, -slope * z / std)
        case .lowerConfidenceBound:
            return (-(mean - Self.kappa * std), -1, Self.kappa)
        }
    }
}

/// log E[max(0, best − Y)] for Y ~ N(mean, std²): log(std) + log(z Φ(z) + φ(z)), z = (best − mean)/std, with an
/// asymptotic form for z ≪ 0 where the direct formula underflows.
func logExpectedImprovement(mean: Double, std: Double, best: Double) -> Double {
    let z = (best - mean) / std
    if z > -6 {
        let value = z * normalCDF(z) + exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
        return log(max(value, 1e-300)) + log(std)
    }
    // z Φ(z) + φ(z) = φ(z) (1 − 1/z² ·(1 − 3/z² …)) ≈ φ(z)/z² for z → −∞.
    return -0.5 * z * z - 0.5 * log(2 * Double.pi) - 2 * log(-z) + log(std)
}

extension GaussianProcess {
    /// Posterior mean and standard deviation at `x` with their gradients in `x` (original target units), for the
    /// gradient-based search of the acquisition: ∂μ/∂x = Σᵢ αᵢ ∂kᵢ/∂x, ∂σ²/∂x = −2 Σᵢ βᵢ ∂kᵢ/∂x with β = K⁻¹k, and
    /// for Matérn-5/2 ∂k/∂x_d = −σ² (5/3)(1 + r) e^{−r} (x_d − x′_d)/ℓ_d², r = √5 ‖(x − x′)/ℓ‖.
    func predictWithGradient(_ x: [Double]) -> (mean: Double, std: Double, meanGradient: [Double], stdGradient: [Double])? {
        let n = inputs.count, d = x.count
        var k = [Double](repeating: 0, count: n)
        var dk = [Double](repeating: 0, count: n * d)
        let inverseSquares = kernel.lengthScales.map { 1 / ($0 * $0) }
        for (i, input) in inputs.enumerated() {
            var r2 = 0.0
            for j in 0..<d {
                let t = x[j] - input[j]
                r2 += t * t * inverseSquares[j]
            }
            let r = (5 * r2).squareRoot()
            let e = exp(-r)
            k[i] = kernel.variance * (1 + r + r * r / 3) * e
            let common = -kernel.variance * (5.0 / 3.0) * (1 + r) * e
            for j in 0..<d { dk[i * d + j] = common * (x[j] - input[j]) * inverseSquares[j] }
        }
        guard let beta = try? DenseSolvers.choleskySolve(factor: factor, k) else { return nil }
        var mean = 0.0, explained = 0.0
        var meanGradient = [Double](repeating: 0, count: d), varianceGradient = [Double](repeating: 0, count: d)
        for i in 0..<n {
            mean += k[i] * alpha[i]
            explained += k[i] * beta[i]
            for j in 0..<d {
                meanGradient[j] += alpha[i] * dk[i * d + j]
                varianceGradient[j] -= 2 * beta[i] * dk[i * d + j]
            }
        }
        let variance = kernel.variance - explained
        let std = max(1e-12, variance).squareRoot()
        let stdGradient = varianceGradient.map { variance > 1e-12 ? $0 / (2 * std) : 0 }
        return (
            targetMean + targetScale * mean, targetScale * std, meanGradient.map { $0 * targetScale },
            stdGradient.map { $0 * targetScale })
    }
}

/// log EI and its partial derivatives in the mean and the standard deviation (minimisation; see
/// `logExpectedImprovement`): with z = (best − μ)/σ and h = zΦ(z) + φ(z), ∂/∂μ = −Φ/(hσ), ∂/∂σ = φ/(hσ); in the
/// asymptotic region the derivatives of its asymptotic form.
func logExpectedImprovementWithGradient(mean: Double, std: Double, best: Double) -> (value: Double, dMean: Double, dStd: Double) {
    let z = (best - mean) / std
    let value = logExpectedImprovement(mean: mean, std: std, best: best)
    if z > -6 {
        let phi = exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
        let h = max(z * normalCDF(z) + phi, 1e-300)
        return (value, -normalCDF(z) / (h * std), phi / (h * std))
    }
    let slope = -z - 2 / z
    return (value, slope * (-1 / std), slope * (-z / std) + 1 / std)
}
