import Foundation
import ModelArtifacts
import ModelTraining
import NumericKernels
import Trainers

/// Per-column drift between a reference table (the training data) and a current one (what the model now sees), with
/// evidently's default test per column (`DriftTests.column`) and its dataset rule: the data drifted when at least
/// `driftShare` (default one half) of the columns did.
public struct DataDrift: Sendable, Codable, Equatable {
    public struct ColumnResult: Sendable, Codable, Equatable {
        public var column: String
        public var type: String
        public var test: String
        public var value: Double
        public var threshold: Double
        public var drifted: Bool
        public var referenceRows: Int
        public var currentRows: Int
    }

    public var reference: String
    public var current: String
    public var columns: [ColumnResult]
    public var driftedColumns: Int
    public var share: Double
    public var driftShare: Double
    public var datasetDrift: Bool

    /// Compares the columns both tables have (all the reference's but `ignored`; a reference column missing from the
    /// current table is an error). Text columns, and numeric ones named in `categorical`, are categories.
    public init(
        reference: DataTable, current: DataTable, categorical: Set<String> = [], ignored: Set<String> = [],
        driftShare: Double = 0.5
    ) throws(TunekitError) {
        guard (0...1).contains(driftShare) else { throw .invalidArguments("the drift share must be in [0, 1]") }
        let names = reference.names.filter { !ignored.contains($0) }
        let missing = names.filter { current.column(named: $0) == nil }
        guard missing.isEmpty else {
            throw .data("\(current.file): no column \(missing.map { "'\($0)'" }.joined(separator: ", ")) (the reference \(reference.file) has)")
        }
        guard !names.isEmpty, reference.rowCount > 0, current.rowCount > 0 else {
            throw .data("nothing to compare: \(reference.file) or \(current.file) has no rows or no columns")
        }
        var results: [ColumnResult] = []
        for name in names {
            let (left, right) = (reference.column(named: name)!, current.column(named: name)!)
            var isCategorical = categorical.contains(name)
            let values: (reference: [Double], current: [Double])
            switch (left, right) {
            case let (.numeric(a), .numeric(b)):
                values = (a, b)
            default:
                // Categories as codes over both tables' values (a number and its text compare as the same text).
                isCategorical = true
                let (a, b) = (Self.texts(left), Self.texts(right))
                let codes = Dictionary(uniqueKeysWithValues: Set(a + b).sorted().enumerated().map { ($1, Double($0)) })
                values = (a.map { $0.isEmpty ? .nan : codes[$0]! }, b.map { $0.isEmpty ? .nan : codes[$0]! })
            }
            let known = (values.reference.filter { !$0.isNaN }.count, values.current.filter { !$0.isNaN }.count)
            guard known.0 > 0, known.1 > 0 else {
                throw .data("column '\(name)' has no values in \(known.0 == 0 ? reference.file : current.file)")
            }
            let result = DriftTests.column(reference: values.reference, current: values.current, categorical: isCategorical)
            results.append(ColumnResult(
                column: name, type: isCategorical ? "categorical" : "numerical", test: result.test, value: result.value,
                threshold: result.threshold, drifted: result.drifted, referenceRows: known.0, currentRows: known.1))
        }
        self.reference = reference.file
        self.current = current.file
        columns = results
        driftedColumns = results.count { $0.drifted }
        share = Double(driftedColumns) / Double(results.count)
        self.driftShare = driftShare
        datasetDrift = share >= driftShare
    }

    private static func texts(_ column: DataTable.Column) -> [String] {
        switch column {
        case let .text(values): values
        case let .numeric(values): values.map { $0.isNaN ? "" : ($0 == $0.rounded() && abs($0) < 1e15 ? String(Int($0)) : String($0)) }
        }
    }

    /// An aligned text table, one line per column, then the verdict.
    public var table: String {
        let width = max(6, columns.map(\.column.count).max() ?? 0)
        func pad(_ text: String, _ count: Int) -> String { text + String(repeating: " ", count: max(0, count - text.count)) }
        var text = pad("column", width) + "  type         test           value        threshold  drift\n"
        for column in columns {
            text += pad(column.column, width) + "  " + pad(column.type, 11) + "  " + pad(column.test, 13) + "  "
                + pad(String(format: "%.6g", column.value), 11) + "  " + pad(String(format: "%g", column.threshold), 9) + "  "
                + (column.drifted ? "yes" : "no") + "\n"
        }
        return text + "\(driftedColumns) of \(columns.count) columns drifted (share \(String(format: "%.3g", share)), "
            + "threshold \(String(format: "%g", driftShare))): \(datasetDrift ? "DATASET DRIFT" : "no dataset drift")\n"
    }

    /// A self-contained HTML page of the same.
    public var page: String {
        var rows = ""
        for column in columns {
            rows += "<tr\(column.drifted ? " class=\"d\"" : "")><td class=\"l\">\(html(column.column))</td><td class=\"l\">\(column.type)</td>"
                + "<td class=\"l\">\(column.test)</td><td>\(String(format: "%.6g", column.value))</td><td>\(String(format: "%g", column.threshold))</td>"
                + "<td>\(column.drifted ? "drift" : "-")</td></tr>"
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Data drift</title><style>
            body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;font-size:13px}
            td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:right}.l{text-align:left}tr.d td{background:#fde2e1}
            </style></head><body><h1>Data drift: \(datasetDrift ? "drift detected" : "no drift")</h1>
            <p>Reference \(html(reference)), current \(html(current)): \(driftedColumns) of \(columns.count) columns drifted \
            (share \(String(format: "%.3g", share)); the data drifted at \(String(format: "%g", driftShare)) or more). Tests and \
            thresholds are evidently's defaults per column.</p>
            <table><tr><th class="l">column</th><th class="l">type</th><th class="l">test</th><th>value</th><th>threshold</th><th>drift</th></tr>\(rows)</table>
            </body></html>

            """
    }

    /// Writes the JSON and HTML reports (each written beside its place and renamed in).
    public func write(json: String?, html path: String?) throws(TunekitError) {
        do {
            if let json { try Durable.replace(json, with: FileSystemArtifactStore.encode(self)) }
            if let path { try Durable.replace(path, with: Data(page.utf8)) }
        } catch {
            throw .artifacts("cannot write the drift report: \(error.description)")
        }
    }
}
