import TestSupport
import Testing
import NumericKernels
@testable import Trainers

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
        #expect(data.categoricalFeatures == [0], "text columns are categorical features for gbdt")
        #expect(data.rows(0..<2).categoricalFeatures == [0] && data.withTarget([0, 1, 0]).categoricalFeatures == [0])
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
        #expect(throws: TrainerError.self) { try FeatureEncoding.fit(train, target: "missing") }
        // An unseen category is a missing value, as in LightGBM, and is counted.
        let other = try DataTable.read(csv: directory.write("new.csv", "site,y\nc,1\nb,1\nc,2\n"))
        let (data, unseen) = try FeatureEncoding.fit(train, target: "y").encoded(other)
        #expect(data.column(0).map { $0.isNaN } == [true, false, true] && data.column(0)[1] == 1)
        #expect(unseen == [FeatureEncoding.UnseenValues(column: "site", rows: 2, example: "c", isDate: false)])
    }

    @Test func rowsAndAppendKeepOrder() {
        let data = Dataset(featureNames: ["a", "b"], columns: [[1, 2, 3, 4], [5, 6, 7, 8]], target: [9, 10, 11, 12])
        let head = data.rows(0..<2), tail = data.rows(2..<4)
        #expect(Array(tail.column(1)) == [7, 8])
        let joined = head.appending(tail)
        #expect(joined.features == data.features)
        #expect(joined.target == data.target)
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

@Suite struct TableEncodingTests {
    @Test func dateLayoutsAreFoundAndExpanded() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        // 1/12/2017 is day first (a Friday); 2025-06-01T13 is a Sunday at 13:00; 12/31/2024 must be month first.
        let table = try DataTable.read(csv: directory.write("dates.csv", """
            day,stamp,us,y
            1/12/2017,2025-06-01T13,12/31/2024,1
            30/11/2018,2025-06-02 07:30:00Z,1/2/2025,2
            ,2025-06-03,2/1/2025,3
            """))
        let encoding = try FeatureEncoding.fit(table, target: "y")
        #expect(encoding.featureNames == ["day_year", "day_month", "day_day", "day_weekday", "stamp_year", "stamp_month",
                                          "stamp_day", "stamp_weekday", "stamp_hour", "us_year", "us_month", "us_day", "us_weekday"])
        #expect(encoding.dates?.map(\.order) == [.dayFirst, .yearFirst, .monthFirst])
        let data = try encoding.dataset(from: table)
        func row(_ i: Int) -> [Double] { (0..<data.featureCount).map { data.features[i, $0] } }
        #expect(Array(row(0)[0..<9]) == [2017, 12, 1, 4, 2025, 6, 1, 6, 13])
        #expect(Array(row(0)[9...]) == [2024, 12, 31, 1])
        #expect(row(1)[8] == 7 && row(2)[0].isNaN && row(2)[8].isNaN)
        // Known weekdays (Monday 0): 1970-01-01 Thursday, 2000-02-29 Tuesday, 2024-12-31 Tuesday.
        #expect(DateColumn.weekday(year: 1970, month: 1, day: 1) == 3)
        #expect(DateColumn.weekday(year: 2000, month: 2, day: 29) == 1)
        #expect(DateColumn.weekday(year: 1969, month: 12, day: 31) == 2)
    }

    @Test func textThatIsNotADateStaysACategory() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        // 31 April does not exist; 13/13/2020 has no order; a version string is not a date.
        let table = try DataTable.read(csv: directory.write("t.csv", "a,b,c,y\n31/04/2018,13/13/2020,1.2.3,1\n1/4/2018,1/1/2020,1.2.4,2\n"))
        let encoding = try FeatureEncoding.fit(table, target: "y")
        #expect(encoding.dates == nil && encoding.featureNames == ["a", "b", "c"])
        #expect { try FeatureEncoding.fit(table, target: "y", dateColumns: ["a"]) } throws: {
            "\($0)".contains("line 2") && "\($0)".contains("'31/04/2018' is not a date")
        }
    }

    @Test func highCardinalityTextIsRefusedUnlessNamedCategorical() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var text = "id,site,y\n"
        for i in 0..<400 { text += "user-\(i),s\(i % 4),\(i)\n" }
        let table = try DataTable.read(csv: directory.write("ids.csv", text))
        #expect { try FeatureEncoding.fit(table, target: "y") } throws: {
            "\($0)".contains("field 'id'") && "\($0)".contains("400 distinct values in 400 rows")
                && "\($0)".contains("--ignore-columns id") && "\($0)".contains("--categorical-columns id")
        }
        #expect(try FeatureEncoding.fit(table, target: "y", ignoring: ["id"]).featureNames == ["site"])
        #expect(try FeatureEncoding.fit(table, target: "y", categoricalColumns: ["id"]).categories["id"]?.count == 400)
        #expect { try FeatureEncoding.fit(table, target: "y", categoricalColumns: ["nope"]) } throws: { "\($0)".contains("categorical column not found") }
    }
}
