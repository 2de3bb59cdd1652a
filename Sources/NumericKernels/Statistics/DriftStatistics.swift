import Foundation

/// Two-sample tests for data drift, with the defaults evidently (0.7) applies to one column: which test, its value
/// and its verdict. Reference and current samples are compared as evidently's `DataDriftPreset` compares them.
public enum DriftTests {
    /// What was measured on one column.
    public struct Result: Sendable, Equatable {
        /// evidently's test name: `ks`, `wasserstein`, `chisquare`, `z`, `jensenshannon`.
        public var test: String
        /// A p-value (ks, chisquare, z) or a distance (wasserstein, jensenshannon).
        public var value: Double
        public var threshold: Double
        public var drifted: Bool
    }

    /// evidently's default test for a column: with at most 1,000 reference rows a p-value test at 0.05 (KS for
    /// numbers with more than 5 distinct values, else chi-square, or the z-test of proportions for two values);
    /// above 1,000 a distance at 0.1 (normed Wasserstein for numbers with more than 5 distinct values, else
    /// Jensen–Shannon). Missing values (NaN) are dropped first.
    public static func column(reference: [Double], current: [Double], categorical: Bool) -> Result {
        let reference = reference.filter { !$0.isNaN }, current = current.filter { !$0.isNaN }
        let distinct = Set(reference + current).count
        if reference.count <= 1000 {
            if !categorical, distinct > 5 {
                let p = kolmogorovSmirnov(reference, current).pValue
                return Result(test: "ks", value: p, threshold: 0.05, drifted: p <= 0.05)
            }
            let p = distinct > 2 ? chiSquare(reference, current) : proportionsZ(reference, current)
            return Result(test: distinct > 2 ? "chisquare" : "z", value: p, threshold: 0.05, drifted: p < 0.05)
        }
        if !categorical, distinct > 5 {
            let distance = normedWasserstein(reference, current)
            return Result(test: "wasserstein", value: distance, threshold: 0.1, drifted: distance >= 0.1)
        }
        let distance = jensenShannon(reference, current, categorical: categorical)
        return Result(test: "jensenshannon", value: distance, threshold: 0.1, drifted: distance >= 0.1)
    }

    /// The two-sided two-sample Kolmogorov–Smirnov statistic and p-value: exact (the probability that a random
    /// lattice path leaves the band, as scipy's `ks_2samp` computes it) while both samples have at most 10,000
    /// values, else the Kolmogorov limit distribution.
    /// NaNs are left out.
    public static func kolmogorovSmirnov(_ a: [Double], _ b: [Double]) -> (statistic: Double, pValue: Double) {
        let x = a.filter { !$0.isNaN }.sorted(), y = b.filter { !$0.isNaN }.sorted()
        let (n, m) = (x.count, y.count)
        guard n > 0, m > 0 else { return (0, 1) }
        // The largest |i·m − j·n| over the merged order: the statistic times n·m, an exact integer.
        var i = 0, j = 0, largest = 0
        while i < n || j < m {
            let value = min(i < n ? x[i] : .infinity, j < m ? y[j] : .infinity)
            while i < n, x[i] == value { i += 1 }
            while j < m, y[j] == value { j += 1 }
            largest = max(largest, abs(i * m - j * n))
        }
        let statistic = Double(largest) / Double(n) / Double(m)
        guard max(n, m) <= 10_000 else {
            return (statistic, min(1, max(0, kolmogorovLimitSurvival(statistic * (Double(n * m) / Double(n + m)).squareRoot()))))
        }
        guard largest > 0 else { return (statistic, 1) }
        // Probability that a uniformly random path from (0, 0) to (n, m) stays strictly inside |i·m − j·n| < largest.
        var inside = [Double](repeating: 0, count: m + 1)
        for row in 0...n {
            for column in 0...m {
                if row == 0, column == 0 { inside[0] = 1; continue }
                guard abs(row * m - column * n) < largest else { inside[column] = 0; continue }
                // Arriving from (row − 1, column) or (row, column − 1), each step drawn without replacement.
                var probability = 0.0
                if row > 0 { probability += inside[column] * Double(n - row + 1) / Double(n - row + 1 + m - column) }
                if column > 0 { probability += inside[column - 1] * Double(m - column + 1) / Double(n - row + m - column + 1) }
                inside[column] = probability
            }
        }
        return (statistic, min(1, max(0, 1 - inside[m])))
    }

    /// Q(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²), the survival function of Kolmogorov's limit distribution.
    static func kolmogorovLimitSurvival(_ lambda: Double) -> Double {
        guard lambda > 0.2 else { return 1 }
        var sum = 0.0
        for k in 1...100 {
            let term = exp(-2 * Double(k * k) * lambda * lambda)
            sum += (k % 2 == 1 ? 2 : -2) * term
            if term < 1e-17 { break }
        }
        return sum
    }

    /// First Wasserstein distance between the empirical distributions, divided by the reference's standard
    /// deviation (population; at least 0.001).
    public static func normedWasserstein(_ reference: [Double], _ current: [Double]) -> Double {
        let x = reference.sorted(), y = current.sorted()
        guard !x.isEmpty, !y.isEmpty else { return 0 }
        let all = (x + y).sorted()
        var distance = 0.0, i = 0, j = 0
        for index in 0..<(all.count - 1) {
            while i < x.count, x[i] <= all[index] { i += 1 }
            while j < y.count, y[j] <= all[index] { j += 1 }
            distance += abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)) * (all[index + 1] - all[index])
        }
        let mean = reference.reduce(0, +) / Double(reference.count)
        let deviation = (reference.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(reference.count)).squareRoot()
        return distance / max(deviation, 0.001)
    }

    /// Pearson's chi-square p-value of the current counts against the reference's proportions (over the values
    /// either sample has; a value the reference never had makes the statistic infinite, p = 0).
    public static func chiSquare(_ reference: [Double], _ current: [Double]) -> Double {
        let keys = Set(reference + current).sorted()
        let expectedCounts = counts(reference, keys), observed = counts(current, keys)
        let scale = Double(current.count) / Double(reference.count)
        var statistic = 0.0
        for (expectedCount, count) in zip(expectedCounts, observed) {
            let expected = expectedCount * scale
            statistic += expected > 0 ? (count - expected) * (count - expected) / expected : (count > 0 ? .infinity : 0)
        }
        guard keys.count > 1 else { return 1 }
        return statistic.isFinite ? upperRegularizedGamma(Double(keys.count - 1) / 2, statistic / 2) : 0
    }

    /// The two-sided z-test of two proportions (of the larger of two values; p = 1 when both samples hold the
    /// same single value).
    public static func proportionsZ(_ reference: [Double], _ current: [Double]) -> Double {
        let keys = Set(reference + current).sorted()
        guard keys.count > 1 else { return 1 }
        let p1 = Double(reference.count { $0 != keys[0] }) / Double(reference.count)
        let p2 = Double(current.count { $0 != keys[0] }) / Double(current.count)
        let (n1, n2) = (Double(reference.count), Double(current.count))
        let pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        let z = (p1 - p2) / (pooled * (1 - pooled) * (1 / n1 + 1 / n2)).squareRoot()
        // A NaN statistic is no evidence of drift (evidently's verdict too).
        return z.isFinite ? erfc(abs(z) / 2.squareRoot()) : 1
    }

    /// Jensen–Shannon distance (natural logarithm) between the samples' distributions: over the values either sample
    /// has, or, for a numeric column whose reference has more than 20 distinct values, over Sturges' equal-width bins
    /// of both samples together (numpy's `histogram_bin_edges(…, "sturges")`).
    public static func jensenShannon(_ reference: [Double], _ current: [Double], categorical: Bool) -> Double {
        let p: [Double], q: [Double]
        if !categorical, Set(reference).count > 20 {
            let all = reference + current
            let low = all.min()!, high = all.max()!
            let bins = Int((log2(Double(all.count))).rounded(.up)) + 1
            func histogram(_ values: [Double]) -> [Double] {
                var counts = [Double](repeating: 0, count: bins)
                for value in values {
                    let position = high > low ? (value - low) / (high - low) * Double(bins) : 0
                    counts[min(bins - 1, max(0, Int(position)))] += 1
                }
                return counts.map { $0 / Double(values.count) }
            }
            (p, q) = (histogram(reference), histogram(current))
        } else {
            let keys = Set(reference + current).sorted()
            (p, q) = (counts(reference, keys).map { $0 / Double(reference.count) }, counts(current, keys).map { $0 / Double(current.count) })
        }
        let (sp, sq) = (p.reduce(0, +), q.reduce(0, +))
        var divergence = 0.0
        for (a, b) in zip(p, q) {
            let (x, y) = (a / sp, b / sq)
            let middle = (x + y) / 2
            if x > 0 { divergence += x * log(x / middle) }
            if y > 0 { divergence += y * log(y / middle) }
        }
        return max(0, divergence / 2).squareRoot()
    }

    private static func counts(_ values: [Double], _ keys: [Double]) -> [Double] {
        let index = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
        var counts = [Double](repeating: 0, count: keys.count)
        for value in values { counts[index[value]!] += 1 }
        return counts
    }

    /// Q(s, x) = Γ(s, x) / Γ(s): a series below s + 1, Lentz's continued fraction above.
    static func upperRegularizedGamma(_ s: Double, _ x: Double) -> Double {
        guard x > 0 else { return 1 }
        let logPrefix = s * log(x) - x - lgamma(s)
        if x < s + 1 {
            var term = 1 / s, sum = term, a = s
            for _ in 0..<10_000 {
                a += 1
                term *= x / a
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return max(0, 1 - sum * exp(logPrefix))
        }
        let tiny = 1e-300
        var b = x + 1 - s, c = 1 / tiny, d = 1 / b, fraction = d
        for step in 1..<10_000 {
            let an = -Double(step) * (Double(step) - s)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            fraction *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return min(1, exp(logPrefix) * fraction)
    }
}
