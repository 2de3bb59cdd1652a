import Foundation
import NumericKernels
import Testing
@testable import Trainers

/// Quantized training (`use_quantized_grad`): integer gradients, packed integer histograms, LightGBM's parameters.
@Suite struct QuantizedTrainingTests {
    static func settings(threads: Int = 2, constantHessian: Double? = nil) -> TreeSettings {
        TreeSettings(
            numLeaves: 31, maxDepth: -1, minDataInLeaf: 20, minSumHessianInLeaf: 1e-3, minGainToSplit: 0, lambdaL1: 0,
            lambdaL2: 0, threads: threads, constantHessian: constantHessian)
    }

    static func gradients(_ n: Int, seed: UInt64) -> (gradients: [Double], hessians: [Double]) {
        var rng = Xoshiro256(seed: seed)
        return ((0..<n).map { _ in rng.nextStandardNormal() }, (0..<n).map { _ in 0.05 + rng.nextUnit() })
    }

    static func unpack(_ cell: Int64) -> (gradient: Int64, hessian: Int64) { (cell >> 32, cell & 0xFFFF_FFFF) }

    @Test(arguments: [2, 4, 16, 127])
    func integersStayWithinTheLevels(levels: Int) throws {
        let (g, h) = Self.gradients(5_000, seed: 1)
        let rows = (0..<5_000).map { Int32($0) }
        for stochastic in [true, false] {
            let quantizer = GradientQuantizer(bins: levels, stochasticRounding: stochastic, seed: 3, rowCount: g.count)
            let q = quantizer.quantize(gradients: g, hessians: h, rows: rows, constantHessian: nil, tree: 0, settings: Self.settings())
            #expect(q.gradientScale == g.map(abs).max()! / Double(levels / 2))
            #expect(q.hessianScale == h.max()! / Double(levels))
            for row in 0..<g.count {
                let (gradient, hessian) = Self.unpack(q.packed[row])
                #expect(abs(gradient) <= Int64(levels / 2))
                #expect((0...Int64(levels)).contains(hessian))
                let exact = g[row] / q.gradientScale
                if stochastic {
                    #expect(abs(Double(gradient) - exact) < 1)
                } else {
                    #expect(abs(Double(gradient) - exact) <= 0.5 + 1e-9)
                }
            }
        }
    }

    /// Stochastic rounding is unbiased: rows with the same gradient, 0.3 of a level, average 0.3 of a level.
    @Test func stochasticRoundingIsUnbiased() {
        let n = 40_000
        var g = [Double](repeating: 0.3, count: n)
        g[0] = 2 // the largest gradient: one level is 1 with 4 levels
        let quantizer = GradientQuantizer(bins: 4, stochasticRounding: true, seed: 11, rowCount: n)
        let q = quantizer.quantize(
            gradients: g, hessians: [Double](repeating: 1, count: n), rows: (0..<n).map { Int32($0) }, constantHessian: 1, tree: 5,
            settings: Self.settings())
        #expect(q.gradientScale == 1)
        let ones = (1..<n).filter { Self.unpack(q.packed[$0]).gradient == 1 }.count
        #expect(abs(Double(ones) / Double(n - 1) - 0.3) < 0.01)
        // Constant hessians are counted.
        #expect((0..<n).allSatisfy { Self.unpack(q.packed[$0]).hessian == 1 })
        // Each tree reads the draws from its own offset; the same tree, the same draws.
        let again = quantizer.quantize(
            gradients: g, hessians: [Double](repeating: 1, count: n), rows: (0..<n).map { Int32($0) }, constantHessian: 1, tree: 5,
            settings: Self.settings(threads: 1))
        #expect(again.packed == q.packed)
        let next = quantizer.quantize(
            gradients: g, hessians: [Double](repeating: 1, count: n), rows: (0..<n).map { Int32($0) }, constantHessian: 1, tree: 6,
            settings: Self.settings())
        #expect(next.packed != q.packed)
    }

    /// Packed sums are exact: wide and narrow histograms of the same rows read the same, and a parent minus its smaller
    /// child (narrow) equals the larger child built directly, bin by bin.
    @Test func packedHistogramsSubtractExactly() throws {
        let n = 30_000
        let data = BinnedDataset(GBDTTests.data(rows: n, seed: 2), maxBin: 63)
        let learner = TreeLearner(data: data, settings: Self.settings())
        let (g, h) = Self.gradients(n, seed: 4)
        let all = (0..<n).map { Int32($0) }
        let q = GradientQuantizer(bins: 4, stochasticRounding: true, seed: 1, rowCount: n)
            .quantize(gradients: g, hessians: h, rows: all, constantHessian: nil, tree: 0, settings: learner.settings)
        let small = all.filter { $0 % 9 == 0 }, large = all.filter { $0 % 9 != 0 }
        let features = [0, 1, 2]
        var derived = learner.buildHistogram(all[...], q, features)
        let smallHistogram = learner.buildHistogram(small[...], q, features)
        guard case .wide = derived, case .narrow = smallHistogram else {
            Issue.record("a leaf of \(small.count) rows × 4 levels has narrow cells, \(n) rows wide ones")
            return
        }
        derived.subtract(smallHistogram)
        let direct = learner.buildHistogram(large[...], q, features)
        guard case .wide(let derivedSums) = derived, case .wide(let directSums) = direct else {
            Issue.record("the larger child's histograms are wide")
            return
        }
        #expect(derivedSums.cells == directSums.cells)
        // Narrow cells hold each bin's integer sums, as summed here row by row from the wide packing.
        let narrowRows = all.filter { $0 % 50 == 0 }
        guard case .narrow(let narrow) = learner.buildHistogram(narrowRows[...], q, features) else {
            Issue.record("\(narrowRows.count) rows have narrow cells")
            return
        }
        var expected = [(gradient: Int64, hessian: Int64)](repeating: (0, 0), count: narrow.cells.count)
        for feature in features {
            for row in narrowRows.map(Int.init) {
                let bin = data.histogramOffsets[feature] + Int(data.columnBins[feature * n + row])
                let (gradient, hessian) = Self.unpack(q.packed[row])
                expected[bin].gradient += gradient
                expected[bin].hessian += hessian
            }
        }
        #expect(narrow.cells.indices.allSatisfy {
            Int64(narrow.cells[$0] >> 16) == expected[$0].gradient && Int64(narrow.cells[$0] & 0xFFFF) == expected[$0].hessian
        })
    }

    @Test func sameSeedSameModelOnAnyNumberOfThreads() throws {
        let data = GBDTTests.data(rows: 40_000, seed: 4)
        let settings = [("num_iterations", "10"), ("use_quantized_grad", "true"), ("bagging_fraction", "0.7"), ("bagging_freq", "1"), ("seed", "9")]
        let two = try GBDTTests.fit(data, settings + [("num_threads", "2")])
        #expect(try GBDTTests.fit(data, settings + [("num_threads", "1")]).trees == two.trees)
        #expect(try GBDTTests.fit(data, settings + [("num_threads", "3")]).trees == two.trees)
        // Without bagging only the rounding draws depend on the seed.
        let unbagged = [("num_iterations", "10"), ("use_quantized_grad", "true")]
        #expect(try GBDTTests.fit(data, unbagged + [("seed", "1")]).trees != GBDTTests.fit(data, unbagged + [("seed", "2")]).trees)
    }

    /// Wide data on two threads: histograms, split search over runs of features and quantization run on the pool, and
    /// the trees equal one thread's, with and without quantization.
    @Test func wideDataGrowsTheSameTreesOnTwoThreads() throws {
        let n = 40_000
        var rng = Xoshiro256(seed: 12)
        let columns = (0..<12).map { _ in (0..<n).map { _ in rng.nextUnit() } }
        let target = (0..<n).map { row in columns[0][row] * 3 + sin(6 * columns[1][row]) + columns[7][row] * columns[11][row] + 0.1 * rng.nextStandardNormal() }
        let data = Dataset(featureNames: (0..<12).map { "x\($0)" }, columns: columns, target: target)
        for quantized in ["false", "true"] {
            let settings = [("num_iterations", "5"), ("use_quantized_grad", quantized), ("num_leaves", "63")]
            #expect(try GBDTTests.fit(data, settings + [("num_threads", "2")]).trees == GBDTTests.fit(data, settings + [("num_threads", "1")]).trees)
        }
    }

    /// With LightGBM's default 4 levels the fit stays close to full precision (test RMSE, or the share of test rows
    /// misclassified: log loss rewards the confidence of many rounds on 5 % flipped labels more than the fit); with 127
    /// levels closer still.
    @Test(arguments: ["regression", "binary"])
    func accuracyStaysCloseToFullPrecision(objective: String) throws {
        let binary = objective == "binary"
        let train = binary ? GBDTClassificationTests.data(rows: 6_000, seed: 1, classes: [0, 1]) : GBDTTests.data(rows: 6_000, seed: 1)
        let test = binary ? GBDTClassificationTests.data(rows: 2_000, seed: 2, classes: [0, 1]) : GBDTTests.data(rows: 2_000, seed: 2)
        func loss(_ extra: [(String, String)]) throws -> Double {
            let model = try GBDTTests.fit(train, [("objective", objective), ("num_iterations", "100")] + extra)
            let predictions = model.predict(test.features)
            if binary { return Double(zip(predictions, test.target).filter { $0 != $1 }.count) / Double(test.rowCount) }
            return RegressionMetrics(predictions: predictions, targets: test.target).rmse
        }
        let full = try loss([])
        #expect(full < (binary ? 0.15 : 0.5), "full precision: \(full)")
        let four = try loss([("use_quantized_grad", "true")])
        let many = try loss([("use_quantized_grad", "true"), ("num_grad_quant_bins", "127")])
        let (fourSlack, manySlack) = binary ? (full + 0.01, full + 0.005) : (full * 1.05, full * 1.01)
        #expect(four < fourSlack, "4 levels: \(four) vs \(full)")
        #expect(many < manySlack, "127 levels: \(many) vs \(full)")
        #expect(try GBDTTests.fit(train, [("objective", objective), ("num_iterations", "5"), ("use_quantized_grad", "true")]).trees
            != GBDTTests.fit(train, [("objective", objective), ("num_iterations", "5")]).trees)
    }

    /// Multiclass (one quantization per class and tree) and categorical splits (category sets from packed sums) train
    /// to within a few points of the float fit.
    @Test func multiclassAndCategoricalStayCloseToFullPrecision() throws {
        let train = GBDTClassificationTests.data(rows: 6_000, seed: 3, classes: [0, 1, 2])
        let test = GBDTClassificationTests.data(rows: 2_000, seed: 4, classes: [0, 1, 2])
        func error(_ extra: [(String, String)]) throws -> Double {
            let model = try GBDTTests.fit(train, [("objective", "multiclass"), ("num_iterations", "50")] + extra)
            return Double(zip(model.predict(test.features), test.target).filter { $0 != $1 }.count) / Double(test.rowCount)
        }
        let full = try error([])
        #expect(full < 0.15)
        #expect(try error([("use_quantized_grad", "true")]) < full + 0.01)
        let categorical = CategoricalSplitTests.data(rows: 4_000, seed: 5), held = CategoricalSplitTests.data(rows: 1_000, seed: 6)
        func rmse(_ extra: [(String, String)]) throws -> Double {
            let model = try GBDTTests.fit(categorical, [("num_iterations", "50")] + extra)
            #expect(model.trees.contains { $0.categoricalSplit.contains { $0 >= 0 } })
            return RegressionMetrics(predictions: model.predict(held.features), targets: held.target).rmse
        }
        let float = try rmse([])
        #expect(try rmse([("use_quantized_grad", "true")]) < float * 1.05)
    }

    /// `quant_train_renew_leaf`: each leaf's value is −Σg / (Σh + λ₂) of its rows' unrounded gradients, times the
    /// learning rate; the first tree of L2 regression has g = score − label, h = 1.
    @Test func renewedLeavesUseTheUnroundedGradients() throws {
        let data = GBDTTests.data(rows: 3_000, seed: 8)
        let model = try GBDTTests.fit(data, [
            ("num_iterations", "1"), ("use_quantized_grad", "true"), ("quant_train_renew_leaf", "true"), ("lambda_l2", "2"),
            ("learning_rate", "0.5"),
        ])
        let tree = try #require(model.trees.first)
        let start = model.initialScores[0]
        let binned = BinnedDataset(data, mappers: model.binMappers)
        var sums = [Double](repeating: 0, count: tree.leafValue.count), counts = [Double](repeating: 0, count: tree.leafValue.count)
        for row in 0..<data.rowCount {
            let leaf = tree.leaf(binned: binned, row: row)
            sums[leaf] += start - data.target[row]
            counts[leaf] += 1
        }
        for leaf in tree.leafValue.indices {
            #expect(abs(tree.leafValue[leaf] - 0.5 * -sums[leaf] / (counts[leaf] + 2)) < 1e-9)
        }
        let plain = try GBDTTests.fit(data, [
            ("num_iterations", "1"), ("use_quantized_grad", "true"), ("lambda_l2", "2"), ("learning_rate", "0.5"),
        ])
        #expect(plain.trees[0].leafValue != tree.leafValue)
    }

    /// Varying hessians (row weights): renewed leaves are −Σwg / (Σw + λ₂) over each leaf's rows.
    @Test func renewedLeavesSumVaryingHessians() throws {
        let plain = GBDTTests.data(rows: 3_000, seed: 8)
        let weights = (0..<3_000).map { 0.5 + Double($0 % 7) / 4 }
        let data = plain.withWeights(weights)
        let model = try GBDTTests.fit(data, [
            ("num_iterations", "1"), ("use_quantized_grad", "true"), ("quant_train_renew_leaf", "true"), ("lambda_l2", "2"),
            ("learning_rate", "0.5"),
        ])
        let tree = try #require(model.trees.first)
        let binned = BinnedDataset(data, mappers: model.binMappers)
        var gradients = [Double](repeating: 0, count: tree.leafValue.count), hessians = gradients
        for row in 0..<data.rowCount {
            let leaf = tree.leaf(binned: binned, row: row)
            gradients[leaf] += weights[row] * (model.initialScores[0] - data.target[row])
            hessians[leaf] += weights[row]
        }
        for leaf in tree.leafValue.indices {
            #expect(abs(tree.leafValue[leaf] - 0.5 * -gradients[leaf] / (hessians[leaf] + 2)) < 1e-9)
        }
    }

    /// Hessians that overflow (Poisson's exp(score + max_delta_step) beyond Double's range) stop the fit with an error
    /// that says so, with or without quantization, never a trap.
    @Test(arguments: ["false", "true"])
    func overflowingHessiansAreAnErrorNotATrap(quantized: String) throws {
        let data = GBDTTests.data(rows: 500, seed: 3)
        let counts = Dataset(featureNames: data.featureNames, features: data.features, target: data.target.map { ($0 + 5).rounded() })
        #expect {
            try GBDTTests.fit(counts, [
                ("objective", "poisson"), ("poisson_max_delta_step", "710"), ("use_quantized_grad", quantized), ("num_iterations", "3"),
            ])
        } throws: { "\($0)".contains("not finite") }
    }

    @Test func levelsOutsideTheRangeAreRefusedByName() throws {
        let data = GBDTTests.data(rows: 300, seed: 1)
        for levels in ["1", "128"] {
            #expect { try GBDTTests.fit(data, [("use_quantized_grad", "true"), ("num_grad_quant_bins", levels)]) } throws: {
                "\($0)".contains("num_grad_quant_bins")
            }
        }
    }
}
