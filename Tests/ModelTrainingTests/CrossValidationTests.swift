import Foundation
@testable import ModelTraining
import TestSupport
import Testing
import Trainers

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
            #expect(Set(fold.train).isDisjoint(with: fold.validation))
            #expect(fold.train.count + fold.validation.count == rows)
        }
        #expect(validated.allSatisfy { $0 == 1 })
    }

    @Test func kFoldPartitionsTheTrainingRowsInFileOrderOrShuffledBySeed() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = DataSplitTests.table(directory, rows: 103)
        let plain = try Self.load(["--data", csv, "--target", "y", "--cv", "5", "--test-fraction=0.1"])
        #expect(plain.splits.train.rowCount == 93)
        #expect(plain.splits.validation.rowCount == 0)
        #expect(plain.splits.test?.rowCount == 10)
        let folds = try #require(plain.folds)
        #expect(folds.count == 5)
        Self.checkPartition(folds, rows: 93)
        #expect(folds[0].validation == Array(0..<19) && folds[4].validation == Array(75..<93), "contiguous blocks")
        #expect(Set(folds.map(\.validation.count)) == [18, 19])
        let shuffled = try Self.load(["--data", csv, "--target", "y", "--cv", "5", "--shuffle-seed", "4"])
        let again = try Self.load(["--data", csv, "--target", "y", "--cv", "5", "--shuffle-seed", "4"])
        Self.checkPartition(try #require(shuffled.folds), rows: 103)
        #expect(shuffled.folds == again.folds && shuffled.folds?[0].validation != Array(0..<21))
        #expect(throws: TunekitError.self) { try TrainInvocation.parse(["--data", csv, "--cv", "5", "--valid-fraction=0.2"]) }
        #expect(throws: TunekitError.self) { try TrainInvocation.parse(["--data", csv, "--cv", "1"]) }
        #expect(throws: TunekitError.self) {
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
        #expect(invocation.data.stratify == true)
        #expect(invocation.notes.contains { $0.contains("stratified") })
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
        #expect(data.splits.test?.rowCount == 10)
        #expect(data.splits.train.rowCount == 110)
        let folds = try #require(data.folds)
        #expect(folds.count == 3)
        let month = { (row: Int) in months[Self.xs(data.splits.train)[row]] }
        for fold in folds {
            #expect(!fold.validation.isEmpty)
            #expect(fold.train.map(month).max()! < fold.validation.map(month).min()!)
        }
        #expect(folds.last!.train.count + folds.last!.validation.count == 110)
        #expect(throws: TunekitError.self) {
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
        #expect(throws: TunekitError.self) { try Self.load(["--data", csv, "--target", "y", "--fold-column", "fold", "--cv", "4"]) }
    }

    /// `--split-values` maps a column's own values to splits; a value it does not list is an error naming it.
    @Test func splitValuesMapAColumnsOwnValues() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = DataSplitTests.table(directory, rows: 30, extra: { ",\(["TR", "TR", "VA", "TE", "TR"][$0 % 5])" }, header: ",part")
        let data = try Self.load(["--data", csv, "--target", "y", "--split-column", "part", "--split-values", "TR=train,VA=valid,TE=test"])
        #expect(data.splits.train.rowCount == 18)
        #expect(data.splits.validation.rowCount == 6)
        #expect(data.splits.test?.rowCount == 6)
        #expect(throws: TunekitError.data("\(csv), line 5: --split-column part has 'TE'; each row must be TR, VA (--split-values)")) {
            try Self.load(["--data", csv, "--target", "y", "--split-column", "part", "--split-values", "TR=train,VA=valid"])
        }
        #expect(throws: TunekitError.self) { try TrainInvocation.parse(["--data", csv, "--split-values", "TR=train"]) }
        #expect(throws: TunekitError.self) { try TrainInvocation.parse(["--data", csv, "--split-column", "part", "--split-values", "TR=holdout"]) }
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
        #expect(throws: TunekitError.data("\(bad), line 8: --weight-column weight is '-2'; every row needs a weight, 0 or a number from 1e-100 to 1e100")) {
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
        #expect(best.count == 3)
        #expect(best.allSatisfy { $0 < 300 })
        let meanBest = Int((Double(best.reduce(0, +)) / 3).rounded())
        #expect(crossValidation.meanBestIteration == meanBest)
        #expect(boosted.model.iterationsKept == meanBest)
        let again = try await Training.crossValidate(gbdt, cache: TrainingCache())
        #expect(again.metrics == crossValidation.metrics, "deterministic, folds in parallel or not")
    }

    /// Found by attacking the feature: classes smaller than the fold count, weights summing to 0 where rows are scored,
    /// numeric split and time columns, missing columns, stratified rounding, regression targets under --stratify.
    @Test func smallClassesStillFillEveryStratifiedFold() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        // 5 classes of 2 rows each, 5 folds: dealt in turn, every fold holds 2 rows.
        let rows = (0..<10).map { "\($0),\($0 % 3),c\($0 / 2)" }
        let csv = directory.write("small.csv", "x,z,label\n" + rows.joined(separator: "\n") + "\n")
        let invocation = try TrainInvocation.parse(["--data", csv, "--target", "label", "--trainer", "logistic", "--cv", "5"])
        let folds = try #require(try DataLoader.load(invocation.data).folds)
        #expect(folds.allSatisfy { $0.validation.count == 2 })
        Self.checkPartition(folds, rows: 10)
        // Logistic on folds missing a class fits or fails with an error, never a crash.
        _ = try? await Training.run(invocation, cache: TrainingCache())
    }

    @Test func scoredRowsWhoseWeightsSumToZeroAreRefused() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = DataSplitTests.table(directory, rows: 50, extra: { ",\($0 >= 40 ? 0 : 1)" }, header: ",w")
        #expect(throws: TunekitError.data("\(csv): the weights of the validation rows sum to 0, so no metric can be computed on them")) {
            try Self.load(["--data", csv, "--target", "y", "--weight-column", "w"])
        }
        #expect(RegressionMetrics(predictions: [1, 2], targets: [1, 2], weights: [0, 0]).r2.isNaN, "no rows, no perfect score")
        #expect(throws: TunekitError.data("\(csv): no column 'nope' (--weight-column); columns are x, y, w")) {
            try Self.load(["--data", csv, "--target", "y", "--weight-column", "nope"])
        }
        let huge = DataSplitTests.table(directory, rows: 20, extra: { $0 == 3 ? ",1e200" : ",1" }, header: ",w")
        #expect(throws: TunekitError.self) { try Self.load(["--data", huge, "--target", "y", "--weight-column", "w"]) }
    }

    @Test func numericSplitAndTimeColumnsReadAsWritten() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = DataSplitTests.table(directory, rows: 30, extra: { ",\([1, 1, 2, 3, 1][$0 % 5])" }, header: ",part")
        let data = try Self.load(["--data", csv, "--target", "y", "--split-column", "part", "--split-values", "1=train,2=valid,3=test"])
        #expect(data.splits.train.rowCount == 18)
        #expect(data.splits.validation.rowCount == 6)
        #expect(data.splits.test?.rowCount == 6)
        let gap = DataSplitTests.table(directory, rows: 12, extra: { $0 == 4 ? "," : ",\($0)" }, header: ",t")
        #expect(throws: TunekitError.data("\(gap), line 6: --time-column t is empty; every row needs a time to be split by it")) {
            try Self.load(["--data", gap, "--target", "y", "--time-column", "t", "--test-from", "9"])
        }
    }

    @Test func stratifiedFractionsRoundTheTotalOnce() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let rows = (0..<300).map { "\($0),k\($0 % 7)" }
        let csv = directory.write("classes.csv", "x,label\n" + rows.joined(separator: "\n") + "\n")
        let data = try DataSplitTests.load(["--data", csv, "--target", "label", "--test-fraction=0.15", "--valid-fraction=0.1", "--shuffle-seed=2", "--stratify"])
        #expect(data.splits.test?.rowCount == 45)
        #expect(data.splits.validation.rowCount == 30)
        #expect(data.splits.train.rowCount == 225)
        #expect(DataLoader.apportion(3, among: [1, 1, 1, 1, 1, 1]) == [1, 1, 1, 0, 0, 0])
        #expect(DataLoader.apportion(10, among: [4, 3, 2]).reduce(0, +) == 9, "never more than the rows")
        let regression = DataSplitTests.table(directory, rows: 300)
        #expect(throws: TunekitError.self) {
            try DataSplitTests.load(["--data", regression, "--target", "y", "--test-fraction=0.2", "--shuffle-seed=1", "--stratify"])
        }
    }

    /// `datasets split` says which folds each row trains in: time-ordered folds train on earlier rows only.
    @Test func theAssignmentListsTheFoldsEachRowTrainsIn() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = DataSplitTests.table(directory, rows: 40)
        let spec = try TrainInvocation.parse(["--data", csv, "--target", "y", "--time-column", "x", "--cv", "3"]).data
        let rows = try DataLoader.assignment(spec)
        #expect(rows[0].fold == nil && rows[0].trainsIn == [1, 2, 3], "the first block only trains")
        #expect(rows[39].fold == 3 && rows[39].trainsIn.isEmpty, "the last block only validates")
        #expect(rows[15].fold == 1 && rows[15].trainsIn == [2, 3])
    }
}
