import Foundation
import TestSupport
import Testing
import Trainers
@testable import ExperimentRunner

/// `--cv K` and `--fold-column`: folds that partition the training rows (stratified for classifiers, time-ordered
/// with a time column), trials scored by the folds' mean and standard deviation, the model fitted on every training
/// row with the folds' mean best iteration. Also `--split-values` and `--weight-column`.
@Suite struct CrossValidationTests {
    static let load = DataSplitTests.load
    static let xs = DataSplitTests.xs

    /// Every training row validates in exactly one fold and trains in the others.
    static func checkPartition(_ folds: [CrossValidationFold], rows: Int) {
        var validated = [Int](repeating: 0, count: rows)
        for fold in folds {
            for row in fold.validation { validated[row] += 1 }
            #expect(Set(fold.train).isDisjoint(with: fold.validation) && fold.train.count + fold.validation.count == rows)
        }
        #expect(validated.allSatisfy { $0 == 1 })
    }

    @Test func kFoldPartitionsTheTrainingRowsInFileOrderOrShuffledBySeed() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = DataSplitTests.table(directory, rows: 103)
        let plain = try Self.load(["--data", csv, "--target", "y", "--cv", "5", "--test-fraction=0.1"])
        #expect(plain.splits.train.rowCount == 93 && plain.splits.validation.rowCount == 0 && plain.splits.test?.rowCount == 10)
        let folds = try #require(plain.folds)
        #expect(folds.count == 5)
        Self.checkPartition(folds, rows: 93)
        #expect(folds[0].validation == Array(0..<19) && folds[4].validation == Array(75..<93), "contiguous blocks")
        #expect(Set(folds.map(\.validation.count)) == [18, 19])
        let shuffled = try Self.load(["--data", csv, "--target", "y", "--cv", "5", "--shuffle-seed", "4"])
        let again = try Self.load(["--data", csv, "--target", "y", "--cv", "5", "--shuffle-seed", "4"])
        Self.checkPartition(try #require(shuffled.folds), rows: 103)
        #expect(shuffled.folds == again.folds && shuffled.folds?[0].validation != Array(0..<21))
        #expect(throws: RunnerError.self) { try TrainInvocation.parse(["--data", csv, "--cv", "5", "--valid-fraction=0.2"]) }
        #expect(throws: RunnerError.self) { try TrainInvocation.parse(["--data", csv, "--cv", "1"]) }
        #expect(throws: RunnerError.self) {
            try Self.load(["--data", PackagePaths.file("datasets/seoul-traffic"), "--cv", "3"])
        }
    }

    /// A classifier's folds are stratified without being asked (and say so); each holds its share of the rare class.
    @Test func aClassifiersFoldsAreStratified() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let rows = (0..<200).map { "\($0),\($0 % 10 == 0 ? "rare" : "common")" }
        let csv = directory.write("classes.csv", "x,label\n" + rows.joined(separator: "\n") + "\n")
        let invocation = try TrainInvocation.parse(["--data", csv, "--target", "label", "--trainer", "logistic", "--cv", "4", "--shuffle-seed", "1"])
        #expect(invocation.data.stratify == true && invocation.notes.contains { $0.contains("stratified") })
        let data = try DataLoader.load(invocation.data)
        let folds = try #require(data.folds)
        Self.checkPartition(folds, rows: 200)
        let x = Self.xs(data.splits.train)
        #expect(folds.allSatisfy { fold in fold.validation.filter { x[$0] % 10 == 0 }.count == 5 })
        let unstratified = try TrainInvocation.parse(["--data", csv, "--target", "label", "--trainer", "logistic", "--cv", "4", "--stratify=false"])
        #expect(unstratified.data.stratify != true)
    }

    /// Time-ordered folds: each fold trains only on times before the ones it validates, never splits one time between
    /// the two, and leaves the test rows out.
    @Test func timeFoldsTrainOnThePastOnly() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let months = (0..<120).map { String(format: "2024-%02d", $0 / 10 + 1) }
        let csv = DataSplitTests.table(directory, rows: 120, extra: { ",\(months[$0])" }, header: ",month")
        let data = try Self.load(["--data", csv, "--target", "y", "--time-column", "month", "--test-from", "2024-12", "--cv", "3"])
        #expect(data.splits.test?.rowCount == 10 && data.splits.train.rowCount == 110)
        let folds = try #require(data.folds)
        #expect(folds.count == 3)
        let month = { (row: Int) in months[Self.xs(data.splits.train)[row]] }
        for fold in folds {
            #expect(!fold.validation.isEmpty)
            #expect(fold.train.map(month).max()! < fold.validation.map(month).min()!)
        }
        #expect(folds.last!.train.count + folds.last!.validation.count == 110)
        #expect(throws: RunnerError.self) {
            try Self.load(["--data", csv, "--target", "y", "--time-column", "month", "--test-from", "2024-03", "--cv", "5"])
        }
    }

    @Test func aFoldColumnNamesTheFolds() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = DataSplitTests.table(directory, rows: 60, extra: { ",g\($0 % 3)" }, header: ",fold")
        let data = try Self.load(["--data", csv, "--target", "y", "--fold-column", "fold"])
        let folds = try #require(data.folds)
        #expect(folds.count == 3 && data.splits.train.featureNames == ["x"])
        Self.checkPartition(folds, rows: 60)
        #expect(folds[1].validation.allSatisfy { $0 % 3 == 1 })
        #expect(throws: RunnerError.self) { try Self.load(["--data", csv, "--target", "y", "--fold-column", "fold", "--cv", "4"]) }
    }

    /// `--split-values` maps a column's own values to splits; a value it does not list is an error naming it.
    @Test func splitValuesMapAColumnsOwnValues() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = DataSplitTests.table(directory, rows: 30, extra: { ",\(["TR", "TR", "VA", "TE", "TR"][$0 % 5])" }, header: ",part")
        let data = try Self.load(["--data", csv, "--target", "y", "--split-column", "part", "--split-values", "TR=train,VA=valid,TE=test"])
        #expect(data.splits.train.rowCount == 18 && data.splits.validation.rowCount == 6 && data.splits.test?.rowCount == 6)
        #expect(throws: RunnerError.data("\(csv), line 5: --split-column part has 'TE'; each row must be TR, VA (--split-values)")) {
            try Self.load(["--data", csv, "--target", "y", "--split-column", "part", "--split-values", "TR=train,VA=valid"])
        }
        #expect(throws: RunnerError.self) { try TrainInvocation.parse(["--data", csv, "--split-values", "TR=train"]) }
        #expect(throws: RunnerError.self) { try TrainInvocation.parse(["--data", csv, "--split-column", "part", "--split-values", "TR=holdout"]) }
    }

    /// The weight column is not a feature, reaches every split (separate files too), and a bad weight names its line.
    @Test func aWeightColumnWeighsEverySplit() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = DataSplitTests.table(directory, rows: 40, extra: { ",\(1 + $0 % 3)" }, header: ",w")
        let valid = DataSplitTests.table(directory, rows: 9, extra: { ",\($0 % 2)" }, header: ",w")
        let data = try Self.load(["--data", csv, "--target", "y", "--weight-column", "w", "--valid", valid])
        #expect(data.splits.train.featureNames == ["x"])
        #expect(data.splits.train.weights == (0..<40).map { Double(1 + $0 % 3) })
        #expect(data.splits.validation.weights == (0..<9).map { Double($0 % 2) })
        let bad = DataSplitTests.table(directory, rows: 10, extra: { $0 == 6 ? ",-2" : ",1" }, header: ",weight")
        #expect(throws: RunnerError.data("\(bad), line 8: --weight-column weight is '-2.0'; every row needs a weight, a number ≥ 0")) {
            try Self.load(["--data", bad, "--target", "y", "--weight-column", "weight"])
        }
    }

    /// A trial's cross-validated metrics are the folds' mean and standard deviation, each fold as if fitted alone;
    /// gbdt's model on every training row takes the mean of the folds' best iterations.
    @Test func crossValidatedMetricsAreTheFoldsMeanAndDeviation() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = DataSplitTests.table(directory, rows: 300)
        let ridge = try TrainInvocation.parse(["--data", csv, "--target", "y", "--cv", "3", "--shuffle-seed", "2", "--alpha=0.5"])
        let result = try await Training.run(ridge, cache: TrainingCache())
        let folds = try #require(result.data.folds)
        let pool = result.data.splits.train
        let alone = try folds.map { fold in
            let model = try TrainerRegistry.prepare("ridge", data: pool.rows(at: fold.train)).fit([("alpha", "0.5")])
            return try #require(Training.evaluate(model, on: pool.rows(at: fold.validation))["rmse"])
        }
        let mean = alone.reduce(0, +) / 3
        let deviation = (alone.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 3).squareRoot()
        #expect(abs(result.metrics["rmse"]! - mean) <= 1e-9 && abs(result.metrics["rmse-stdv"]! - deviation) <= 1e-9)
        #expect(result.scoredSplit == "cross-validation" && result.model.featureNames == ["x"])

        let gbdt = try TrainInvocation.parse([
            "--data", csv, "--target", "y", "--cv", "3", "--trainer", "gbdt", "--num_iterations=300", "--early_stopping_rounds=5",
            "--learning_rate=0.3",
        ])
        let boosted = try await Training.run(gbdt, cache: TrainingCache())
        let crossValidation = try #require(boosted.crossValidation)
        let best = try #require(crossValidation.bestIterations)
        #expect(best.count == 3 && best.allSatisfy { $0 < 300 })
        let meanBest = Int((Double(best.reduce(0, +)) / 3).rounded())
        #expect(crossValidation.meanBestIteration == meanBest && boosted.model.iterationsKept == meanBest)
        let again = try await Training.crossValidate(gbdt, cache: TrainingCache())
        #expect(again.metrics == crossValidation.metrics, "deterministic, folds in parallel or not")
    }
}
