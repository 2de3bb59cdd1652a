import Foundation
import NumericKernels
import TestSupport
import Testing
@testable import Trainers

/// The Python interpreter with `lightgbm` installed: `$TUNEKIT_PYTHON`, else `python3`; nil when lightgbm is absent.
let pythonWithLightGBM: String? = {
    let python = ProcessInfo.processInfo.environment["TUNEKIT_PYTHON"] ?? "python3"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python, "-c", "import lightgbm"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    process.waitUntilExit()
    return process.terminationStatus == 0 ? python : nil
}()

/// Rows for `numpy.loadtxt`: the features (NaN as `nan`), the target, then the weight when the data has weights.
func numericRows(_ data: Dataset) -> String {
    var rows = ""
    for i in 0..<data.rowCount {
        rows += (0..<data.featureCount).map { data.features[i, $0].isNaN ? "nan" : String(data.features[i, $0]) }.joined(separator: ",")
        rows += ",\(data.target[i])" + (data.weights.map { ",\($0[i])" } ?? "") + "\n"
    }
    return rows
}

/// Runs a Python script with the lightgbm interpreter and returns its standard output.
func runLightGBMPython(_ script: String, arguments: [String]) throws -> String {
    let process = Process()
    let output = Pipe()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [try #require(pythonWithLightGBM, "Python lightgbm is not installed"), "-c", script] + arguments
    process.standardOutput = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    return text
}

@Suite struct LightGBMFormatTests {
    @Test func headerAndTreesFollowTheFormat() throws {
        let data = GBDTTests.data(rows: 800, seed: 11)
        let model = try GBDTTests.fit(data, [("num_iterations", "3"), ("num_leaves", "4")])
        let text = model.lightGBMText
        #expect(text.hasPrefix("tree\nversion=v4\nnum_class=1\n"))
        #expect(text.contains("feature_names=x0 x1 x2 constant\n"))
        #expect(text.contains("feature_infos="), "the constant feature is marked unused")
        #expect(text.contains(" none\n"), "the constant feature is marked unused")
        #expect(text.contains("Tree=2\nnum_leaves=4\n"))
        #expect(text.contains("end of trees"))
        // tree_sizes must be the byte length of each tree block for LightGBM's parallel loader.
        let sizes = text.split(separator: "\n").first { $0.hasPrefix("tree_sizes=") }!.dropFirst(11).split(separator: " ").map { Int($0)! }
        let blocks = text.components(separatedBy: "Tree=").dropFirst().map { "Tree=" + $0 }
        #expect(sizes[0] == blocks[0].utf8.count)
    }

    /// Numbers are written as C's `%.17g` (glibc's, through Foundation): edge values, and random bit patterns.
    @Test func numbersAreWrittenAsPercent17g() {
        var values: [Double] = [
            0, -0.0, 1, -1, 0.1, 1e22, 1e-5, 123456789012345678, .infinity, -.infinity, .nan, .leastNonzeroMagnitude,
            .leastNormalMagnitude, .greatestFiniteMagnitude, -.ulpOfOne, 5e-324, 0.30000000000000004,
        ]
        var random = SplitMix64(seed: 3)
        for _ in 0..<5_000 { values.append(Double(bitPattern: random.next())) }
        for value in values {
            #expect(GBDTModel.number(value) == String(format: "%.17g", value), "\(value.bitPattern)")
        }
    }

    @Test(.enabled(if: RealTools.enabled(pythonWithLightGBM), "Python lightgbm is not installed"))
    func lightGBMLoadsTheModelAndPredictsTheSame() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let data = GBDTTests.data(rows: 2000, seed: 12)
        let classes = GBDTClassificationTests.data(rows: 2000, seed: 13, classes: [0, 1, 2])
        let cases: [(objective: String, data: Dataset)] = [
            ("regression", data),
            ("poisson", Dataset(featureNames: data.featureNames, features: data.features, target: data.target.map { ($0 + 5).rounded() })),
            ("cross_entropy", Dataset(featureNames: data.featureNames, features: data.features, target: data.target.map { 1 / (1 + exp(-$0 + 3)) })),
            ("binary", Dataset(featureNames: classes.featureNames, features: classes.features, target: classes.target.map { $0 == 0 ? 4 : 9 })),
            ("multiclass", classes),
            // Categorical splits: cat_boundaries and cat_threshold bitsets, missing values among the categories.
            ("regression", CategoricalSplitTests.data(rows: 2000, seed: 14)),
        ]
        for (objective, data) in cases {
            let model = try GBDTTests.fit(data, [("objective", objective), ("num_iterations", "30")])
            try model.lightGBMText.write(toFile: directory.file("model.txt"), atomically: true, encoding: .utf8)
            var rows = ""
            for i in 0..<data.rowCount {
                rows += (0..<data.featureCount).map { data.features[i, $0].isNaN ? "nan" : String(data.features[i, $0]) }.joined(separator: ",") + "\n"
            }
            try rows.write(toFile: directory.file("x.csv"), atomically: true, encoding: .utf8)
            // One line per row: the prediction, or every class's probability for multiclass.
            let script = """
                import lightgbm, numpy, sys
                x = numpy.loadtxt(sys.argv[2], delimiter=",", ndmin=2)
                for p in lightgbm.Booster(model_file=sys.argv[1]).predict(x): print(" ".join(repr(float(v)) for v in numpy.atleast_1d(p)))
                """
            let process = Process()
            let output = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [try #require(pythonWithLightGBM, "Python lightgbm is not installed"), "-c", script, directory.file("model.txt"), directory.file("x.csv")]
            process.standardOutput = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let theirs = text.split(separator: "\n").map { $0.split(separator: " ").compactMap { Double($0) } }
            let ours: [[Double]]
            switch model.predictions(data.features) {
            case .values(let values): ours = values.map { [$0] }
            case .probabilities(let p, _) where p.count == 2: ours = p[1].map { [$0] }
            case .probabilities(let p, _): ours = (0..<data.rowCount).map { row in p.map { $0[row] } }
            }
            #expect(theirs.count == ours.count)
            for (a, b) in zip(ours, theirs) {
                #expect(a.count == b.count)
                for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-6 * max(1, abs(y)), "\(objective): \(x) vs LightGBM \(y)") }
            }
        }
    }
}
