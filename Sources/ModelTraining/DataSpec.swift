public import TrafficData

/// Where training data comes from and how it is split; equal specs load equal data (and share a cache entry).
public struct DataSpec: Sendable, Hashable, Codable {
    /// A directory (or file) of VolInfo monthly CSVs, or a plain CSV with a header.
    public var path: String
    /// Target column of a plain CSV (VolInfo data always predicts `volume`).
    public var target: String?
    /// Separate validation CSV for plain CSV data.
    public var validPath: String?
    /// Plain CSV: the last fraction of rows (before the test rows) used for validation; 0 trains on every row.
    public var validFraction: Double
    /// Plain CSV: the last fraction of rows held out for testing.
    public var testFraction: Double
    /// Plain CSV columns that are not features.
    public var ignoredColumns: [String]
    /// Plain CSV text columns read as dates (others are found when every value is a date); nil = none named.
    public var dateColumns: [String]?
    /// Plain CSV columns kept as categories whatever their number of distinct values; nil = none named.
    public var categoricalColumns: [String]?
    /// A binary target instead of the numeric one: 1 where it exceeds this value, else 0.
    public var targetAbove: Double?
    /// VolInfo data: validation and test months (the latest ones).
    public var validMonths: Int
    public var testMonths: Int
    /// VolInfo data: a holiday calendar file for years the built-in one does not cover.
    public var calendarPath: String?
    /// Plain CSV: a separate test CSV.
    public var testPath: String?
    /// Plain CSV: rows shuffled with this seed before the fraction split (without it the latest rows are held out).
    public var shuffleSeed: UInt64?
    /// Plain CSV, with `shuffleSeed`: each target value keeps its share in every split (classification); nil is false.
    public var stratify: Bool?
    /// Plain CSV: a column naming each row's split (`train`, `valid`, `test`); it is not a feature.
    public var splitColumn: String?
    /// Plain CSV: a split by this column's values (numbers, or text in sortable form such as ISO dates): validation
    /// from `validFrom`, test from `testFrom` on.
    public var timeColumn: String?
    public var validFrom: String?
    public var testFrom: String?
    /// Plain CSV: the split column's own values, value → `train`/`valid`/`test` (nil: the values are those names).
    public var splitValues: [String: String]?
    /// Plain CSV: a numeric column of sample weights (not a feature).
    public var weightColumn: String?
    /// Plain CSV: k-fold cross-validation over every non-test row instead of a validation split.
    public var crossValidationFolds: Int?
    /// Plain CSV: a column naming each row's cross-validation fold (not a feature); each distinct value is one fold.
    public var foldColumn: String?

    public init(
        path: String, target: String? = nil, validPath: String? = nil, validFraction: Double = 0.2, testFraction: Double = 0,
        ignoredColumns: [String] = [], dateColumns: [String]? = nil, categoricalColumns: [String]? = nil,
        targetAbove: Double? = nil, validMonths: Int = 1, testMonths: Int = 1, calendarPath: String? = nil,
        testPath: String? = nil, shuffleSeed: UInt64? = nil, splitColumn: String? = nil, timeColumn: String? = nil,
        validFrom: String? = nil, testFrom: String? = nil, stratify: Bool? = nil, splitValues: [String: String]? = nil,
        weightColumn: String? = nil, crossValidationFolds: Int? = nil, foldColumn: String? = nil
    ) {
        self.path = path
        self.target = target
        self.validPath = validPath
        self.validFraction = validFraction
        self.testFraction = testFraction
        self.ignoredColumns = ignoredColumns
        self.dateColumns = dateColumns
        self.categoricalColumns = categoricalColumns
        self.targetAbove = targetAbove
        self.validMonths = validMonths
        self.testMonths = testMonths
        self.calendarPath = calendarPath
        self.testPath = testPath
        self.shuffleSeed = shuffleSeed
        self.splitColumn = splitColumn
        self.timeColumn = timeColumn
        self.validFrom = validFrom
        self.testFrom = testFrom
        self.stratify = stratify
        self.splitValues = splitValues
        self.weightColumn = weightColumn
        self.crossValidationFolds = crossValidationFolds
        self.foldColumn = foldColumn
    }

    /// Most cross-validation folds (`--cv`, or distinct values of a fold column).
    public static let maxFolds = 100

    /// Whether trials are scored by cross-validation rather than on a validation split.
    public var crossValidates: Bool { crossValidationFolds != nil || foldColumn != nil }

    /// The featurizer settings used for VolInfo data.
    public var featurizerSettings: TrafficFeaturizerSettings {
        TrafficFeaturizerSettings(testMonths: testMonths, validMonths: validMonths)
    }
}
