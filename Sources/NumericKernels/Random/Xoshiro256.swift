/// xoshiro256** (Blackman & Vigna 2018): the project's general-purpose seeded generator.
///
/// Its output sequence is fixed by this file, so golden values do not depend on the standard library.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    /// Seeds the four state words from SplitMix64, as the authors recommend.
    public init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        s0 = seeder.next(); s1 = seeder.next(); s2 = seeder.next(); s3 = seeder.next()
    }

    /// A generator for an independent stream identified by `(seed, path…)`, e.g. `(experimentSeed, trialIndex, purpose)`.
    public init(seed: UInt64, stream path: UInt64...) {
        self.init(seed: StreamDerivation.derive(seed, path))
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }
}

/// Derives independent seeds from a master seed and a path of integers (per-purpose seeds, as in LightGBM).
public enum StreamDerivation {
    /// Mixes `path` into `seed` one component at a time; different paths give unrelated seeds.
    public static func derive(_ seed: UInt64, _ path: [UInt64]) -> UInt64 {
        var value = SplitMix64.mix(seed ^ 0x6A09_E667_F3BC_C908)
        for component in path {
            value = SplitMix64.mix(value &+ SplitMix64.mix(component &+ 0x9E37_79B9_7F4A_7C15))
        }
        return value
    }

    /// A stable 64-bit code for a purpose name (FNV-1a), for use in a derivation path.
    public static func code(_ purpose: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in purpose.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
