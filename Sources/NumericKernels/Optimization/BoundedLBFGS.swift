/// Minimises a smooth function inside a box with limited-memory BFGS directions, projected onto the box, and a
/// backtracking (Armijo) line search along the projected path. A compact stand-in for L-BFGS-B, enough for the few
/// hyperparameters of a Gaussian process.
public struct BoundedLBFGS: Sendable {
    public var memory = 6
    public var maxEvaluations = 60
    /// Stops when the projected gradient's largest component falls below this.
    public var gradientTolerance = 1e-5

    public init(memory: Int = 6, maxEvaluations: Int = 60, gradientTolerance: Double = 1e-5) {
        self.memory = memory
        self.maxEvaluations = maxEvaluations
        self.gradientTolerance = gradientTolerance
    }

    /// The best point found from `start` (clamped into `[lower, upper]`). `function` returns the value and gradient,
    /// or nil where it is undefined (treated as a failed step).
    public func minimize(
        start: [Double], lower: [Double], upper: [Double], _ function: ([Double]) -> (value: Double, gradient: [Double])?
    ) -> (point: [Double], value: Double)? {
        let n = start.count
        func project(_ x: [Double]) -> [Double] { (0..<n).map { min(upper[$0], max(lower[$0], x[$0])) } }
        var x = project(start)
        guard var current = function(x) else { return nil }
        var evaluations = 1
        var steps: [[Double]] = [], changes: [[Double]] = []
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        while evaluations < maxEvaluations {
            // Components pinned at a bound with the gradient pushing outward are held fixed this iteration.
            let free = (0..<n).map { i in
                !((x[i] <= lower[i] && current.gradient[i] > 0) || (x[i] >= upper[i] && current.gradient[i] < 0))
            }
            let projected = (0..<n).map { free[$0] ? current.gradient[$0] : 0 }
            if projected.map(abs).max() ?? 0 < gradientTolerance { break }
            // Two-loop recursion: direction = −H·g on the free components.
            var q = projected
            var alphas: [Double] = []
            for (s, y) in zip(steps, changes).reversed() {
                let alpha = dot(s, q) / dot(y, s)
                alphas.append(alpha)
                for i in 0..<n { q[i] -= alpha * y[i] }
            }
            if let s = steps.last, let y = changes.last {
                let scale = dot(s, y) / dot(y, y)
                for i in 0..<n { q[i] *= scale }
            } else {
                let norm = dot(projected, projected).squareRoot()
                for i in 0..<n { q[i] /= max(norm, 1) }
            }
            for ((s, y), alpha) in zip(zip(steps, changes), alphas.reversed()) {
                let beta = dot(y, q) / dot(y, s)
                for i in 0..<n { q[i] += (alpha - beta) * s[i] }
            }
            var direction = (0..<n).map { free[$0] ? -q[$0] : 0 }
            if dot(direction, projected) >= 0 {  // not a descent direction: fall back to steepest descent
                direction = projected.map { -$0 }
                steps.removeAll()
                changes.removeAll()
            }
            var stepLength = 1.0
            var accepted: (x: [Double], value: Double, gradient: [Double])?
            while evaluations < maxEvaluations, stepLength > 1e-10 {
                let candidate = project((0..<n).map { x[$0] + stepLength * direction[$0] })
                evaluations += 1
                if let trial = function(candidate) {
                    let decrease = dot(current.gradient, (0..<n).map { candidate[$0] - x[$0] })
                    if trial.value <= current.value + 1e-4 * decrease { accepted = (candidate, trial.value, trial.gradient); break }
                }
                stepLength *= 0.5
            }
            guard let accepted else { break }
            let s = (0..<n).map { accepted.x[$0] - x[$0] }, y = (0..<n).map { accepted.gradient[$0] - current.gradient[$0] }
            if dot(s, y) > 1e-12 {
                steps.append(s)
                changes.append(y)
                if steps.count > memory {
                    steps.removeFirst()
                    changes.removeFirst()
                }
            }
            let improvement = current.value - accepted.value
            (x, current) = (accepted.x, (accepted.value, accepted.gradient))
            if improvement < 1e-9 * max(1, abs(current.value)) { break }
        }
        return (x, current.value)
    }
}
