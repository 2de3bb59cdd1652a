import Foundation
import NumericKernels
import Synchronization
import TestSupport
import Testing
@testable import Trainers

@Suite struct GBDTTests {
    /// y = sin(x0)·3 + x1² + noise, with a missing-value pattern and a constant column.
    static func data(rows: Int, seed: UInt64) -> Dataset {
        var rng = Xoshiro256(seed: seed)
        var x0: [Double] = [], x1: [Double] = [], x2: [Double] = [], constant: [Double] = [], y: [Double] = []
        for _ in 0..<rows {
            let a = rng.nextUnit() * 6, b = rng.nextUnit() * 4 - 2, c = rng.nextUnit()
            x0.append(a); x1.append(b); x2.append(c < 0.1 ? .nan : c); constant.append(1)
            y.append(3 * sin(a) + b * b + (c < 0.1 ? 2 : c) + 0.1 * rng.nextStandardNormal())
        }
        return Dataset(featureNames: ["x0", "x1", "x2", "constant"], columns: [x0, x1, x2, constant], target: y)
    }

    static func fit(_ data: Dataset, _ raw: [(String, String)], validation: Dataset? = nil) throws -> GBDTModel {
        try GBDTTrainer.fit(GBDTTrainer.prepare(data), parameters: GBDTTrainer.parameterTable.resolve(raw.map { ($0.0, $0.1) }), validation: validation)
    }

    /// The scores boosting kept are the model's predictions on its training rows (bagged rows and classifiers
    /// included), so training metrics need no second pass; with trees dropped by early stopping there are none.
    @Test func trainingPredictionsAreTheModelsOwn() throws {
        let data = Self.data(rows: 3_000, seed: 9)
        let cases: [(Dataset, [(String, String)])] = [
            (data, [("num_iterations", "30"), ("bagging_fraction", "0.7"), ("bagging_freq", "1")]),
            (data, [("num_iterations", "30"), ("objective", "regression_l1")]),
            (GBDTClassificationTests.data(rows: 3_000, seed: 4, classes: [0, 1]), [("objective", "binary"), ("num_iterations", "30")]),
            (GBDTClassificationTests.data(rows: 3_000, seed: 4, classes: [0, 1, 2]), [("objective", "multiclass"), ("num_iterations", "30")]),
        ]
        for (train, parameters) in cases {
            let model = try Self.fit(train, parameters)
            let kept = try #require(model.trainingPredictions)
            switch (kept, model.predictions(train.features)) {
            case (.values(let a), .values(let b)):
                #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($1)) }, "\(parameters)")
            case (.probabilities(let a, let classes), .probabilities(let b, let same)):
                #expect(classes == same)
                #expect(zip(a.joined(), b.joined()).allSatisfy { abs($0 - $1) <= 1e-9 }, "\(parameters)")
            default:
                Issue.record("the kind of predictions differs for \(parameters)")
            }
        }
        let (train, valid) = (data.rows(0..<2_000), data.rows(2_000..<3_000))
        let stopped = try Self.fit(train, [("num_iterations", "400"), ("early_stopping_rounds", "5"), ("learning_rate", "0.5")], validation: valid)
        #expect(stopped.bestIteration != nil)
        #expect(stopped.trainingPredictions == nil)
        // The validation scores early stopping kept are the kept model's predictions on the validation rows; without
        // early stopping the validation rows are not scored while boosting.
        let threeClasses = GBDTClassificationTests.data(rows: 3_000, seed: 4, classes: [0, 1, 2])
        // Missing cells only in the validation rows, of a column with none in training (x0): the validation scores
        // send them where prediction does (right of every split).
        let gappy = Dataset(
            featureNames: valid.featureNames,
            columns: (0..<valid.featureCount).map { f in valid.column(f).enumerated().map { f == 0 && $0.offset % 4 == 0 ? .nan : $0.element } },
            target: valid.target)
        let scoredFits: [(Dataset, Dataset, [(String, String)])] = [
            (train, valid, [("num_iterations", "400"), ("early_stopping_rounds", "5"), ("learning_rate", "0.5")]),
            (train, gappy, [("num_iterations", "100"), ("early_stopping_rounds", "5"), ("learning_rate", "0.3")]),
            (train, valid, [("num_iterations", "60"), ("early_stopping_rounds", "5"), ("bagging_fraction", "0.6"), ("bagging_freq", "1")]),
            (train, valid, [("num_iterations", "20"), ("early_stopping_rounds", "50")]),
            (threeClasses.rows(0..<2_000), threeClasses.rows(2_000..<3_000),
             [("objective", "multiclass"), ("num_iterations", "200"), ("early_stopping_rounds", "3"), ("learning_rate", "0.5")]),
        ]
        for (fitRows, validRows, parameters) in scoredFits {
            let model = try Self.fit(fitRows, parameters, validation: validRows)
            let kept = try #require(model.validationPredictions, "\(parameters)")
            switch (kept, model.predictions(validRows.features)) {
            case (.values(let a), .values(let b)):
                #expect(a.count == b.count)
                #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($1)) }, "\(parameters)")
            case (.probabilities(let a, _), .probabilities(let b, _)):
                #expect(a.map(\.count) == b.map(\.count))
                #expect(zip(a.joined(), b.joined()).allSatisfy { abs($0 - $1) <= 1e-9 }, "\(parameters)")
            default:
                Issue.record("the kind of predictions differs for \(parameters)")
            }
        }
        #expect(try Self.fit(train, [("num_iterations", "20")], validation: valid).validationPredictions == nil)
    }

    /// The column-wise pass (all rows in order) and the row-wise pass (a leaf's rows, staged over several passes) give
    /// bit-identical sums: the same rows over the same bins, once as a whole dataset and once as a leaf of a larger one.
    @Test(arguments: [1, 2, 3])
    func columnWiseAndRowWiseHistogramsAreIdentical(threads: Int) throws {
        let n = 40_000
        var columns: [[Double]] = []
        for feature in 0..<12 {
            columns.append((0..<(n + 5)).map { row -> Double in
                feature % 3 == 0 && row % 11 == 0 ? .nan : Double((row * (7 + feature)) % 251)
            })
        }
        let wide = Dataset(
            featureNames: (0..<12).map { "x\($0)" }, columns: columns, target: [Double](repeating: 0, count: n + 5))
        let larger = BinnedDataset(wide, maxBin: 255)
        let exact = BinnedDataset(wide.rows(0..<n), mappers: larger.mappers)
        let settings = TreeSettings(
            numLeaves: 31, maxDepth: -1, minDataInLeaf: 20, minSumHessianInLeaf: 1e-3, minGainToSplit: 0, lambdaL1: 0,
            lambdaL2: 0, threads: threads, constantHessian: nil)
        var rng = Xoshiro256(seed: 3)
        let gradients = (0..<(n + 5)).map { _ in rng.nextStandardNormal() }, hessians = (0..<(n + 5)).map { _ in 0.5 + rng.nextUnit() }
        let rows = (0..<n).map { Int32($0) }, features = [0, 2, 3, 5, 6, 7, 8, 9, 10, 11]
        let columnWise = TreeLearner(data: exact, settings: settings).buildHistogram(rows[...], gradients, hessians, features)
        let rowWise = TreeLearner(data: larger, settings: settings).buildHistogram(rows[...], gradients, hessians, features)
        #expect(columnWise.values == rowWise.values)
    }

    @Test func histogramSubtractionEqualsDirectBuild() throws {
        let data = Self.data(rows: 3000, seed: 1)
        let binned = BinnedDataset(data, maxBin: 63)
        let learner = TreeLearner(data: binned, settings: TreeSettings(
            numLeaves: 31, maxDepth: -1, minDataInLeaf: 20, minSumHessianInLeaf: 1e-3, minGainToSplit: 0, lambdaL1: 0,
            lambdaL2: 0, threads: 2, constantHessian: nil))
        var rng = Xoshiro256(seed: 2)
        let gradients = (0..<3000).map { _ in rng.nextStandardNormal() }, hessians = (0..<3000).map { _ in 0.5 + rng.nextUnit() }
        let all = (0..<3000).map { Int32($0) }
        let left = all.filter { $0 % 3 == 0 }, right = all.filter { $0 % 3 != 0 }
        let features = [0, 1, 2, 3]
        let parent = learner.buildHistogram(all[...], gradients, hessians, features)
        let direct = learner.buildHistogram(right[...], gradients, hessians, features)
        var derived = parent
        derived.subtract(learner.buildHistogram(left[...], gradients, hessians, features))
        for i in derived.values.indices { #expect(abs(derived.values[i] - direct.values[i]) < 1e-9) }
    }

    @Test(arguments: ["regression", "huber", "poisson"])
    func trainingLossNeverRisesWithoutBagging(objective: String) throws {
        var data = Self.data(rows: 2000, seed: 3)
        if objective == "poisson" {
            data = Dataset(featureNames: data.featureNames, features: data.features, target: data.target.map { ($0 + 5).rounded() })
        }
        // Scoring on the training rows themselves gives the training loss per iteration (early stopping that never
        // triggers makes the booster record it).
        let model = try Self.fit(
            data, [("objective", objective), ("num_iterations", "60"), ("learning_rate", "0.2"), ("early_stopping_rounds", "1000")],
            validation: data)
        #expect(model.validationCurve.count == 60)
        for (previous, next) in zip(model.validationCurve, model.validationCurve.dropFirst()) {
            #expect(next <= previous + 1e-9 * max(1, abs(previous)), "loss rose from \(previous) to \(next)")
        }
    }

    @Test func sameSeedSameModelOnAnyNumberOfThreads() throws {
        // Large enough that histograms are summed in several blocks on several threads (partials added in block order).
        let data = Self.data(rows: 40_000, seed: 4)
        let settings = [("num_iterations", "10"), ("bagging_fraction", "0.7"), ("bagging_freq", "1"), ("feature_fraction", "0.67"), ("seed", "9")]
        let two = try Self.fit(data, settings + [("num_threads", "2")])
        #expect(try Self.fit(data, settings + [("num_threads", "2")]).trees == two.trees)
        #expect(try Self.fit(data, settings + [("num_threads", "1")]).trees == two.trees)
        #expect(try Self.fit(data, settings + [("num_threads", "3")]).trees == two.trees)
        let other = try Self.fit(data, [("num_iterations", "10"), ("bagging_fraction", "0.7"), ("bagging_freq", "1"), ("feature_fraction", "0.67"), ("seed", "10"), ("num_threads", "2")])
        #expect(other.trees != two.trees)
    }

    @Test func savedModelPredictsExactlyTheSame() throws {
        let data = Self.data(rows: 1500, seed: 5)
        let model = try Self.fit(data, [("num_iterations", "20")])
        let loaded = try TrainerRegistry.decodeModel(kind: "gbdt", from: JSONEncoder().encode(model))
        #expect(loaded.predict(data.features) == model.predict(data.features))
    }

    @Test func fitsANonlinearSurfaceFarBetterThanRidge() throws {
        let train = Self.data(rows: 4000, seed: 6), test = Self.data(rows: 1000, seed: 7)
        let gbdt = RegressionMetrics(predictions: try Self.fit(train, [("num_iterations", "200")]).predict(test.features), targets: test.target)
        let ridgeData = Dataset(featureNames: ["x0", "x1"], columns: [Array(train.column(0)), Array(train.column(1))], target: train.target)
        let ridge = try RidgeTrainer.fit(RidgeTrainer.prepare(ridgeData), parameters: RidgeTrainer.parameterTable.resolve([]))
        let ridgeTest = Matrix(rows: 1000, columns: 2, storage: Array(test.column(0)) + Array(test.column(1)))
        let ridgeMetrics = RegressionMetrics(predictions: ridge.predict(ridgeTest), targets: test.target)
        #expect(gbdt.rmse < 0.3, "gbdt test rmse \(gbdt.rmse)")
        #expect(gbdt.rmse < ridgeMetrics.rmse / 4)
    }

    @Test func earlyStoppingKeepsTheBestIteration() throws {
        let train = Self.data(rows: 600, seed: 8), valid = Self.data(rows: 300, seed: 9)
        let model = try Self.fit(train, [("num_iterations", "500"), ("learning_rate", "0.5"), ("num_leaves", "63"), ("min_data_in_leaf", "2"), ("early_stopping_rounds", "10")], validation: valid)
        let best = try #require(model.bestIteration)
        #expect(model.trees.count == best)
        #expect(best < 500)
        #expect(model.validationCurve.count <= best + 10)
        #expect(model.validationCurve[best - 1] == model.validationCurve.min())
        #expect(model.refitOverrides.map(\.name) == ["num_iterations", "early_stopping_rounds"])
    }

    /// `metric` chooses what early stopping watches (the first of a list); the recorded curve is that metric of the
    /// model's predictions.
    @Test(arguments: [("l1", "l1"), ("mape,l2", "mape"), ("rmse", "rmse"), ("", "rmse")])
    func earlyStoppingWatchesTheChosenMetric(metric: String, first: String) throws {
        let train = Self.data(rows: 600, seed: 8), valid = Self.data(rows: 300, seed: 9)
        let model = try Self.fit(train, [("num_iterations", "300"), ("learning_rate", "0.5"), ("min_data_in_leaf", "2"),
                                         ("early_stopping_rounds", "10"), ("metric", metric)], validation: valid)
        let best = try #require(model.bestIteration)
        let predictions = model.predict(valid.features), metrics = RegressionMetrics(predictions: predictions, targets: valid.target)
        let expected = ["l1": metrics.mae, "mape": metrics.mape, "rmse": metrics.rmse][first]!
        #expect(abs(model.validationCurve[best - 1] - expected) <= 1e-9 * expected)
        #expect(model.validationCurve[best - 1] == model.validationCurve.min())
    }

    /// An observer sees predictions as the model makes them: Poisson's after its log link, not raw scores.
    @Test func observersSeePredictionsNotRawScores() throws {
        let train = Self.data(rows: 600, seed: 8), valid = Self.data(rows: 300, seed: 9)
        func counts(_ data: Dataset) -> Dataset {
            Dataset(featureNames: data.featureNames, features: data.features, target: data.target.map { ($0 + 5).rounded() })
        }
        let last = Mutex<[Double]>([])
        let model = try GBDTTrainer.fit(
            GBDTTrainer.prepare(counts(train)),
            parameters: GBDTTrainer.parameterTable.resolve([("objective", "poisson"), ("num_iterations", "20")]),
            validation: counts(valid)) { predictions, _, _ in
            last.withLock { $0 = predictions.values }
            return true
        }
        let expected = model.predict(valid.features), seen = last.withLock { $0 }
        #expect(seen.count == expected.count)
        for (a, b) in zip(seen, expected) { #expect(abs(a - b) <= 1e-9 * max(1, abs(b))) }
    }

    /// LightGBM settings that change nothing here are accepted; ones tunekit does not implement are refused by name.
    @Test func lightGBMSettingsAreAcceptedOrRefusedByName() throws {
        let data = Self.data(rows: 300, seed: 1)
        let plain = try Self.fit(data, [("num_iterations", "5")])
        #expect(try Self.fit(data, [("num_iterations", "5"), ("boosting_type", "gbdt"), ("verbose", "-1"), ("metric", "l2,l1")]).trees
            == plain.trees)
        let refused: [(String, String, String)] = [
            ("boosting", "dart", "DART"), ("boosting", "goss", "GOSS"), ("boost", "rf", "random-forest"),
            ("metric", "auc", "auc needs objective binary"), ("metric", "l2,multi_error", "multi_error needs objective multiclass"),
            ("metric", "quantile", "not implemented"), ("metric", "accuracy", "is not one of"),
            ("objective", "multiclassova", "use multiclass"), ("objective", "tweedie", "not implemented"),
        ]
        for (name, value, reason) in refused {
            #expect { try Self.fit(data, [(name, value)]) } throws: { "\($0)".contains(reason) && "\($0)".contains(name) }
        }
    }

    @Test func l1LeavesAreResidualMedians() throws {
        let data = Dataset(featureNames: ["x"], columns: [[0, 0, 0, 1, 1, 1]], target: [0, 0, 10, 100, 100, 1000])
        let model = try Self.fit(data, [("objective", "regression_l1"), ("num_iterations", "1"), ("learning_rate", "1"),
                                        ("num_leaves", "2"), ("min_data_in_leaf", "1")])
        #expect(model.initialScores == [55])
        #expect(model.predict(Matrix(rows: 2, columns: 1, storage: [0, 1])) == [0, 100])
    }

    @Test(arguments: [
        ("learning_rate", "-0.1", "parameter 'learning_rate': '-0.1' is outside the allowed range (0.0, ∞)"),
        ("num_leaves", "1", "parameter 'num_leaves': '1' is outside the allowed range [2, 131072]"),
        ("objective", "logistic", "parameter 'objective': 'logistic' is not one of regression, regression_l2, l2, mean_squared_error, mse, rmse, regression_l1, l1, mae, mean_absolute_error, huber, poisson, cross_entropy, xentropy, binary, multiclass, softmax"),
        ("n_estimators", "many", "parameter 'n_estimators': 'many' is not an integer; allowed: [1, 1000000] (alias of num_iterations)"),
    ])
    func badParametersNameTheParameterAndRange(name: String, value: String, message: String) {
        do {
            _ = try GBDTTrainer.parameterTable.resolve([(name, value)])
            Issue.record("accepted \(name)=\(value)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func poissonRejectsNegativeTargets() {
        let data = Dataset(featureNames: ["x"], columns: [[0, 1, 2]], target: [1, -1, 2])
        #expect(throws: TrainerError.invalidParameter(name: "objective", message: "poisson needs non-negative targets, found -1.0")) {
            try Self.fit(data, [("objective", "poisson")])
        }
    }
}
