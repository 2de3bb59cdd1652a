import ExperimentModel
import Foundation
import NumericKernels
@testable import SuggestionAlgorithms
import Testing

@Suite struct SobolTests {
    /// Every dimension's generator matrix is non-singular: the first 2^m points put exactly one point in each interval
    /// of width 2^−m, in every dimension, scrambled or not.
    @Test(arguments: [0, 7, 12345] as [UInt64])
    func everyDimensionStratifiesItsFirstPowerOfTwoPoints(seed: UInt64) {
        let sequence = SobolSequence(dimensions: SobolSequence.maxDimensions, seed: seed)
        let points = (0..<64).map { sequence.point(UInt64($0)) }
        for dimension in 0..<SobolSequence.maxDimensions {
            let cells = Set(points.map { Int($0[dimension] * 64) })
            #expect(cells.count == 64, "dimension \(dimension) leaves a cell empty")
        }
    }

    /// Dimensions 0 and 1 form a (0, m, 2)-net: every elementary box of area 2^−m holds exactly one of 2^m points.
    @Test func theFirstTwoDimensionsAreAZeroNet() {
        let sequence = SobolSequence(dimensions: 2, seed: 99)
        let points = (0..<32).map { sequence.point(UInt64($0)) }
        for a in 0...5 {
            let boxes = Set(points.map { Int($0[0] * Double(1 << a)) * 64 + Int($0[1] * Double(1 << (5 - a))) })
            #expect(boxes.count == 32, "boxes of 2^-\(a) × 2^-\(5 - a)")
        }
    }

    /// A lower centred L2 discrepancy than random points, on average over seeds (Hickernell's formula).
    @Test func lowerDiscrepancyThanRandomPoints() {
        func discrepancy(_ points: [[Double]]) -> Double {
            let n = Double(points.count), d = points[0].count
            var first = 0.0, second = 0.0
            for x in points {
                var product = 1.0
                for u in x { product *= 1 + 0.5 * abs(u - 0.5) - 0.5 * (u - 0.5) * (u - 0.5) }
                first += product
                for y in points {
                    var pair = 1.0
                    for k in 0..<d {
                        pair *= 1 + 0.5 * abs(x[k] - 0.5) + 0.5 * abs(y[k] - 0.5) - 0.5 * abs(x[k] - y[k])
                    }
                    second += pair
                }
            }
            return pow(13.0 / 12, Double(d)) - 2 / n * first + second / (n * n)
        }
        var sobol = 0.0, random = 0.0
        for seed: UInt64 in 1...5 {
            let sequence = SobolSequence(dimensions: 6, seed: seed)
            sobol += discrepancy((0..<128).map { sequence.point(UInt64($0)) })
            var rng = Xoshiro256(seed: seed)
            random += discrepancy((0..<128).map { _ in (0..<6).map { _ in rng.nextUnit() } })
        }
        #expect(sobol < random / 2, "sobol \(sobol / 5) vs random \(random / 5)")
    }

    @Test func pointsContinueTheSequenceAcrossCalls() throws {
        let experiment = try Experiment(
            name: "e", objective: Objective(type: .minimize, objectiveMetricName: "loss"),
            algorithm: AlgorithmSpec(algorithmName: "sobol", algorithmSettings: [AlgorithmSetting(name: "random_state", value: "3")]),
            parameters: [
                ParameterSpec(name: "x", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0", max: "1")),
                ParameterSpec(name: "n", parameterType: .int, feasibleSpace: FeasibleSpace(min: "1", max: "4")),
                ParameterSpec(name: "c", parameterType: .categorical, feasibleSpace: FeasibleSpace(list: ["a", "b", "c"])),
            ], parallelTrialCount: 1)
        let algorithm = try SuggestionService.makeAlgorithm(for: experiment)
        func ask(_ count: Int, after issued: Int) -> [[ParameterValue]] {
            algorithm.suggest(SuggestionContext(
                searchSpace: experiment.searchSpace, objective: experiment.objective, trials: [], count: count,
                issuedBefore: issued, seed: 3))
        }
        let all = ask(16, after: 0)
        #expect(Array(all[5..<9]) == ask(4, after: 5))
        // 16 points over 4 integers and 3 categories: every integer 4 times, every category 5 or 6 times.
        let integers = all.map { if case .int(let v) = $0[1] { v } else { -1 } }
        #expect((1...4).allSatisfy { v in integers.filter { $0 == v }.count == 4 })
        let categories = all.map { if case .choice(let k) = $0[2] { k } else { -1 } }
        #expect((0..<3).allSatisfy { k in (5...6).contains(categories.filter { $0 == k }.count) })
    }

    @Test func tooManyParametersAreRefusedBeforeAnythingIsComputed() throws {
        let specs = (0...SobolSequence.maxDimensions).map {
            ParameterSpec(name: "p\($0)", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0", max: "1"))
        }
        let experiment = try Experiment(
            name: "e", objective: Objective(type: .minimize, objectiveMetricName: "loss"),
            algorithm: AlgorithmSpec(algorithmName: "sobol"), parameters: specs, parallelTrialCount: 1)
        #expect(throws: SuggestionError("sobol supports at most \(SobolSequence.maxDimensions) parameters; the experiment has \(specs.count)")) {
            try SuggestionService.makeAlgorithm(for: experiment)
        }
    }
}
