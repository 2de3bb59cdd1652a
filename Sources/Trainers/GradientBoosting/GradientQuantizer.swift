import Foundation
import NumericKernels

/// One tree's gradients and hessians rounded to small integers (LightGBM 4's `use_quantized_grad`; Shi et al.,
/// "Quantized Training of Gradient Boosting Decision Trees", NeurIPS 2022), packed one `Int64` per row: the integer
/// gradient times 2³² plus the integer hessian (1 when hessians are constant).
struct QuantizedGradients: Sendable {
    /// Indexed by row; rows outside the tree's rows are never read.
    let packed: [Int64]
    /// `num_grad_quant_bins`: a row's integer hessian is at most this, its integer gradient at most half of it.
    let levels: Int
    /// What one unit of integer gradient, and of integer hessian, is worth.
    let gradientScale: Double
    let hessianScale: Double
}

/// Rounds each tree's gradients to `num_grad_quant_bins` levels as LightGBM does: gradients to integers in
/// [−bins/2, bins/2] in units of max |g| / (bins/2), varying hessians to [0, bins] in units of max h / bins; rounding is
/// stochastic (unbiased: up with probability equal to the fraction) or to the nearest. The uniform draws come from a
/// table of one per row, made once from the seed and read from an offset drawn per tree, as LightGBM reuses its table.
struct GradientQuantizer: Sendable {
    let bins: Int
    let stochasticRounding: Bool
    let seed: UInt64
    private let gradientDraws: [Float]
    private let hessianDraws: [Float]

    /// The most rows × bins: a bin's integer gradient sum (at most rows × bins / 2 in magnitude) must fit the signed
    /// 32-bit half of a packed cell, its hessian sum (at most rows × bins) the unsigned one.
    static let maxRowBins = 1 << 32

    init(bins: Int, stochasticRounding: Bool, seed: UInt64, rowCount: Int) {
        self.bins = bins
        self.stochasticRounding = stochasticRounding
        self.seed = seed
        func draws(_ purpose: String) -> [Float] {
            guard stochasticRounding else { return [] }
            var rng = Xoshiro256(seed: seed, stream: StreamDerivation.code(purpose))
            return (0..<rowCount).map { _ in Float(rng.next() >> 40) * 0x1p-24 }
        }
        gradientDraws = draws("quantized-gradient")
        hessianDraws = draws("quantized-hessian")
    }

    /// The quantized gradients of `rows` for tree number `tree` (its draws' offset); `constantHessian` marks hessians
    /// that all equal one constant, which become 1 each (their sums are row counts). Blocks of rows run on `settings`'
    /// threads; each row's value depends only on the row, so the result does not depend on the threads.
    func quantize(
        gradients: [Double], hessians: [Double], rows: [Int32], constantHessian: Double?, tree: Int, settings: TreeSettings
    ) -> QuantizedGradients {
        let blocks = max(1, min(settings.threads, rows.count / 16_384))
        let rowCount = rows.count
        @Sendable func range(_ block: Int) -> Range<Int> { (rowCount * block / blocks)..<(rowCount * (block + 1) / blocks) }
        var blockMaxima = [(gradient: Double, hessian: Double)](repeating: (0, 0), count: blocks)
        var packed = [Int64](unsafeUninitializedCapacity: gradients.count) { buffer, count in
            // Rows outside the tree's rows are never read; zeroed only so that no array holds undefined values.
            if rows.count < gradients.count { buffer.initialize(repeating: 0) }
            count = gradients.count
        }
        let n = gradientDraws.count
        var offsetRandom = Xoshiro256(seed: seed, stream: StreamDerivation.code("quantized-offset"), UInt64(tree))
        let start = stochasticRounding && n > 0 ? offsetRandom.nextIndex(below: n) : 0
        let varying = constantHessian == nil, stochastic = stochasticRounding
        var scales = (gradient: 1.0, hessian: 1.0)
        rows.withUnsafeBufferPointer { rowBuffer in
            gradients.withUnsafeBufferPointer { g in
                hessians.withUnsafeBufferPointer { h in
                    let rowList = UnsafeSendable(rowBuffer.baseAddress!), gradient = UnsafeSendable(g.baseAddress!)
                    let hessian = UnsafeSendable(h.baseAddress!)
                    blockMaxima.withUnsafeMutableBufferPointer { maxima in
                        let output = UnsafeSendable(maxima.baseAddress!)
                        settings.parallel(blocks) { block in
                            output.value[block] = (
                                Self.largest(gradient.value, rows: rowList.value, range(block), magnitude: true),
                                varying ? Self.largest(hessian.value, rows: rowList.value, range(block), magnitude: false) : 0)
                        }
                    }
                    let maxGradient = blockMaxima.map(\.gradient).max() ?? 0, maxHessian = blockMaxima.map(\.hessian).max() ?? 0
                    scales.gradient = maxGradient > 0 ? maxGradient / Double(bins / 2) : 1
                    scales.hessian = constantHessian ?? (maxHessian > 0 ? maxHessian / Double(bins) : 1)
                    let rounding = Rounding(
                        gradients: gradient.value, hessians: varying ? hessian.value : nil, inverseGradient: 1 / scales.gradient,
                        inverseHessian: 1 / scales.hessian, levels: bins)
                    gradientDraws.withUnsafeBufferPointer { gd in
                        hessianDraws.withUnsafeBufferPointer { hd in
                            packed.withUnsafeMutableBufferPointer { p in
                                let draws = UnsafeSendable((gd.baseAddress, hd.baseAddress)), output = UnsafeSendable(p.baseAddress!)
                                settings.parallel(blocks) { block in
                                    let (gradientDraws, hessianDraws) = draws.value
                                    for k in range(block) {
                                        let row = Int(rowList.value[k])
                                        guard stochastic, let gradientDraws, let hessianDraws else {
                                            output.value[row] = rounding.packed(row, gradientDraw: 0.5, hessianDraw: 0.5)
                                            continue
                                        }
                                        let position = row + start < n ? row + start : row + start - n
                                        output.value[row] = rounding.packed(
                                            row, gradientDraw: Double(gradientDraws[position]), hessianDraw: Double(hessianDraws[position]))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return QuantizedGradients(packed: packed, levels: bins, gradientScale: scales.gradient, hessianScale: scales.hessian)
    }

    /// One tree's rounding of a row: its gradient and hessian in levels, packed.
    private struct Rounding: @unchecked Sendable {
        let gradients: UnsafePointer<Double>
        /// Nil when hessians are constant (each counts 1).
        let hessians: UnsafePointer<Double>?
        let inverseGradient: Double
        let inverseHessian: Double
        let levels: Int

        /// Truncation towards zero after moving away from zero by a draw in [0, 1) rounds up in magnitude with
        /// probability equal to the fraction (a draw of ½ rounds to the nearest). Clamped to the levels, NaN to 0: a
        /// gradient that overflowed (an infinite or NaN score, a scale beyond Double's range) gives a useless tree, as
        /// without quantization, not a trap.
        @inline(__always) func packed(_ row: Int, gradientDraw: Double, hessianDraw: Double) -> Int64 {
            let scaled = gradients[row] * inverseGradient, limit = Double(levels / 2)
            let rounded = scaled >= 0 ? scaled + gradientDraw : scaled - gradientDraw
            let gradient = rounded.isNaN ? 0 : Int64(max(-limit, min(limit, rounded)))
            guard let hessians else { return gradient &<< 32 &+ 1 }
            let level = hessians[row] * inverseHessian + hessianDraw
            return gradient &<< 32 &+ (level.isNaN ? 0 : Int64(max(0, min(Double(levels), level))))
        }
    }

    /// The largest value (or magnitude) of `rows[range]`, in four independent running maxima (one chain waits on
    /// each comparison).
    private static func largest(_ values: UnsafePointer<Double>, rows: UnsafePointer<Int32>, _ range: Range<Int>, magnitude: Bool) -> Double {
        var m0 = 0.0, m1 = 0.0, m2 = 0.0, m3 = 0.0
        var k = range.lowerBound
        @inline(__always) func value(_ k: Int) -> Double { magnitude ? abs(values[Int(rows[k])]) : values[Int(rows[k])] }
        while k + 4 <= range.upperBound {
            m0 = max(m0, value(k)); m1 = max(m1, value(k + 1)); m2 = max(m2, value(k + 2)); m3 = max(m3, value(k + 3))
            k += 4
        }
        while k < range.upperBound {
            m0 = max(m0, value(k))
            k += 1
        }
        return max(max(m0, m1), max(m2, m3))
    }
}
