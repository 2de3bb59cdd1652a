/// How a table becomes features: which columns, the integer code of every text value, how date columns are read
/// (all kept in the model).
public struct FeatureEncoding: Sendable, Codable, Equatable {
    public let targetName: String
    public let featureNames: [String]
    /// For each text column (and each column named categorical), its values in code order (code = index); these
    /// features are the dataset's categorical features.
    public let categories: [String: [String]]
    /// A text target's class names in code order (the target is the class index); nil for a numeric target.
    public let targetClasses: [String]?
    /// Date columns, each expanded into the features its `featureNames` lists (nil in models from tunekit 0.1).
    public let dates: [DateColumn]?

    public init(
        targetName: String, featureNames: [String], categories: [String: [String]], targetClasses: [String]? = nil,
        dates: [DateColumn]? = nil
    ) {
        self.targetName = targetName
        self.featureNames = featureNames
        self.categories = categories
        self.targetClasses = targetClasses
        self.dates = dates
    }

    /// Text columns with more distinct values than this share of rows (and more than `minHighCardinality`) look like
    /// identifiers or free text, not categories, and are refused unless named categorical.
    static let highCardinalityShare = 0.05
    static let minHighCardinality = 50

    /// Learns the encoding from a table: every column but the target and `ignoring` is a feature. Text columns of dates
    /// (found, or named in `dateColumns`) become year/month/day/weekday(/hour) features; other text columns are coded
    /// by sorted distinct value — refused when they have too many distinct values, unless named in
    /// `categoricalColumns`. A text target is a class label, coded the same way.
    public static func fit(
        _ table: DataTable, target: String, ignoring: Set<String> = [], dateColumns: Set<String> = [],
        categoricalColumns: Set<String> = []
    ) throws(TrainerError) -> FeatureEncoding {
        guard table.column(named: target) != nil else {
            throw .invalidData(
                file: table.file, line: 1, field: target,
                message: "target column not found; columns are \(table.names.joined(separator: ", "))")
        }
        for (option, names) in [("ignore", ignoring), ("date", dateColumns), ("categorical", categoricalColumns)] {
            for name in names.sorted() where table.column(named: name) == nil {
                throw .invalidData(file: table.file, line: 1, field: name, message: "\(option) column not found; columns are \(table.names.joined(separator: ", "))")
            }
        }
        var features: [String] = []
        var categories: [String: [String]] = [:]
        var dates: [DateColumn] = []
        for (name, column) in zip(table.names, table.columns) where name != target && !ignoring.contains(name) {
            guard case .text(let values) = column, !categoricalColumns.contains(name) || dateColumns.contains(name) else {
                features.append(name)
                if categoricalColumns.contains(name) { categories[name] = Array(Set((0..<column.count).map(column.text))).sorted() }
                continue
            }
            if let date = DateColumn.detect(name: name, values: values) {
                dates.append(date)
                features += date.featureNames
                continue
            }
            if dateColumns.contains(name) {
                let bad = values.firstIndex { !$0.trimmingSpaces.isEmpty && DateColumn.detect(name: name, values: [$0]) == nil } ?? 0
                throw .invalidData(
                    file: table.file, line: table.lines.isEmpty ? 1 : table.lines[bad], field: name,
                    message: "'\(values.isEmpty ? "" : values[bad])' is not a date (e.g. 2025-06-01, 2025-06-01T13:00, 1/12/2017), or the column mixes layouts")
            }
            let distinct = Array(Set(values)).sorted()
            if !categoricalColumns.contains(name), distinct.count > minHighCardinality,
               Double(distinct.count) > highCardinalityShare * Double(table.rowCount) {
                throw .invalidData(
                    file: table.file, line: 1, field: name,
                    message: "text column with \(distinct.count) distinct values in \(table.rowCount) rows (e.g. \(distinct.prefix(3).map { "'\($0)'" }.joined(separator: ", "))) looks like an identifier or free text; drop it with --ignore-columns \(name), keep it as categories with --categorical-columns \(name), or name it in --date-columns if it holds dates")
            }
            features.append(name)
            categories[name] = distinct
        }
        guard !features.isEmpty else {
            throw .invalidData(file: table.file, line: 1, field: nil, message: "no feature columns besides the target")
        }
        var targetClasses: [String]?
        if case .text(let labels) = table.column(named: target) {
            let present = labels.filter { !$0.trimmingSpaces.isEmpty }
            // Mostly numbers with a few words is a numeric target with bad cells, not class names: say where.
            let numbers = present.filter { Double($0.trimmingSpaces) != nil }.count
            if numbers * 2 >= present.count, let bad = labels.firstIndex(where: { !$0.trimmingSpaces.isEmpty && Double($0.trimmingSpaces) == nil }) {
                throw .invalidData(file: table.file, line: table.lines[bad], field: target, message: "target must be numeric, found '\(labels[bad])'")
            }
            targetClasses = Array(Set(present)).sorted()
        }
        return FeatureEncoding(
            targetName: target, featureNames: features, categories: categories, targetClasses: targetClasses,
            dates: dates.isEmpty ? nil : dates)
    }

    /// Applies the encoding; with `requireTarget` the target must be present and numeric on every row.
    public func dataset(from table: DataTable, requireTarget: Bool = true) throws(TrainerError) -> Dataset {
        try encoded(table, requireTarget: requireTarget).data
    }

    /// Values of a text column the encoding had not seen, or dates it could not read: encoded as missing (as LightGBM
    /// does with unseen categories), counted here.
    public struct UnseenValues: Sendable, Equatable {
        public let column: String
        public let rows: Int
        public let example: String
        /// True for a date column's unreadable values, false for unseen categories.
        public let isDate: Bool
    }

    /// Applies the encoding, and counts the values of each text column that were not seen in training (and became
    /// missing values) and date cells that could not be read (missing too).
    public func encoded(_ table: DataTable, requireTarget: Bool = true) throws(TrainerError) -> (data: Dataset, unseen: [UnseenValues]) {
        var columns: [[Double]] = []
        var unseen: [UnseenValues] = []
        var dateFeatures: [String: [Double]] = [:]
        for date in dates ?? [] {
            guard let column = table.column(named: date.name) else {
                throw .invalidData(file: table.file, line: 1, field: date.name, message: "date column missing from the header")
            }
            var parts = date.featureNames.map { _ in [Double](repeating: .nan, count: column.count) }
            var unreadable = 0, example = ""
            for row in 0..<column.count where !column.isMissing(row) {
                guard let values = date.parts(column.text(row)) else {
                    unreadable += 1
                    if example.isEmpty { example = column.text(row) }
                    continue
                }
                for (k, value) in values.enumerated() { parts[k][row] = value }
            }
            if unreadable > 0 { unseen.append(UnseenValues(column: date.name, rows: unreadable, example: example, isDate: true)) }
            for (k, feature) in date.featureNames.enumerated() { dateFeatures[feature] = parts[k] }
        }
        for name in featureNames {
            if let derived = dateFeatures[name] {
                columns.append(derived)
                continue
            }
            guard let column = table.column(named: name) else {
                throw .invalidData(file: table.file, line: 1, field: name, message: "feature column missing from the header")
            }
            let (values, missed) = try encode(column, name: name, table: table)
            columns.append(values)
            if let missed { unseen.append(missed) }
        }
        var target = [Double](repeating: .nan, count: table.rowCount)
        if let column = table.column(named: targetName), let targetClasses {
            target = try classIndices(column, classes: targetClasses, table: table, requireTarget: requireTarget)
        } else if let column = table.column(named: targetName) {
            guard case .numeric(let values) = column else {
                let bad = firstNonNumeric(column)
                throw .invalidData(
                    file: table.file, line: bad.map { table.lines[$0] }, field: targetName,
                    message: "target must be numeric, found '\(bad.map { column.text($0) } ?? "")'")
            }
            if requireTarget, let missing = values.firstIndex(where: \.isNaN) {
                throw .invalidData(file: table.file, line: table.lines[missing], field: targetName, message: "target is empty")
            }
            target = values
        } else if requireTarget {
            throw .invalidData(file: table.file, line: 1, field: targetName, message: "target column not found")
        }
        let categorical = Set(featureNames.indices.filter { categories[featureNames[$0]] != nil })
        return (Dataset(featureNames: featureNames, columns: columns, target: target, categoricalFeatures: categorical), unseen)
    }

    /// Class names as class indices; with `requireTarget` every row needs a known class, else unknown ones are NaN.
    private func classIndices(
        _ column: DataTable.Column, classes: [String], table: DataTable, requireTarget: Bool
    ) throws(TrainerError) -> [Double] {
        let codes = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Double($0)) })
        var indices: [Double] = []
        indices.reserveCapacity(column.count)
        for row in 0..<column.count {
            let text = column.isMissing(row) ? "" : column.text(row)
            if let code = codes[text] {
                indices.append(code)
            } else if requireTarget {
                throw .invalidData(
                    file: table.file, line: table.lines[row], field: targetName,
                    message: text.isEmpty ? "target is empty" : "class '\(text)' is not one of the training classes (\(classes.prefix(10).joined(separator: ", ")))")
            } else {
                indices.append(.nan)
            }
        }
        return indices
    }

    private func encode(
        _ column: DataTable.Column, name: String, table: DataTable
    ) throws(TrainerError) -> (values: [Double], unseen: UnseenValues?) {
        guard let values = categories[name] else {
            guard case .numeric(let numbers) = column else {
                let bad = firstNonNumeric(column)
                throw .invalidData(
                    file: table.file, line: bad.map { table.lines[$0] }, field: name,
                    message: "expected a number, found '\(bad.map { column.text($0) } ?? "")'")
            }
            return (numbers, nil)
        }
        let codes = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, Double($0)) })
        var encoded: [Double] = []
        encoded.reserveCapacity(column.count)
        var unseen = 0, example = ""
        for row in 0..<column.count {
            let text = column.text(row)
            if let code = codes[text] {
                encoded.append(code)
            } else {
                encoded.append(.nan)
                // An empty cell is a missing value, not a value the model has not seen.
                guard !column.isMissing(row) else { continue }
                unseen += 1
                if example.isEmpty { example = text }
            }
        }
        return (encoded, unseen > 0 ? UnseenValues(column: name, rows: unseen, example: example, isDate: false) : nil)
    }

    private func firstNonNumeric(_ column: DataTable.Column) -> Int? {
        guard case .text(let values) = column else { return nil }
        return values.firstIndex { text in
            let trimmed = text.trimmingSpaces
            return !trimmed.isEmpty && Double(trimmed) == nil
        }
    }
}

extension DataTable.Column {
    /// Whether the cell is empty (NaN in a numeric column).
    func isMissing(_ row: Int) -> Bool {
        switch self {
        case .numeric(let values): values[row].isNaN
        case .text(let values): values[row].trimmingSpaces.isEmpty
        }
    }

    /// The cell as text: a number as written for a whole number (`3`, not `3.0`), a missing number as empty.
    public func text(_ row: Int) -> String {
        switch self {
        case .numeric(let values): DataTable.format(values[row])
        case .text(let values): values[row]
        }
    }
}
