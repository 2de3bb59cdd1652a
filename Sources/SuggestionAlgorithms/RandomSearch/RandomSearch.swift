public import ExperimentModel
import NumericKernels

/// Random search (`random`): independent draws from each parameter's declared distribution.
///
/// Deviations from Katib's hyperopt service: integers are uniform over `min + k·step` (hyperopt gives the ends half
/// weight and rounds steps from 0), NORMAL/LOG_NORMAL are truncated to [min, max], and a point already in the history
/// or the batch is redrawn while unvisited points remain (Katib issues #842, #1566).
/// Assignment `i` of a call draws from the stream `(seed, issuedBefore + i)`, so a repeated request gets the same reply.
public struct RandomSearch: SuggestionAlgorithm {
    public static let algorithmName = "random"
    public static let cost = SuggestionCost.cheap

    public init(experiment: Experiment) throws(SuggestionError) {
        let settings = try AlgorithmSettings(experiment.algorithm, allowed: ["random_state"])
        _ = try settings.randomState()
    }

    public func suggest(_ context: SuggestionContext) -> [[ParameterValue]] {
        context.distinctPoints(purpose: "random") { _, rng in context.randomPoint(using: &rng) }
    }
}

/// Draws a point not yet taken: by rejection first, then (finite spaces up to `enumerationLimit` points) uniformly
/// among the untaken points, listed by one pass over the grid the first time a batch needs them and kept for the rest
/// of the batch (`freeIndices`), so a nearly exhausted space costs one enumeration per call, not one per point.
enum DistinctDraw {
    static let attempts = 64
    static let enumerationLimit = 1 << 20

    static func draw(
        in space: SearchSpace, avoiding taken: Set<[ParameterValue]>, freeIndices: inout [Int]?, rng: inout Xoshiro256,
        sampler: (inout Xoshiro256) -> [ParameterValue]
    ) -> [ParameterValue] {
        var candidate = sampler(&rng)
        for _ in 1..<attempts where taken.contains(candidate) {
            candidate = sampler(&rng)
        }
        guard taken.contains(candidate), let size = space.finiteSize, size <= enumerationLimit else { return candidate }
        let grid = GridEnumeration(space: space)
        if freeIndices == nil { freeIndices = (0..<grid.size).filter { !taken.contains(grid.point(at: $0)) } }
        // Points taken since the list was made (earlier points of this batch) are dropped as they are met.
        while let count = freeIndices?.count, count > 0 {
            let pick = rng.nextIndex(below: count)
            let point = grid.point(at: freeIndices![pick])
            freeIndices!.swapAt(pick, count - 1)
            freeIndices!.removeLast()
            if !taken.contains(point) { return point }
        }
        return candidate
    }
}
