/// A table of named columns read from a CSV: numbers where every non-empty cell parses, text otherwise.
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

    public init(file: String, names: [String], columns: [Column], lines: [Int]) {
        self.file = file
        self.names = names
        self.columns = columns
        self.lines = lines
    }

    public var rowCount: Int { lines.count }

    public func column(named name: String) -> Column? {
        names.firstIndex(of: name).map { columns[$0] }
    }

    /// Reads a CSV with a header row; every row must have as many fields as the header.
    public static func read(csv path: String) throws(TrainerError) -> DataTable {
        let reader = try CSVReader(contentsOf: path)
        var header: [String]?
        var cells: [[String]] = []
        var lines: [Int] = []
        try reader.forEachRecord { fields, line throws(TrainerError) in
            guard let header else {
                try checkHeader(fields, file: path, line: line)
                header = fields
                return
            }
            guard fields.count == header.count else {
                throw .invalidData(
                    file: path, line: line, field: nil,
                    message: "has \(fields.count) fields, the header has \(header.count)")
            }
            if cells.isEmpty { cells = Array(repeating: [], count: header.count) }
            for (index, value) in fields.enumerated() { cells[index].append(value) }
            lines.append(line)
        }
        guard let header else { throw .invalidData(file: path, line: nil, field: nil, message: "is empty (no header row)") }
        if cells.isEmpty { cells = Array(repeating: [], count: header.count) }
        let columns = cells.map { values -> Column in
            var numbers: [Double] = []
            numbers.reserveCapacity(values.count)
            for value in values {
                let trimmed = value.trimmingSpaces
                if trimmed.isEmpty { numbers.append(.nan); continue }
                guard let number = Double(trimmed), number.isFinite else { return .text(values) }
                numbers.append(number)
            }
            return .numeric(numbers)
        }
        return DataTable(file: path, names: header.map { String($0.trimmingSpaces) }, columns: columns, lines: lines)
    }

    private static func checkHeader(_ fields: [String], file: String, line: Int) throws(TrainerError) {
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
