import Foundation
import NumericKernels
import TestSupport
import Testing
@testable import Trainers

/// Sample weights, as scikit-learn's `sample_weight` and LightGBM's `weight` define them.
@Suite struct WeightedTests {
    static let reference = Dataset(
        featureNames: ["a", "b", "year"], features: Matrix(rows: WeightedReference.rows, columns: 3, storage: WeightedReference.features),
        target: WeightedReference.target, weights: WeightedReference.weights)

    static func close(_ a: Double, _ b: Double, _ label: String) {
        #expect(abs(a - b) <= 1e-6 * max(1, abs(b)), "\(label): \(a) vs scikit-learn's \(b)")
    }

    /// Weighted ridge (and the weighted scaler before it) equals scikit-learn's coefficients and intercept to 1e-6.
    @Test func ridgeMatchesScikitLearn() throws {
        let prepared = try RidgeTrainer.prepare(Self.reference)
        for fit in WeightedReference.ridge {
            let model = try RidgeTrainer.fit(prepared, parameters: RidgeTrainer.parameterTable.resolve([
                ("alpha", String(fit.penalty)), ("standardize", String(fit.standardize)), ("fit_intercept", String(fit.fitIntercept)),
            ]))
            let label = "ridge standardize=\(fit.standardize) intercept=\(fit.fitIntercept) alpha=\(fit.penalty)"
            for (ours, theirs) in zip(model.coefficients, fit.coefficients[0]) { Self.close(ours, theirs, label) }
            Self.close(model.intercept, fit.intercepts[0], "\(label) intercept")
        }
    }

    /// Weighted logistic regression equals scikit-learn's coefficients and intercepts to 1e-6, binary and multinomial.
    @Test(arguments: ["binary", "multiclass"])
    func logisticMatchesScikitLearn(kind: String) throws {
        let data = Self.reference.withTarget(kind == "binary" ? WeightedReference.binaryTarget : WeightedReference.multiclassTarget)
        let prepared = try LogisticTrainer.prepare(data)
        for fit in kind == "binary" ? WeightedReference.binaryLogistic : WeightedReference.multiclassLogistic {
            let model = try LogisticTrainer.fit(prepared, parameters: LogisticTrainer.parameterTable.resolve([
                ("C", String(fit.penalty)), ("standardize", String(fit.standardize)), ("fit_intercept", String(fit.fitIntercept)),
            ]))
            let label = "\(kind) standardize=\(fit.standardize) intercept=\(fit.fitIntercept) C=\(fit.penalty)"
            #expect(model.converged, "\(label)")
            for (ours, theirs) in zip(model.coefficients.joined(), fit.coefficients.joined()) { Self.close(ours, theirs, label) }
            for (ours, theirs) in zip(model.intercepts, fit.intercepts) { Self.close(ours, theirs, "\(label) intercept") }
        }
    }

    /// Every metric weighs rows as scikit-learn's `sample_weight` does (ties in AUC and average precision included).
    @Test func metricsMatchScikitLearn() {
        let regression = Predictions.values(WeightedReference.predictions)
            .metrics(targets: WeightedReference.target, weights: WeightedReference.weights)
        for (name, value) in [("rmse", WeightedReference.rmse), ("mae", WeightedReference.mae), ("r2", WeightedReference.r2),
                              ("mape", WeightedReference.mape)] {
            Self.close(regression[name] ?? .nan, value, name)
        }
        let positive = WeightedReference.positiveProbabilities
        let binary = Predictions.probabilities([positive.map { 1 - $0 }, positive], classes: [0, 1])
            .metrics(targets: WeightedReference.binaryTarget, weights: WeightedReference.weights)
        for (name, value) in WeightedReference.binaryMetrics { Self.close(binary[name] ?? .nan, value, "binary \(name)") }
        let rows = WeightedReference.rows
        let columns = (0..<3).map { Array(WeightedReference.classProbabilities[($0 * rows)..<(($0 + 1) * rows)]) }
        let multiclass = Predictions.probabilities(columns, classes: [0, 1, 2])
            .metrics(targets: WeightedReference.multiclassTarget, weights: WeightedReference.weights)
        for (name, value) in WeightedReference.multiclassMetrics { Self.close(multiclass[name] ?? .nan, value, "multiclass \(name)") }
    }

    /// A weight of 2 is the row twice, a weight of 0 the row left out (ridge and logistic; weights are not normalised).
    @Test func integerWeightsRepeatRows() throws {
        var rng = Xoshiro256(seed: 41)
        let counts = (0..<WeightedReference.rows).map { _ in Double(rng.nextIndex(below: 3)) }
        let repeated = (0..<WeightedReference.rows).flatMap { row in Array(repeating: row, count: Int(counts[row])) }
        let weighted = Self.reference.withWeights(counts)
        let expanded = Self.reference.withWeights(nil).rows(at: repeated)
        let ridge = { (data: Dataset) in try RidgeTrainer.fit(RidgeTrainer.prepare(data), parameters: RidgeTrainer.parameterTable.resolve([])) }
        for (a, b) in zip(try ridge(weighted).coefficients, try ridge(expanded).coefficients) { Self.close(a, b, "ridge") }
        let logistic = { (data: Dataset) in
            try LogisticTrainer.fit(LogisticTrainer.prepare(data.withTarget(data.target.map { $0 > -3 ? 1 : 0 })), parameters: LogisticTrainer.parameterTable.resolve([]))
        }
        for (a, b) in zip(try logistic(weighted).coefficients[0], try logistic(expanded).coefficients[0]) { Self.close(a, b, "logistic") }
    }

    /// Weights of 1 are no weights: gbdt grows the same trees (hessian sums instead of counts, equal when every weight is 1).
    @Test func unitWeightsChangeNothing() throws {
        let data = GBDTTests.data(rows: 2_000, seed: 5)
        for objective in ["regression", "regression_l1", "huber"] {
            let plain = try GBDTTests.fit(data, [("objective", objective), ("num_iterations", "20")])
            let weighted = try GBDTTests.fit(data.withWeights(Array(repeating: 1, count: data.rowCount)), [("objective", objective), ("num_iterations", "20")])
            let worst = zip(plain.predict(data.features), weighted.predict(data.features)).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-9, "\(objective): \(worst)")
        }
    }

    /// Bad weights are refused with the row.
    @Test func badWeightsAreRefused() {
        let data = GBDTTests.data(rows: 50, seed: 6)
        var weights = Array(repeating: 1.0, count: 50)
        weights[7] = -1
        #expect(throws: TrainerError.self) { try GBDTTrainer.prepare(data.withWeights(weights)) }
        #expect(throws: TrainerError.self) { try RidgeTrainer.prepare(data.withWeights(Array(repeating: 0, count: 50))) }
        do {
            _ = try GBDTTrainer.prepare(data.withWeights(weights))
        } catch {
            #expect(error.description.contains("row 8"), "\(error.description)")
        }
    }

    /// y = 3·sin(x0) + x1² + x2 + noise (normal, sd `noise`), with x0 and x1 on grids of fewer than 255 values, so that tunekit and LightGBM
    /// bin them alike (one bin per value) and what differs is the training itself.
    static func gridData(rows: Int, seed: UInt64, noise: Double) -> Dataset {
        var rng = Xoshiro256(seed: seed)
        var x0: [Double] = [], x1: [Double] = [], x2: [Double] = [], y: [Double] = []
        for _ in 0..<rows {
            let a = (rng.nextUnit() * 120).rounded() / 20, b = (rng.nextUnit() * 80).rounded() / 20 - 2, c = (rng.nextUnit() * 100).rounded() / 100
            x0.append(a); x1.append(b); x2.append(c)
            y.append(3 * sin(a) + b * b + c + noise * rng.nextStandardNormal())
        }
        return Dataset(featureNames: ["x0", "x1", "x2"], columns: [x0, x1, x2], target: y)
    }

    /// Weighted gbdt's weighted test metric is within 1 % of LightGBM's trained on the same rows and weights (rows
    /// weighted from 0.3 to 9 by region, so the weighted model differs from the unweighted one).
    @Test(.enabled(if: RealTools.enabled(pythonWithLightGBM), "Python lightgbm is not installed"), arguments: ["regression", "binary"])
    func gbdtIsWithinOnePercentOfLightGBM(objective: String) throws {
        func weighted(_ data: Dataset) -> Dataset {
            let rows = (0..<data.rowCount)
            let labelled = objective == "binary" ? data.withTarget(data.target.map { $0 > 2.5 ? 1 : 0 }) : data
            return labelled.withWeights(rows.map { data.features[$0, 0] > 4 ? 9 : (data.features[$0, 1] < 0 ? 0.3 : 1) })
        }
        // A noisy label for binary: near-separable classes would make a 1 % band a few rows wide.
        let noise = objective == "binary" ? 1.5 : 0.3
        let train = weighted(Self.gridData(rows: 6_000, seed: 21, noise: noise)), test = weighted(Self.gridData(rows: 3_000, seed: 22, noise: noise))
        let parameters = [("objective", objective), ("num_iterations", "60"), ("num_leaves", "15"), ("min_data_in_leaf", "40")]
        let metric = objective == "binary" ? "logloss" : "rmse"
        let ours = try #require(try GBDTTests.fit(train, parameters).predictions(test.features).metrics(targets: test.target, weights: test.weights)[metric])
        let unweighted = try #require(try GBDTTests.fit(train.withWeights(nil), parameters).predictions(test.features)
            .metrics(targets: test.target, weights: test.weights)[metric])
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        for (name, data) in [("train", train), ("test", test)] {
            try numericRows(data).write(toFile: directory.file("\(name).csv"), atomically: true, encoding: .utf8)
        }
        let script = """
            import lightgbm, numpy, sys
            train, test = (numpy.loadtxt(f, delimiter=",", ndmin=2) for f in sys.argv[1:3])
            params = dict(objective=sys.argv[3], num_leaves=15, min_data_in_leaf=40, learning_rate=0.1, verbose=-1, num_threads=1, deterministic=True)
            booster = lightgbm.train(params, lightgbm.Dataset(train[:, :3], train[:, 3], weight=train[:, 4]), num_boost_round=60)
            p, y, w = booster.predict(test[:, :3]), test[:, 3], test[:, 4]
            if sys.argv[3] == "binary":
                p = numpy.clip(p, 1e-15, 1 - 1e-15)
                print(repr(float(-numpy.average(y * numpy.log(p) + (1 - y) * numpy.log(1 - p), weights=w))))
            else:
                print(repr(float(numpy.sqrt(numpy.average((y - p) ** 2, weights=w)))))
            """
        let output = try runLightGBMPython(script, arguments: [directory.file("train.csv"), directory.file("test.csv"), objective])
        let theirs = try #require(Double(output.trimmingCharacters(in: .whitespacesAndNewlines)), "LightGBM printed \(output)")
        #expect(abs(ours - theirs) <= 0.01 * theirs, "weighted \(metric): tunekit \(ours), LightGBM \(theirs)")
        #expect(abs(unweighted - ours) > 0.005 * ours, "the weights change the model: unweighted \(unweighted), weighted \(ours)")
    }
}
