/// How a table becomes features: which columns, and the integer code of every text value (kept in the model).
public struct FeatureEncoding: Sendable, Codable, Equatable {
    public let targetName: String
    public let featureNames: [String]
    /// For each text column, its values in code order (code = index).
    public let categories: [String: [String]]
    /// A text target's class names in code order (the target is the class index); nil for a numeric target.
    public let targetClasses: [String]?

    public init(targetName: String, featureNames: [String], categories: [String: [String]], targetClasses: [String]? = nil) {
        self.targetName = targetName
        self.featureNames = featureNames
        self.categories = categories
        self.targetClasses = targetClasses
    }

    /// Learns the encoding from a table: every column but the target and `ignoring` is a feature; text columns are coded
    /// by sorted distinct value. A text target is a class label, coded the same way.
    public static func fit(_ table: DataTable, target: String, ignoring: Set<String> = []) throws(TrainerError) -> FeatureEncoding {
        guard table.names.contains(target) else {
            throw .invalidData(
                file: table.file, line: 1, field: target,
                message: "target column not found; columns are \(table.names.joined(separator: ", "))")
        }
        for name in ignoring where !table.names.contains(name) {
            throw .invalidData(file: table.file, line: 1, field: name, message: "column to ignore not found")
        }
        var features: [String] = []
        var categories: [String: [String]] = [:]
        for (name, column) in zip(table.names, table.columns) where name != target && !ignoring.contains(name) {
            features.append(name)
            if case .text(let values) = column { categories[name] = Array(Set(values)).sorted() }
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
        return FeatureEncoding(targetName: target, featureNames: features, categories: categories, targetClasses: targetClasses)
    }

    /// Applies the encoding; with `requireTarget` the target must be present and numeric on every row.
    public func dataset(from table: DataTable, requireTarget: Bool = true) throws(TrainerError) -> Dataset {
        var columns: [[Double]] = []
        for name in featureNames {
            guard let column = table.column(named: name) else {
                throw .invalidData(file: table.file, line: 1, field: name, message: "feature column missing from the header")
            }
            columns.append(try encode(column, name: name, table: table))
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
        return Dataset(featureNames: featureNames, columns: columns, target: target)
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

    private func encode(_ column: DataTable.Column, name: String, table: DataTable) throws(TrainerError) -> [Double] {
        guard let values = categories[name] else {
            guard case .numeric(let numbers) = column else {
                let bad = firstNonNumeric(column)
                throw .invalidData(
                    file: table.file, line: bad.map { table.lines[$0] }, field: name,
                    message: "expected a number, found '\(bad.map { column.text($0) } ?? "")'")
            }
            return numbers
        }
        let codes = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, Double($0)) })
        var encoded: [Double] = []
        encoded.reserveCapacity(column.count)
        for row in 0..<column.count {
            let text = column.text(row)
            guard let code = codes[text] else {
                throw .invalidData(
                    file: table.file, line: table.lines[row], field: name,
                    message: "value '\(text)' was not seen in training; known values: \(values.prefix(10).joined(separator: ", "))")
            }
            encoded.append(code)
        }
        return encoded
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

    /// The cell as text (numbers print in Swift's shortest form).
    func text(_ row: Int) -> String {
        switch self {
        case .numeric(let values): String(values[row])
        case .text(let values): values[row]
        }
    }
}
