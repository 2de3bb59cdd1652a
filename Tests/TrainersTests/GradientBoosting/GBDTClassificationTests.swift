import Foundation
import NumericKernels
import Synchronization
import Testing
@testable import Trainers

@Suite struct GBDTClassificationTests {
    /// Two features decide the class (a ring and a band) with 5 % label noise; `classes` labels are used as given.
    static func data(rows: Int, seed: UInt64, classes: [Double]) -> Dataset {
        var rng = Xoshiro256(seed: seed)
        var x0: [Double] = [], x1: [Double] = [], x2: [Double] = [], y: [Double] = []
        for _ in 0..<rows {
            let a = rng.nextUnit() * 4 - 2, b = rng.nextUnit() * 4 - 2, c = rng.nextUnit()
            x0.append(a); x1.append(b); x2.append(c < 0.1 ? .nan : c)
            var k = a * a + b * b < 1.5 ? 0 : (b > 0 ? 1 : 2)
            k = min(k, classes.count - 1)
            if rng.nextUnit() < 0.05 { k = rng.nextIndex(below: classes.count) }
            y.append(classes[k])
        }
        return Dataset(featureNames: ["x0", "x1", "x2"], columns: [x0, x1, x2], target: y)
    }

    static func fit(_ data: Dataset, _ raw: [(String, String)], validation: Dataset? = nil) throws -> GBDTModel {
        try GBDTTests.fit(data, raw, validation: validation)
    }

    @Test func binaryLearnsTheClassesAndKeepsTheirLabels() throws {
        let train = Self.data(rows: 3000, seed: 1, classes: [3, 7]), test = Self.data(rows: 1000, seed: 2, classes: [3, 7])
        let model = try Self.fit(train, [("objective", "binary"), ("num_iterations", "60")])
        #expect(model.classes == [3, 7])
        #expect(model.initialScores.count == 1)
        guard case .probabilities(let probabilities, let classes) = model.predictions(test.features) else {
            Issue.record("a binary model predicts probabilities")
            return
        }
        #expect(classes == [3, 7])
        #expect(probabilities.count == 2)
        for (p0, p1) in zip(probabilities[0], probabilities[1]) { #expect(abs(p0 + p1 - 1) < 1e-12 && p1 > 0 && p1 < 1) }
        let metrics = model.predictions(test.features).metrics(targets: test.target)
        #expect(try #require(metrics["accuracy"]) > 0.9)
        #expect(try #require(metrics["auc"]) > 0.93)
        #expect(Set(model.predict(test.features)) == [3, 7])
        // The starting score is the log-odds of the positive share (LightGBM's boost_from_average).
        let share = Double(train.target.filter { $0 == 7 }.count) / Double(train.rowCount)
        #expect(abs(model.initialScores[0] - log(share / (1 - share))) < 1e-12)
    }

    @Test func multiclassProbabilitiesSumToOneAndBeatTheBaseline() throws {
        let train = Self.data(rows: 3000, seed: 3, classes: [0, 1, 2]), test = Self.data(rows: 1000, seed: 4, classes: [0, 1, 2])
        let model = try Self.fit(train, [("objective", "multiclass"), ("num_class", "3"), ("num_iterations", "40")])
        #expect(model.initialScores.count == 3)
        #expect(model.trees.count == 120)
        guard case .probabilities(let probabilities, _) = model.predictions(test.features) else {
            Issue.record("a multiclass model predicts probabilities")
            return
        }
        for row in 0..<test.rowCount {
            #expect(abs(probabilities.map { $0[row] }.reduce(0, +) - 1) < 1e-12)
        }
        let metrics = model.predictions(test.features).metrics(targets: test.target)
        #expect(try #require(metrics["accuracy"]) > 0.88)
        // Starting scores are the log class priors.
        for k in 0..<3 {
            let prior = Double(train.target.filter { $0 == Double(k) }.count) / Double(train.rowCount)
            #expect(abs(model.initialScores[k] - log(prior)) < 1e-12)
        }
        // num_class 1 (the default) infers the classes from the labels: the same model.
        let inferred = try Self.fit(train, [("objective", "softmax"), ("num_iterations", "40")])
        #expect(inferred.trees == model.trees)
    }

    @Test func trainingLoglossNeverRises() throws {
        let train = Self.data(rows: 1500, seed: 5, classes: [0, 1, 2])
        for objective in ["binary", "multiclass"] {
            let data = objective == "binary"
                ? Dataset(featureNames: train.featureNames, features: train.features, target: train.target.map { min($0, 1) })
                : train
            var previous = Double.infinity
            for iterations in [1, 5, 20, 40] {
                let model = try Self.fit(data, [("objective", objective), ("num_iterations", String(iterations))])
                let loss = try #require(model.predictions(data.features).metrics(targets: data.target)["logloss"])
                #expect(loss <= previous + 1e-12, "\(objective) after \(iterations) iterations")
                previous = loss
            }
        }
    }

    @Test func earlyStoppingOnAUCKeepsTheHighest() throws {
        let train = Self.data(rows: 2000, seed: 6, classes: [0, 1]), valid = Self.data(rows: 600, seed: 7, classes: [0, 1])
        let model = try Self.fit(
            train, [("objective", "binary"), ("metric", "auc"), ("num_iterations", "300"), ("learning_rate", "0.3"),
                    ("early_stopping_rounds", "10"), ("num_leaves", "63"), ("min_data_in_leaf", "2")],
            validation: valid)
        let best = try #require(model.bestIteration)
        #expect(model.validationCurve[best - 1] == model.validationCurve.max())
        #expect(model.trees.count == best)
        let auc = try #require(model.predictions(valid.features).metrics(targets: valid.target)["auc"])
        #expect(abs(auc - model.validationCurve[best - 1]) < 1e-12)
    }

    @Test func classWeightsMoveProbabilityTowardsThePositiveClass() throws {
        var data = Self.data(rows: 2000, seed: 8, classes: [0, 1])
        // Positive: inside the ring, the rarer class (about 30 %).
        data = Dataset(featureNames: data.featureNames, features: data.features, target: data.target.map { $0 == 0 ? 1 : 0 })
        func meanProbability(_ raw: [(String, String)]) throws -> Double {
            let model = try Self.fit(data, [("objective", "binary"), ("num_iterations", "20")] + raw)
            guard case .probabilities(let p, _) = model.predictions(data.features) else { return .nan }
            return p[1].reduce(0, +) / Double(data.rowCount)
        }
        let plain = try meanProbability([]), weighted = try meanProbability([("scale_pos_weight", "4")])
        #expect(weighted > plain + 0.02)
        // is_unbalance weights the rarer (positive) class up too.
        #expect(try meanProbability([("is_unbalance", "true")]) > plain)
    }

    @Test func labelsThatDoNotFitTheObjectiveAreRefused() {
        let three = Self.data(rows: 200, seed: 9, classes: [0, 1, 2])
        #expect { try Self.fit(three, [("objective", "binary")]) } throws: { "\($0)".contains("exactly two distinct target values, found 3") }
        #expect { try Self.fit(three, [("objective", "multiclass"), ("num_class", "2")]) } throws: { "\($0)".contains("num_class") }
        let fractional = Self.data(rows: 200, seed: 9, classes: [0, 0.5])
        #expect { try Self.fit(fractional, [("objective", "multiclass")]) } throws: { "\($0)".contains("class labels 0, 1") }
        let huge = Self.data(rows: 200, seed: 9, classes: [0, 1e9])
        #expect { try Self.fit(huge, [("objective", "multiclass")]) } throws: { "\($0)".contains("at most 1024") }
        let outside = Self.data(rows: 200, seed: 9, classes: [0, 2])
        #expect { try Self.fit(outside, [("objective", "cross_entropy")]) } throws: { "\($0)".contains("in [0, 1]") }
    }

    @Test func modelsRoundTripThroughJSONAndReadTheOldFormat() throws {
        let data = Self.data(rows: 500, seed: 10, classes: [0, 1, 2])
        let model = try Self.fit(data, [("objective", "multiclass"), ("num_iterations", "5")])
        let decoded = try JSONDecoder().decode(GBDTModel.self, from: JSONEncoder().encode(model))
        #expect(decoded == model)
        // tunekit 0.1 wrote one `initialScore` and no classes.
        let regression = try GBDTTests.fit(GBDTTests.data(rows: 300, seed: 1), [("num_iterations", "3")])
        var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(regression)) as? [String: Any])
        object["initialScore"] = regression.initialScores[0]
        object["initialScores"] = nil
        let old = try JSONDecoder().decode(GBDTModel.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old == regression)
    }
}

@Suite struct ClassificationMetricsTests {
    /// scikit-learn's documented examples: roc_auc_score and average_precision_score of [0.1, 0.4, 0.35, 0.8]
    /// against [0, 0, 1, 1] are 0.75 and 0.8333…; log_loss of its spam/ham example is 0.21616…
    @Test func matchScikitLearnsDocumentedValues() {
        let scores = [0.1, 0.4, 0.35, 0.8]
        let metrics = ClassificationMetrics(probabilities: [scores.map { 1 - $0 }, scores], classes: [0, 1], targets: [0, 0, 1, 1])
        #expect(abs(metrics.auc - 0.75) < 1e-15)
        #expect(abs(metrics.averagePrecision - 0.8333333333333333) < 1e-15)
        // Predicted labels 0, 0, 0, 1: one of two positives found, the only positive prediction right.
        #expect(metrics.accuracy == 0.75)
        #expect(metrics.precision == 1)
        #expect(metrics.recall == 0.5)
        #expect(abs(metrics.f1 - 2.0 / 3.0) < 1e-15)
        // log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]): classes ham, spam.
        let spam = [0.9, 0.1, 0.2, 0.65]
        let loss = ClassificationMetrics(probabilities: [spam.map { 1 - $0 }, spam], classes: [0, 1], targets: [1, 0, 0, 1]).logloss
        #expect(abs(loss - 0.21616187468057912) < 1e-12)
    }

    @Test func tiedScoresCountHalfAndOneClassIsUndefined() {
        let tied = ClassificationMetrics(probabilities: [[0.5, 0.5], [0.5, 0.5]], classes: [0, 1], targets: [0, 1])
        #expect(tied.auc == 0.5)
        let single = ClassificationMetrics(probabilities: [[0.2, 0.4], [0.8, 0.6]], classes: [0, 1], targets: [1, 1])
        #expect(single.auc.isNaN)
        #expect(single.accuracy == 1)
        // Undefined metrics are left out of the JSON (which has no NaN).
        let json = String(decoding: try! JSONEncoder().encode(single.modelMetrics), as: UTF8.self)
        #expect(!json.contains("auc"))
        #expect(json.contains("accuracy"))
    }

    /// Macro averages over three classes, worked by hand: predictions 0, 1, 1, 2 for truths 0, 1, 2, 2.
    @Test func multiclassAveragesAreMacro() {
        let p: [[Double]] = [[0.8, 0.1, 0.1, 0.1], [0.1, 0.8, 0.5, 0.2], [0.1, 0.1, 0.4, 0.7]]
        let metrics = ClassificationMetrics(probabilities: p, classes: [0, 1, 2], targets: [0, 1, 2, 2])
        #expect(metrics.accuracy == 0.75)
        // precision: 1, 1/2, 1 → 5/6; recall: 1, 1, 1/2 → 5/6; f1: 1, 2/3, 2/3 → 7/9.
        #expect(abs(metrics.precision - 5.0 / 6) < 1e-15)
        #expect(abs(metrics.recall - 5.0 / 6) < 1e-15)
        #expect(abs(metrics.f1 - 7.0 / 9) < 1e-15)
        #expect(metrics.auc == 1)
        #expect(metrics.averagePrecision.isNaN)
    }
}
