import Foundation
import NumericKernels

/// One tree's gradients and hessians rounded to small integers (LightGBM 4's `use_quantized_grad`; Shi et al.,
/// "Quantized Training of Gradient Boosting Decision Trees", NeurIPS 2022), packed one integer per row: the integer
/// gradient times 2³² plus the integer hessian (1 when hessians are constant) in `wide`, times 2¹⁶ in `narrow`.
struct QuantizedGradients: Sendable {
    /// Indexed by row; rows outside the tree's rows are never read.
    let wide: [Int64]
    let narrow: [Int32]
    /// `num_grad_quant_bins`: no row's integer gradient or hessian exceeds it.
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

    /// The most rows × bins: integer sums of a bin must fit the 32 bits of their half of a packed cell.
    static let maxRowBins = 1 << 31

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
        func packedArray<Cell: FixedWidthInteger>(of: Cell.Type) -> [Cell] {
            [Cell](unsafeUninitializedCapacity: gradients.count) { buffer, count in
                // Rows outside the tree's rows are never read; zeroed only so that no array holds undefined values.
                if rows.count < gradients.count { buffer.initialize(repeating: 0) }
                count = gradients.count
            }
        }
        var wide = packedArray(of: Int64.self), narrow = packedArray(of: Int32.self)
        let n = gradientDraws.count
        var offsetRandom = Xoshiro256(seed: seed, stream: StreamDerivation.code("quantized-offset"), UInt64(tree))
        let start = stochasticRounding && n > 0 ? offsetRandom.nextIndex(below: n) : 0
        let varying = constantHessian == nil
        var scales = (gradient: 1.0, hessian: 1.0)
        rows.withUnsafeBufferPointer { rowBuffer in
            gradients.withUnsafeBufferPointer { g in
                hessians.withUnsafeBufferPointer { h in
                    let rowList = UnsafeSendable(rowBuffer.baseAddress!), gradient = UnsafeSendable(g.baseAddress!)
                    let hessian = UnsafeSendable(h.baseAddress!)
                    blockMaxima.withUnsafeMutableBufferPointer { maxima in
                        let output = UnsafeSendable(maxima.baseAddress!)
                        settings.parallel(blocks) { block in
                            var maxGradient = 0.0, maxHessian = 0.0
                            for k in range(block) {
                                let row = Int(rowList.value[k])
                                maxGradient = max(maxGradient, abs(gradient.value[row]))
                                if varying { maxHessian = max(maxHessian, hessian.value[row]) }
                            }
                            output.value[block] = (maxGradient, maxHessian)
                        }
                    }
                    let maxGradient = blockMaxima.map(\.gradient).max() ?? 0, maxHessian = blockMaxima.map(\.hessian).max() ?? 0
                    scales.gradient = maxGradient > 0 ? maxGradient / Double(bins / 2) : 1
                    scales.hessian = constantHessian ?? (maxHessian > 0 ? maxHessian / Double(bins) : 1)
                    let inverseGradient = 1 / scales.gradient, inverseHessian = 1 / scales.hessian
                    let stochastic = stochasticRounding
                    gradientDraws.withUnsafeBufferPointer { gd in
                        hessianDraws.withUnsafeBufferPointer { hd in
                            wide.withUnsafeMutableBufferPointer { w in
                            narrow.withUnsafeMutableBufferPointer { r in
                                let gradientDraw = UnsafeSendable(gd.baseAddress), hessianDraw = UnsafeSendable(hd.baseAddress)
                                let wideOutput = UnsafeSendable(w.baseAddress!), narrowOutput = UnsafeSendable(r.baseAddress!)
                                settings.parallel(blocks) { block in
                                    for k in range(block) {
                                        let row = Int(rowList.value[k])
                                        var drawG = 0.5, drawH = 0.5
                                        if stochastic {
                                            let position = row + start < n ? row + start : row + start - n
                                            drawG = Double(gradientDraw.value![position])
                                            drawH = Double(hessianDraw.value![position])
                                        }
                                        let scaled = gradient.value[row] * inverseGradient
                                        // Truncation towards zero after moving away from zero by a draw in [0, 1): rounds
                                        // up in magnitude with probability equal to the fraction.
                                        let integer = Int64(scaled >= 0 ? scaled + drawG : scaled - drawG)
                                        let second = varying ? Int64(hessian.value[row] * inverseHessian + drawH) : 1
                                        wideOutput.value[row] = integer &<< 32 &+ second
                                        narrowOutput.value[row] = Int32(truncatingIfNeeded: integer &<< 16 &+ second)
                                    }
                                }
                            }
                            }
                        }
                    }
                }
            }
        }
        return QuantizedGradients(
            wide: wide, narrow: narrow, levels: bins, gradientScale: scales.gradient, hessianScale: scales.hessian)
    }
}
