/// A table of named columns read from a CSV: numbers where every non-empty cell parses (NaN, ±inf and markers such as
/// `NA` or `null` are missing values), text otherwise.
public struct DataTable: Sendable {
    public enum Column: Sendable, Equatable {
        /// Numbers; an empty cell is NaN (missing).
        case numeric([Double])
        case text([String])

        public var count: Int {
            switch self {
            case .numeric(let values): values.count
            case .text(let values): values.count
            }
        }
    }

    public let file: String
    public let names: [String]
    public let columns: [Column]
    /// The source line of each row, for error messages.
    public let lines: [Int]
    /// Column positions by name (the first, should a name repeat): lookups in constant time, so work over every
    /// column stays linear in the column count.
    private let positions: [String: Int]

    public init(file: String, names: [String], columns: [Column], lines: [Int]) {
        self.file = file
        self.names = names
        self.columns = columns
        self.lines = lines
        var positions: [String: Int] = [:]
        positions.reserveCapacity(names.count)
        for (index, name) in names.enumerated() where positions[name] == nil { positions[name] = index }
        self.positions = positions
    }

    public var rowCount: Int { lines.count }

    public func column(named name: String) -> Column? {
        positions[name].map { columns[$0] }
    }

    /// The position of the column `name`.
    public func index(of name: String) -> Int? { positions[name] }

    /// Reads a CSV with a header row; every row must have as many fields as the header.
    ///
    /// An all-numeric file without quotes is parsed in place on every core (`NumericCSVParser`). Otherwise cells are
    /// parsed as numbers while reading (8 bytes a cell instead of a string); a column that turns out to hold text is
    /// read again as text in a second pass over the file.
    public static func read(csv path: String) throws(TrainerError) -> DataTable {
        if let table = NumericCSVParser.read(path: path) { return table }
        return try readRecords(csv: path)
    }

    /// The general reader: record by record, any quoting, text columns, and errors that say where.
    static func readRecords(csv path: String) throws(TrainerError) -> DataTable {
        let reader = try CSVReader(contentsOf: path)
        let (header, numbers, lines, textColumns) = try readNumeric(reader, path: path)
        guard let names = header else {
            throw .invalidData(file: path, line: nil, field: nil, message: "is empty (no header row)")
        }
        var texts: [Int: [String]] = [:]
        if !textColumns.isEmpty {
            var skippedHeader = false
            try reader.forEachRecord { fields, _ throws(TrainerError) in
                guard skippedHeader else { skippedHeader = true; return }
                for index in textColumns { texts[index, default: []].append(fields[index]) }
            }
        }
        let columns = numbers.indices.map { index -> Column in
            textColumns.contains(index) ? .text(texts[index] ?? []) : .numeric(numbers[index])
        }
        return DataTable(file: path, names: names.map { String($0.trimmingSpaces) }, columns: columns, lines: lines)
    }

    /// First pass: numbers per column (NaN for empty cells), and the columns that held text.
    private static func readNumeric(
        _ reader: CSVReader, path: String
    ) throws(TrainerError) -> (header: [String]?, numbers: [[Double]], lines: [Int], textColumns: Set<Int>) {
        var header: [String]?
        var numbers: [[Double]] = []
        var lines: [Int] = []
        var textColumns: Set<Int> = []
        try reader.forEachRecord { fields, line throws(TrainerError) in
            guard let header else {
                try checkHeader(fields, file: path, line: line)
                header = fields
                numbers = Array(repeating: [], count: fields.count)
                return
            }
            guard fields.count == header.count else {
                throw .invalidData(
                    file: path, line: line, field: nil,
                    message: "has \(fields.count) fields, the header has \(header.count)")
            }
            for (index, value) in fields.enumerated() where !textColumns.contains(index) {
                let trimmed = value.trimmingSpaces
                if let number = Self.numericCell(trimmed) {
                    numbers[index].append(number)
                } else {
                    textColumns.insert(index)
                    numbers[index] = []
                }
            }
            lines.append(line)
        }
        return (header, numbers, lines, textColumns)
    }

    /// A numeric cell's value: a number, or NaN for a missing value (empty, `NA`, `null`, …; NaN and ±inf are missing
    /// too, as LightGBM reads them); nil for text.
    public static func numericCell(_ trimmed: Substring) -> Double? {
        if trimmed.isEmpty || missingMarkers.contains(trimmed) { return .nan }
        guard let number = Double(trimmed) else { return nil }
        return number.isFinite ? number : .nan
    }

    /// Cells read as missing in a numeric column (pandas' and LightGBM's usual spellings).
    static let missingMarkers: Set<Substring> = ["NA", "N/A", "n/a", "NULL", "null", "None", "Infinity", "-Infinity"]

    /// Every column named, no name twice.
    static func checkHeader(_ fields: [String], file: String, line: Int) throws(TrainerError) {
        var seen: Set<String> = []
        for name in fields.map({ String($0.trimmingSpaces) }) {
            guard !name.isEmpty else {
                throw .invalidData(file: file, line: line, field: nil, message: "the header has an empty column name")
            }
            guard seen.insert(name).inserted else {
                throw .invalidData(file: file, line: line, field: name, message: "column name appears twice in the header")
            }
        }
    }
}

extension String {
    var trimmingSpaces: Substring {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
