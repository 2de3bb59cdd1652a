import Foundation
import NumericKernels
import Testing

@Suite struct DriftStatisticsTests {
    /// The fixture's samples, rebuilt from SplitMix64 exactly as Tools/reference/drift_reference.py draws them.
    static func values(_ sample: DriftReference.Sample) -> [Double] {
        var random = SplitMix64(seed: sample.seed)
        let u = (0..<(3 * sample.count)).map { _ in random.nextUnit() }
        return (0..<sample.count).map { i in
            sample.smooth
                ? (u[3 * i] + u[3 * i + 1] + u[3 * i + 2]) * sample.scale + sample.shift
                : Double(Int(pow(u[3 * i], sample.scale) * Double(sample.levels))) + sample.shift
        }
    }

    /// evidently's default test per column, its value and its verdict: KS (exact p-values, ties, a current sample
    /// far larger than the reference), normed Wasserstein, chi-square (a value the reference never had), the z-test of
    /// proportions and Jensen–Shannon, on drifted and undrifted samples.
    @Test(arguments: DriftReference.cases.indices)
    func sameTestValueAndVerdictAsEvidently(index: Int) {
        let reference = DriftReference.cases[index]
        let result = DriftTests.column(
            reference: Self.values(reference.reference), current: Self.values(reference.current), categorical: reference.categorical)
        #expect(result.test == reference.test, "\(reference.name)")
        #expect(abs(result.value - reference.value) <= 1e-9 * max(abs(reference.value), 1e-6), "\(reference.name): \(result.value) vs evidently's \(reference.value)")
        #expect(result.drifted == reference.drifted, "\(reference.name)")
    }

    @Test func kolmogorovSmirnovByHand() {
        // Disjoint samples of 3 and 3: D = 1, and only the 2 of the C(6, 3) = 20 orderings that separate them reach it.
        let separated = DriftTests.kolmogorovSmirnov([1, 2, 3], [4, 5, 6])
        #expect(separated.statistic == 1)
        #expect(abs(separated.pValue - 0.1) < 1e-15)
        let same = DriftTests.kolmogorovSmirnov([1, 2, 3], [1, 2, 3])
        #expect(same.statistic == 0)
        #expect(same.pValue == 1)
        #expect(DriftTests.kolmogorovSmirnov([], [1]).pValue == 1)
        #expect(DriftTests.kolmogorovSmirnov([1, .nan, 2, 3], [4, 5, .nan, 6]) == separated, "NaNs are left out (they once looped)")
    }
}
