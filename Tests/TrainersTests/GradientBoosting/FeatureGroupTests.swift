import Foundation
import NumericKernels
import Testing
@testable import Trainers

/// Features with few bins share one byte per row when their combinations fit (`FeatureGroups`); a histogram read
/// through the groups equals the one read feature by feature.
@Suite struct FeatureGroupTests {
    /// Calendar-like columns (hour, its sine, weekday, holiday, month), a 3-value column with missing cells, and two
    /// continuous ones.
    static func calendar(rows n: Int, seed: UInt64) -> Dataset {
        var rng = Xoshiro256(seed: seed)
        var columns = [[Double]](repeating: [], count: 8), target: [Double] = []
        for row in 0..<n {
            let hour = row % 24, weekday = (row / 24) % 7, month = 1 + (row / 720) % 12
            let holiday = weekday >= 5 || rng.nextUnit() < 0.03 ? 1.0 : 0
            let level = rng.nextUnit() < 0.1 ? Double.nan : Double(rng.nextIndex(below: 3))
            let x = rng.nextStandardNormal(), z = rng.nextUnit() * 100
            let values = [Double(hour), sin(Double(hour) * .pi / 12), Double(weekday), holiday, Double(month), level, x, z]
            for (k, value) in values.enumerated() { columns[k].append(value) }
            target.append(Double(hour) + 3 * holiday + x + (level.isNaN ? 2 : level) + 0.1 * z)
        }
        return Dataset(
            featureNames: ["hour", "hour_sin", "weekday", "holiday", "month", "level", "x", "z"], columns: columns, target: target)
    }

    /// Tree settings with a worker pool of `threads` threads (none for one), as a fit makes them.
    static func settings(threads: Int = 1) -> TreeSettings {
        TreeSettings(
            numLeaves: 31, maxDepth: -1, minDataInLeaf: 20, minSumHessianInLeaf: 1e-3, minGainToSplit: 0, lambdaL1: 0,
            lambdaL2: 0, threads: threads, constantHessian: nil, pool: WorkerPool(threads: threads))
    }

    /// Every group keeps at most 256 combinations, and each row's code gives back each member's own bin; features
    /// with many bins stay alone.
    @Test func groupCodesGiveBackEveryMembersBins() throws {
        let data = BinnedDataset(Self.calendar(rows: 20_000, seed: 1), maxBin: 255)
        let groups = try #require(data.featureGroups)
        #expect(groups.groups.allSatisfy { $0.combinations <= FeatureGroups.maxCombinations && $0.features.count >= 2 })
        let grouped = Set(groups.groups.flatMap(\.features))
        #expect(grouped.isSuperset(of: [0, 1, 2, 3, 4, 5]), "the six columns of few values are grouped: \(groups.groups.map(\.features))")
        #expect(!grouped.contains(6) && !grouped.contains(7), "continuous columns stay alone")
        #expect(groups.width < data.featureCount)
        try Self.expectCodesGiveBackBins(data, groups)
        // Validation data binned with the training bins is not grouped: it is only predicted.
        #expect(BinnedDataset(Self.calendar(rows: 500, seed: 2), mappers: data.mappers).featureGroups == nil)
    }

    /// Whether a histogram of `features` over `rows` rows reads the groups (the spreading is worth it).
    static func readsGroups(_ data: BinnedDataset, _ features: [Int], rows: Int) -> Bool {
        data.featureGroups?.plan(
            for: features, rowCount: rows, histogramSize: data.histogramSize, histogramOffsets: data.histogramOffsets,
            binCounts: { data.mappers[$0].totalBins }) != nil
    }

    static func expectCodesGiveBackBins(_ data: BinnedDataset, _ groups: FeatureGroups) throws {
        for row in stride(from: 0, to: data.rowCount, by: 7) {
            for feature in 0..<data.featureCount {
                let column = groups.columnOfFeature[feature]
                let code = Int(groups.rows[row * groups.width + column])
                let own = data.bins[row * data.featureCount + feature]
                if let g = groups.groupOfFeature[feature] {
                    let group = groups.groups[g]
                    let k = try #require(group.features.firstIndex(of: feature))
                    #expect(group.bins[code * group.features.count + k] == own, "row \(row), feature \(feature)")
                } else {
                    #expect(code == Int(own), "row \(row), feature \(feature)")
                }
            }
        }
    }

    /// Wide data of many two-valued columns: grouping stops after its passes over the rows (the first columns are
    /// grouped, eight to a byte at most; the rest stay alone), and the codes still give back every bin.
    @Test func wideDataIsGroupedWithinItsPasses() throws {
        let n = 2_000, width = 400
        var rng = Xoshiro256(seed: 8)
        let columns = (0..<width).map { _ in (0..<n).map { _ in Double(rng.nextIndex(below: 2)) } }
        let data = BinnedDataset(
            Dataset(featureNames: (0..<width).map { "b\($0)" }, columns: columns, target: [Double](repeating: 0, count: n)),
            maxBin: 255)
        let groups = try #require(data.featureGroups)
        #expect(groups.groups.allSatisfy { $0.combinations <= 256 && $0.features.count <= 8 })
        let grouped = groups.groups.map(\.features.count).reduce(0, +)
        #expect(grouped > 16 && grouped < width, "\(grouped) of \(width) columns grouped")
        try Self.expectCodesGiveBackBins(data, groups)
    }

    /// Float histograms through the groups equal the feature-by-feature ones up to rounding, on all rows, a leaf's
    /// scattered rows, and a sample of features; on any number of threads the grouped sums are bit-identical.
    @Test(arguments: [1, 2])
    func groupedFloatHistogramsEqualPerFeatureOnes(threads: Int) throws {
        let n = 30_000
        let raw = Self.calendar(rows: n, seed: 3)
        let grouped = BinnedDataset(raw, maxBin: 255)
        let plain = BinnedDataset(raw, mappers: grouped.mappers)
        #expect(grouped.featureGroups != nil && plain.featureGroups == nil)
        var rng = Xoshiro256(seed: 5)
        let gradients = (0..<n).map { _ in rng.nextStandardNormal() }, hessians = (0..<n).map { _ in 0.5 + rng.nextUnit() }
        let all = (0..<n).map { Int32($0) }
        for (rows, features) in [(all, Array(0..<8)), (all.filter { $0 % 5 != 2 }, [0, 2, 3, 6]), (all.filter { $0 % 3 == 0 }, [1, 4, 5, 7])] {
            #expect(Self.readsGroups(grouped, features, rows: rows.count), "\(features): the grouped path is taken")
            let viaGroups = TreeLearner(data: grouped, settings: Self.settings(threads: threads))
                .buildHistogram(rows[...], gradients, hessians, features)
            let perFeature = TreeLearner(data: plain, settings: Self.settings(threads: threads))
                .buildHistogram(rows[...], gradients, hessians, features)
            #expect(viaGroups.values.count == perFeature.values.count)
            #expect(zip(viaGroups.values, perFeature.values).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($1)) }, "\(features)")
            let oneThread = TreeLearner(data: grouped, settings: Self.settings(threads: 1))
                .buildHistogram(rows[...], gradients, hessians, features)
            #expect(oneThread.values == viaGroups.values)
        }
    }

    /// Quantized sums are integers: through the groups they are exactly the feature-by-feature ones, so a quantized
    /// model is the same tree for tree with or without grouping.
    @Test func groupedPackedHistogramsAreExact() throws {
        let n = 30_000
        let raw = Self.calendar(rows: n, seed: 4)
        let grouped = BinnedDataset(raw, maxBin: 255)
        let plain = BinnedDataset(raw, mappers: grouped.mappers)
        var rng = Xoshiro256(seed: 6)
        let gradients = (0..<n).map { _ in rng.nextStandardNormal() }, hessians = (0..<n).map { _ in 0.5 + rng.nextUnit() }
        let all = (0..<n).map { Int32($0) }
        let q = GradientQuantizer(bins: 4, stochasticRounding: true, seed: 1, rowCount: n)
            .quantize(gradients: gradients, hessians: hessians, rows: all, constantHessian: nil, tree: 0, settings: Self.settings())
        for rows in [all, all.filter { $0 % 40 == 0 }] {
            #expect(Self.readsGroups(grouped, Array(0..<8), rows: rows.count))
            let viaGroups = TreeLearner(data: grouped, settings: Self.settings()).buildHistogram(rows[...], q, Array(0..<8))
            let perFeature = TreeLearner(data: plain, settings: Self.settings()).buildHistogram(rows[...], q, Array(0..<8))
            switch (viaGroups, perFeature) {
            case (.wide(let a), .wide(let b)): #expect(a.cells == b.cells)
            case (.narrow(let a), .narrow(let b)): #expect(a.cells == b.cells)
            default: Issue.record("both histograms of \(rows.count) rows have cells of the same width")
            }
        }
    }

    /// The trainer groups the training rows: a float model of calendar data predicts as one fitted without groups
    /// does (up to the rounding of the sums' order).
    @Test func modelsWithAndWithoutGroupsAgree() throws {
        let raw = Self.calendar(rows: 8_000, seed: 7)
        let parameters = try GBDTTrainer.parameterTable.resolve([("num_iterations", "40"), ("num_leaves", "15")])
        let prepared = try GBDTTrainer.prepare(raw)
        #expect(prepared.binned.featureGroups != nil)
        let ungrouped = GBDTPrepared(data: raw, binned: BinnedDataset(raw, mappers: prepared.binned.mappers))
        let a = try GBDTTrainer.fit(prepared, parameters: parameters, validation: nil).predict(raw.features)
        let b = try GBDTTrainer.fit(ungrouped, parameters: parameters, validation: nil).predict(raw.features)
        let largest = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        #expect(largest <= 1e-6, "largest difference \(largest)")
    }
}
