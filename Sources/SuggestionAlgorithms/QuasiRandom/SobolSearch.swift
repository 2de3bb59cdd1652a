public import ExperimentModel
import NumericKernels

/// Quasi-random search (`sobol`): a scrambled Sobol' sequence (Sobol' 1967; Bratley & Fox 1988), one dimension per
/// parameter.
///
/// Assignment `i` of a call is point `issuedBefore + i` of the sequence (Katib's `totalRequestNumber −
/// currentRequestNumber` counts the points handed out before, including trials not yet in the history), so the
/// points of a whole experiment are one low-discrepancy sequence however they are requested. Each coordinate gets a
/// nested uniform (Owen) scrambling derived from the seed — every bit flipped by a hash of the seed, the dimension and
/// the bits above it — which keeps the net structure and removes the unscrambled sequence's alignment (its first point
/// is not the corner). Coordinates map onto a parameter through `EncodedParameter.value(atUniform:)`: log scale for
/// log distributions (a log grid's values get their cells' shares), equal shares for every linear grid value and
/// list entry; normal distributions are covered uniformly over [min, max] (goptuna, which serves `sobol` in Katib,
/// ignores the distribution too). A point already in the history is replaced by a distinct random draw.
public struct SobolSearch: SuggestionAlgorithm {
    public static let algorithmName = "sobol"
    public static let cost = SuggestionCost.cheap

    public init(experiment: Experiment) throws(SuggestionError) {
        let settings = try AlgorithmSettings(experiment.algorithm, allowed: ["random_state"])
        _ = try settings.randomState()
        guard experiment.searchSpace.parameters.count <= SobolSequence.maxDimensions else {
            throw SuggestionError(
                "sobol supports at most \(SobolSequence.maxDimensions) parameters; the experiment has \(experiment.searchSpace.parameters.count)")
        }
    }

    public func suggest(_ context: SuggestionContext) -> [[ParameterValue]] {
        let encoding = ParameterEncoding(context.searchSpace)
        let sequence = SobolSequence(dimensions: encoding.parameters.count, seed: context.seed)
        return context.distinctPoints(purpose: "sobol") { batch, _ in
            let u = sequence.point(UInt64(context.issuedBefore + batch.count))
            return zip(encoding.parameters, u).map { $0.value(atUniform: $1) }
        }
    }
}

/// Points of an Owen-scrambled Sobol' sequence in [0, 1)^d, computed from their index (no state).
struct SobolSequence {
    static let maxDimensions = sobolDirectionTable.count
    static let bits = 32

    /// Direction numbers v_1…v_32 of each dimension.
    let directions: [[UInt32]]
    let seed: UInt64

    init(dimensions: Int, seed: UInt64) {
        self.seed = seed
        directions = sobolDirectionTable.prefix(dimensions).map(Self.directionNumbers)
    }

    /// v_k = m_k · 2^(32−k), with m_k from the initial values and the recurrence of the primitive polynomial.
    static func directionNumbers(_ entry: (degree: Int, polynomial: UInt32, initial: [UInt32])) -> [UInt32] {
        guard entry.degree > 0 else { return (1...bits).map { UInt32(1) << (bits - $0) } }
        let s = entry.degree
        var m = entry.initial
        for k in s..<bits {
            var value = m[k - s] ^ (m[k - s] << s)
            for i in 1..<s where (entry.polynomial >> (s - i)) & 1 == 1 { value ^= m[k - i] << i }
            m.append(value)
        }
        return (0..<bits).map { m[$0] << (bits - 1 - $0) }
    }

    /// Point `index` (taken modulo 2^32).
    func point(_ index: UInt64) -> [Double] {
        let n = UInt32(truncatingIfNeeded: index)
        return directions.enumerated().map { dimension, v in
            var x: UInt32 = 0
            var rest = n, k = 0
            while rest != 0 {
                if rest & 1 == 1 { x ^= v[k] }
                rest >>= 1
                k += 1
            }
            return (Double(scramble(x, dimension: dimension)) + 0.5) / 4_294_967_296
        }
    }

    /// Nested uniform scrambling: bit b (from the top) is flipped by a hash of the seed, the dimension, b and the
    /// original bits above b, so points sharing a prefix are permuted alike.
    func scramble(_ x: UInt32, dimension: Int) -> UInt32 {
        let base = SplitMix64.mix(seed ^ SplitMix64.mix(UInt64(dimension) &+ 0x5B0B_0150))
        var result: UInt32 = 0
        for bit in 0..<Self.bits {
            let prefix = bit == 0 ? 0 : UInt64(x >> UInt32(Self.bits - bit))
            let flip = UInt32(truncatingIfNeeded: SplitMix64.mix(base ^ (UInt64(bit) << 56) ^ prefix)) & 1
            result |= (((x >> UInt32(Self.bits - 1 - bit)) & 1) ^ flip) << UInt32(Self.bits - 1 - bit)
        }
        return result
    }
}
