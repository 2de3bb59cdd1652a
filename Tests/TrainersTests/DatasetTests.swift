import TestSupport
import Testing
import Trainers

@Suite struct DatasetTests {
    @Test func csvReaderHandlesQuotesCRLFAndBOM() throws {
        let text = "\u{FEFF}a,b\r\n\"x, \"\"quoted\"\"\",2\r\n\"multi\nline\",3\r\n"
        let reader = CSVReader(bytes: Array(text.utf8), file: "t.csv")
        var records: [([String], Int)] = []
        try reader.forEachRecord { fields, line in records.append((fields, line)) }
        #expect(records.map(\.0) == [["a", "b"], ["x, \"quoted\"", "2"], ["multi\nline", "3"]])
        #expect(records.map(\.1) == [1, 2, 3])
    }

    @Test func unterminatedQuoteNamesTheLine() {
        let reader = CSVReader(bytes: Array("a,b\n1,\"oops\n".utf8), file: "bad.csv")
        #expect(throws: TrainerError.invalidData(file: "bad.csv", line: 2, field: nil, message: "unterminated quoted field")) {
            try reader.forEachRecord { _, _ in }
        }
    }

    @Test func rowWithWrongFieldCountNamesFileAndLine() {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.write("t.csv", "a,b,y\n1,2,3\n4,5\n")
        #expect(throws: TrainerError.invalidData(file: path, line: 3, field: nil, message: "has 2 fields, the header has 3")) {
            try DataTable.read(csv: path)
        }
    }

    @Test func textColumnsAreCodedAndTheMappingIsKept() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.write("t.csv", "site,x,y\nsouth,1,2\nnorth,2,3\nsouth,,4\n")
        let table = try DataTable.read(csv: path)
        let encoding = try FeatureEncoding.fit(table, target: "y")
        #expect(encoding.featureNames == ["site", "x"])
        #expect(encoding.categories == ["site": ["north", "south"]])
        let data = try encoding.dataset(from: table)
        #expect(Array(data.column(0)) == [1, 0, 1])
        #expect(data.column(1).last!.isNaN)
        #expect(data.target == [2, 3, 4])
    }

    @Test func nonNumericTargetAndUnseenCategoryAreLocated() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let bad = directory.write("bad.csv", "x,y\n1,2\n2,many\n")
        let table = try DataTable.read(csv: bad)
        #expect(throws: TrainerError.invalidData(file: bad, line: 3, field: "y", message: "target must be numeric, found 'many'")) {
            try FeatureEncoding.fit(table, target: "y").dataset(from: table)
        }
        let train = try DataTable.read(csv: directory.write("train.csv", "site,y\na,1\nb,2\n"))
        let other = try DataTable.read(csv: directory.write("new.csv", "site,y\nc,1\n"))
        #expect(throws: TrainerError.self) { try FeatureEncoding.fit(train, target: "y").dataset(from: other) }
        #expect(throws: TrainerError.self) { try FeatureEncoding.fit(train, target: "missing") }
    }

    @Test func rowsAndAppendKeepOrder() {
        let data = Dataset(featureNames: ["a", "b"], columns: [[1, 2, 3, 4], [5, 6, 7, 8]], target: [9, 10, 11, 12])
        let head = data.rows(0..<2), tail = data.rows(2..<4)
        #expect(Array(tail.column(1)) == [7, 8])
        let joined = head.appending(tail)
        #expect(joined.features == data.features && joined.target == data.target)
    }
}

@Suite struct MetricsTests {
    @Test func handComputedScores() {
        // errors: 1, -1, 2, 0 → RMSE √1.5, MAE 1; mean target 4.5, SS_tot = 5 + 6.25·… computed below.
        let targets: [Double] = [2, 4, 6, 6]
        let predictions: [Double] = [1, 5, 4, 6]
        let metrics = RegressionMetrics(predictions: predictions, targets: targets)
        #expect(abs(metrics.rmse - 1.5.squareRoot()) < 1e-15)
        #expect(metrics.mae == 1)
        // SS_res = 6, SS_tot = 6.25 + 0.25 + 2.25 + 2.25 = 11.
        #expect(abs(metrics.r2 - (1 - 6.0 / 11.0)) < 1e-15)
        #expect(abs(metrics.mape - (0.5 + 0.25 + 1.0 / 3.0 + 0) / 4) < 1e-15)
    }

    @Test func mapeStaysFiniteOnZeroCounts() {
        #expect(RegressionMetrics(predictions: [3], targets: [0]).mape == 3)
    }
}
