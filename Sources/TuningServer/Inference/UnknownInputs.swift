import Foundation
import Logging
import StrictJSON
import Synchronization
import Trainers

/// Input values of one request the model could not read and predicted as missing: text values not seen in training,
/// dates it could not read, and (KServe V1 instances given as objects) columns an instance left out.
struct UnknownInputs: Sendable, Equatable {
    enum Problem: String, Sendable {
        case unseenCategory = "unseen_category"
        case unreadableDate = "unreadable_date"
        case missingColumn = "missing_column"
    }

    struct Column: Sendable, Equatable {
        let column: String
        let problem: Problem
        /// Rows (instances) with the problem in this column.
        let rows: Int
        /// One offending value (none for a missing column).
        let example: String?
    }

    var columns: [Column] = []

    var isEmpty: Bool { columns.isEmpty }

    init(columns: [Column] = []) { self.columns = columns }

    /// Adds what the model's encoding reported: unseen categories and unreadable dates.
    mutating func add(_ unseen: [FeatureEncoding.UnseenValues]) {
        columns += unseen.map {
            Column(column: $0.column, problem: $0.isDate ? .unreadableDate : .unseenCategory, rows: $0.rows, example: $0.example)
        }
    }

    /// One line for people: `carrier: 2 rows with a value not seen in training (e.g. 'ZZ'); dep_hour: missing from 1 instance`.
    var summary: String {
        columns.map { column in
            let rows = column.rows == 1 ? "1 row" : "\(column.rows) rows"
            let example = column.example.map { " (e.g. '\($0.prefix(64))')" } ?? ""
            switch column.problem {
            case .unseenCategory: return "\(column.column): \(rows) with a value not seen in training\(example), predicted as missing"
            case .unreadableDate: return "\(column.column): \(rows) with a date that cannot be read\(example), predicted as missing"
            case .missingColumn:
                return "\(column.column): missing from \(column.rows == 1 ? "1 instance" : "\(column.rows) instances"), predicted as missing"
            }
        }.joined(separator: "; ")
    }

    /// KServe V1's documented extra field: `"warnings": [{"column", "problem", "rows", "example"?}]`.
    func writeV1Warnings(to writer: inout JSONWriter) {
        writer.array(columns) { writer, column in
            writer.object {
                $0.member("column") { $0.string(column.column) }
                $0.member("problem") { $0.string(column.problem.rawValue) }
                $0.member("rows") { $0.number(column.rows) }
                if let example = column.example { $0.member("example") { $0.string(example) } }
            }
        }
    }

    /// V2 response `parameters` members (strings, numbers and booleans only, as the protocol allows): the summary and
    /// the number of values predicted as missing.
    func writeV2Parameters(to writer: inout JSONWriter) {
        writer.member("unknown_inputs") { $0.string(summary) }
        writer.member("unknown_input_values") { $0.number(columns.map(\.rows).reduce(0, +)) }
    }
}

/// Warnings about unknown inputs, logged at most once per model version, column and problem per interval; the
/// next warning says how many were left unlogged in between (the metrics count every one).
final class UnknownInputWarnings: Sendable {
    private struct Entry {
        var lastLogged: ContinuousClock.Instant
        var suppressed: Int
    }

    private let interval: Duration
    private let entries = Mutex([String: Entry]())
    /// Distinct keys remembered at once: one per model version, input column and problem, so the set is small.
    private static let maxEntries = 4_096

    init(interval: Duration = .seconds(60)) { self.interval = interval }

    /// A client's value made safe for a log line: control characters (a line feed could forge a line) as `\u{…}`.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        return text.unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }.joined()
    }

    func warn(_ inputs: UnknownInputs, model: String, version: String, requestID: String, logger: Logger) {
        let now = ContinuousClock.now
        for column in inputs.columns {
            let key = "\(version)\u{0}\(column.column)\u{0}\(column.problem.rawValue)"
            let suppressed: Int? = entries.withLock { entries in
                if var entry = entries[key], now - entry.lastLogged < interval {
                    entry.suppressed += 1
                    entries[key] = entry
                    return nil
                }
                if entries.count >= Self.maxEntries { entries.removeAll() }
                let suppressed = entries[key]?.suppressed ?? 0
                entries[key] = Entry(lastLogged: now, suppressed: 0)
                return suppressed
            }
            guard let suppressed else { continue }
            logger.warning(
                "unknown input values predicted as missing",
                metadata: [
                    "model": "\(model)", "version": "\(version)", "request_id": "\(requestID)", "column": "\(column.column)",
                    "problem": "\(column.problem.rawValue)", "rows": "\(column.rows)",
                    "example": "\(column.example.map { Self.printable(String($0.prefix(64))) } ?? "")",
                    "unlogged_since_last": "\(suppressed)",
                ])
        }
    }
}
