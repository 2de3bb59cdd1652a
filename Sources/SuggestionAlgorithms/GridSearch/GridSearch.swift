public import ExperimentModel
import NumericKernels

/// Grid search (`grid`): every combination of the parameters' values, each visited once.
///
/// Order: the Cartesian product in declaration order (last parameter fastest); with `random_state`, a seeded
/// permutation of it (an affine map `k ↦ (a·k + c) mod n`, O(1) memory for any grid size). Every point present in the
/// history in any condition is skipped. Unlike Katib's Optuna service, an exhausted grid keeps answering by re-issuing
/// points in order, so the reply always has `currentRequestNumber` sets.
public struct GridSearch: SuggestionAlgorithm {
    public static let algorithmName = "grid"
    public static let cost = SuggestionCost.cheap

    private let randomState: UInt64?

    public init(experiment: Experiment) throws(SuggestionError) {
        let settings = try AlgorithmSettings(experiment.algorithm, allowed: ["random_state"])
        randomState = try settings.randomState()
        if let parameter = experiment.searchSpace.parameters.first(where: { $0.domain.finiteCount == nil }) {
            throw SuggestionError(
                "failed to validate parameters(\(parameter.name)): Param \(parameter.name) step is nil; For discrete search space, all parameters must include step")
        }
        guard let size = experiment.searchSpace.finiteSize else {
            throw SuggestionError("the grid has more than \(Int.max) points; coarsen the steps")
        }
        if let maxTrials = experiment.maxTrialCount, maxTrials > size {
            throw SuggestionError("Max Trial Count: \(maxTrials) > all possible search combinations: \(size)")
        }
    }

    public func suggest(_ context: SuggestionContext) -> [[ParameterValue]] {
        let grid = GridEnumeration(space: context.searchSpace)
        let order = GridOrder(size: grid.size, seed: randomState)
        var visited = Set(context.historyPoints)
        var points: [[ParameterValue]] = []
        var position = 0
        while points.count < context.count, position < grid.size {
            let point = grid.point(at: order.index(at: position))
            position += 1
            if visited.insert(point).inserted { points.append(point) }
        }
        var reissue = 0
        while points.count < context.count {
            points.append(grid.point(at: order.index(at: reissue % grid.size)))
            reissue += 1
        }
        return points
    }
}

/// The visiting order of grid indices: identity, or a seeded affine permutation.
struct GridOrder {
    let size: Int
    let multiplier: Int
    let offset: Int

    init(size: Int, seed: UInt64?) {
        self.size = size
        guard let seed, size > 1 else {
            multiplier = 1
            offset = 0
            return
        }
        var rng = Xoshiro256(seed: seed, stream: StreamDerivation.code("grid"))
        var a = 1 + rng.nextIndex(below: size - 1)
        while gcd(a, size) != 1 { a = a % (size - 1) + 1 }
        multiplier = a
        offset = rng.nextIndex(below: size)
    }

    func index(at position: Int) -> Int {
        let (product, overflow) = multiplier.multipliedReportingOverflow(by: position)
        if !overflow { return (product % size + offset) % size }
        return Int((UInt128(multiplier) * UInt128(position) + UInt128(offset)) % UInt128(size))
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
