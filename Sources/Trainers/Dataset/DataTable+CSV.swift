import Foundation

extension DataTable {
    /// The table as CSV text with a header, plus `extraColumns` of ready-made cells; integral numbers print without a
    /// fraction, NaN as an empty cell.
    public func csvText(extraColumns: [(name: String, cells: [String])] = []) -> String {
        var text = (names + extraColumns.map(\.name)).map(Self.quote).joined(separator: ",") + "\n"
        for row in 0..<rowCount {
            var cells = columns.map { column -> String in
                switch column {
                case .numeric(let values): Self.format(values[row])
                case .text(let values): Self.quote(values[row])
                }
            }
            for column in extraColumns { cells.append(Self.quote(column.cells[row])) }
            text += cells.joined(separator: ",") + "\n"
        }
        return text
    }

    /// A number as a CSV cell: integral values without a fraction, NaN as an empty cell.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }

    static func quote(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
