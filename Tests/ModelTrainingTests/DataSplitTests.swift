import Foundation
@testable import ModelTraining
import TestSupport
import Testing
import Trainers

/// Splits as users have them: fractions to the nearest row, a seeded shuffle, a split column, a time column, separate
/// validation and test files.
@Suite struct DataSplitTests {
    static func load(_ arguments: [String]) throws -> LoadedData {
        try DataLoader.load(try TrainInvocation.parse(arguments).data)
    }

    /// `x` counts rows, so a split's `x` values say which rows it holds.
    static func xs(_ data: Dataset) -> [Int] { data.column(data.featureNames.firstIndex(of: "x")!).map { Int($0) } }

    static func table(_ directory: TemporaryDirectory, rows: Int, extra: (Int) -> String = { _ in "" }, header: String = "") -> String {
        let lines = (0..<rows).map { "\($0),\(Double($0 % 7) * 1.5 + Double($0) / 100)\(extra($0))" }
        return directory.write("data-\(rows)\(header).csv", "x,y\(header)\n" + lines.joined(separator: "\n") + "\n")
    }

    @Test func fractionsCountRowsToTheNearestRowAndSayTheirCounts() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        // 0.29 × 100 is 28.999999999999996: truncated it held out 28 rows.
        let data = try Self.load(["--data", Self.table(directory, rows: 100), "--target", "y", "--valid-fraction=0.29", "--test-fraction=0.1"])
        #expect(data.splits.train.rowCount == 61)
        #expect(data.splits.validation.rowCount == 29)
        #expect(data.splits.test?.rowCount == 10)
        #expect(Self.xs(data.splits.test!) == Array(90..<100), "without a shuffle the latest rows are held out")
    }

    @Test func aSeededShuffleSplitsAtRandomTheSameWayEachTime() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = Self.table(directory, rows: 200)
        let arguments = ["--data", csv, "--target", "y", "--valid-fraction=0.2", "--test-fraction=0.1", "--shuffle-seed=7"]
        let first = try Self.load(arguments), again = try Self.load(arguments)
        let other = try Self.load(arguments.dropLast() + ["--shuffle-seed=8"])
        let parts = [first.splits.train, first.splits.validation, first.splits.test!].map(Self.xs)
        #expect(parts.map(\.count) == [140, 40, 20])
        #expect(parts.allSatisfy { $0 == $0.sorted() }, "each split keeps file order")
        #expect(Set(parts.joined()) == Set(0..<200))
        #expect(Self.xs(again.splits.validation) == parts[1] && Self.xs(other.splits.validation) != parts[1])
        #expect(parts[2] != Array(180..<200), "not the latest rows")
    }

    @Test func aSplitColumnNamesEachRowsSplitAndIsNotAFeature() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let names = ["train", "train", "Valid", "test", "train", " validation "]
        let csv = Self.table(directory, rows: 60, extra: { ",\(names[$0 % names.count])" }, header: ",part")
        let data = try Self.load(["--data", csv, "--target", "y", "--split-column", "part"])
        #expect(data.splits.train.rowCount == 30)
        #expect(data.splits.validation.rowCount == 20)
        #expect(data.splits.test?.rowCount == 10)
        #expect(data.splits.train.featureNames == ["x"])
        let bad = Self.table(directory, rows: 10, extra: { $0 == 4 ? ",holdout" : ",train" }, header: ",split")
        #expect(throws: TunekitError.data("\(bad), line 6: --split-column split has 'holdout'; each row must be train, valid or test")) {
            try Self.load(["--data", bad, "--target", "y", "--split-column", "split"])
        }
        #expect(throws: TunekitError.self) { try Self.load(["--data", csv, "--target", "y", "--split-column", "part", "--valid-fraction=0.1"]) }
    }

    @Test func aTimeColumnSplitsByValueAndRefusesOverlaps() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let months = (0..<48).map { String(format: "2024-%02d", $0 / 4 + 1) }
        let csv = Self.table(directory, rows: 48, extra: { ",\(months[$0])" }, header: ",month")
        let data = try Self.load(["--data", csv, "--target", "y", "--time-column", "month", "--valid-from", "2024-10", "--test-from", "2024-12"])
        #expect(data.splits.train.rowCount == 36)
        #expect(data.splits.validation.rowCount == 8)
        #expect(data.splits.test?.rowCount == 4)
        #expect(Self.xs(data.splits.test!) == Array(44..<48))
        // Numbers compare as numbers (10 after 9), not as text.
        let numeric = try Self.load(["--data", csv, "--target", "y", "--time-column", "x", "--test-from", "9"])
        #expect(numeric.splits.test?.rowCount == 39)
        #expect(numeric.splits.validation.rowCount == 0)
        #expect(throws: TunekitError.invalidArguments("--valid-from 2024-12 is after --test-from 2024-10: the validation and test ranges would overlap")) {
            try Self.load(["--data", csv, "--target", "y", "--time-column", "month", "--valid-from", "2024-12", "--test-from", "2024-10"])
        }
        #expect(throws: TunekitError.self) { try TrainInvocation.parse(["--data", csv, "--time-column", "month"]) }
        #expect(throws: TunekitError.self) { try TrainInvocation.parse(["--data", csv, "--test-from", "2024-10"]) }
    }

    @Test func separateValidationAndTestFiles() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let train = Self.table(directory, rows: 50), valid = Self.table(directory, rows: 12), test = Self.table(directory, rows: 7)
        let data = try Self.load(["--data", train, "--target", "y", "--valid", valid, "--test", test])
        #expect(data.splits.train.rowCount == 50)
        #expect(data.splits.validation.rowCount == 12)
        #expect(data.splits.test?.rowCount == 7)
        #expect(data.inputFiles == [train, valid, test])
        #expect(throws: TunekitError.self) { try TrainInvocation.parse(["--data", train, "--test", test, "--test-fraction=0.1"]) }
        #expect(throws: TunekitError.self) {
            try Self.load(["--data", PackagePaths.file("datasets/seoul-traffic"), "--shuffle-seed=1"])
        }
    }
}

@Suite struct StratifiedSplitTests {
    /// A rare class (10 % of rows) keeps its share in validation and test; without --stratify a small validation split
    /// can miss it.
    @Test func eachClassKeepsItsShareInEverySplit() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let rows = (0..<200).map { "\($0),\($0 % 10 == 0 ? "rare" : "common")" }
        let csv = directory.write("classes.csv", "x,label\n" + rows.joined(separator: "\n") + "\n")
        let arguments = ["--data", csv, "--target", "label", "--valid-fraction=0.2", "--test-fraction=0.1", "--shuffle-seed=3"]
        let data = try DataSplitTests.load(arguments + ["--stratify"])
        func rare(_ split: Dataset) -> Int { DataSplitTests.xs(split).filter { $0 % 10 == 0 }.count }
        #expect(rare(data.splits.train) == 14 && rare(data.splits.validation) == 4 && rare(data.splits.test!) == 2)
        #expect(data.splits.validation.rowCount == 40)
        #expect(data.splits.test?.rowCount == 20)
        #expect(throws: TunekitError.self) { try TrainInvocation.parse(["--data", csv, "--target", "label", "--stratify"]) }
    }
}
