import ExperimentModel
import ExperimentRunner
import Foundation
import StrictJSON

/// A run's trials as a table, in the columns of Optuna's `trials_dataframe()`: number, value, start and completion
/// times, duration, `params_<name>`, `user_attrs_<name>` (the other metrics and the number of intermediate values),
/// state — plus Katib's condition. Built from the journal, so it works on finished, running, killed and resumed runs.
public struct TrialTable: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var number: Int
        public var name: String
        /// The objective metric, when the trial reported it.
        public var value: Double?
        /// Optuna's state: COMPLETE, PRUNED (early-stopped), FAIL, RUNNING, WAITING (suggested, not started).
        public var state: String
        /// Katib's condition (SUCCEEDED, EARLYSTOPPED, FAILED, …; KILLED for trials an interrupted run left behind).
        public var condition: String
        /// UTC, ISO 8601.
        public var start: String?
        public var complete: String?
        /// Seconds the trial ran (as the trial measured it).
        public var duration: Double?
        public var parameters: [String: String]
        /// Every reported metric but the objective, as numbers (unparseable values are left out).
        public var metrics: [String: Double]
        /// The objective step by step (early stopping), when reported.
        public var intermediate: [Double]?
        /// Intermediate values reported (gbdt iterations), when any.
        public var iterations: Int? { intermediate?.count }
        /// Boosting iterations the trial's model kept (in-process gbdt trials).
        public var bestIteration: Int?
    }

    /// The objective's metric: from the journal, or (older journals) the first metric a trial reported.
    public let objectiveMetric: String?
    public let parameterNames: [String]
    public let metricNames: [String]
    public let rows: [Row]

    /// Folds a journal's events: a trial's latest suggestion, start and finish win (a resumed run re-runs the trials
    /// an interruption left unfinished). Trials in flight are RUNNING while the journal's last run event is a start or
    /// resume, and FAIL / KILLED once it is an interruption.
    public init(events: [JournalEvent]) {
        var rows: [Int: Row] = [:]
        var objective: String?
        var interrupted = false
        // Names in first-seen order, with sets for the membership tests (linear in trials × parameters).
        var parameterNames: [String] = [], metricNames: [String] = []
        var knownParameters: Set<String> = [], knownMetrics: Set<String> = []
        for event in events {
            switch event.event {
            case .runStarted, .runResumed:
                objective = event.objectiveMetric ?? objective
                interrupted = false
            case .interrupted:
                interrupted = true
            case .published:
                interrupted = false
            case .trialSuggested, .trialStarted, .trialFinished:
                guard let number = event.trial else { continue }
                var row = rows[number] ?? Row(
                    number: number, name: event.name ?? "", value: nil, state: "WAITING", condition: "CREATED", start: nil,
                    complete: nil, duration: nil, parameters: [:], metrics: [:], intermediate: nil, bestIteration: nil)
                if let name = event.name { row.name = name }
                switch event.event {
                case .trialSuggested:
                    for assignment in event.assignments ?? [] {
                        row.parameters[assignment.name] = assignment.value
                        if knownParameters.insert(assignment.name).inserted { parameterNames.append(assignment.name) }
                    }
                case .trialStarted:
                    (row.state, row.condition, row.start, row.complete) = ("RUNNING", "RUNNING", event.time, nil)
                default:
                    row.condition = event.condition?.rawValue ?? "UNKNOWN"
                    row.state = switch event.condition {
                    case .succeeded: "COMPLETE"
                    case .earlyStopped: "PRUNED"
                    default: "FAIL"
                    }
                    (row.complete, row.duration) = (event.time, event.seconds)
                    row.metrics = [:]
                    for metric in event.metrics ?? [] {
                        guard let value = Double(metric.value) else { continue }
                        row.metrics[metric.name] = value
                        if knownMetrics.insert(metric.name).inserted { metricNames.append(metric.name) }
                    }
                    row.intermediate = event.intermediate
                    row.bestIteration = event.bestIteration
                }
                rows[number] = row
            }
        }
        objective = objective ?? metricNames.first
        for number in rows.keys {
            if let objective { rows[number]!.value = rows[number]!.metrics.removeValue(forKey: objective) }
            if interrupted, rows[number]!.state == "RUNNING" { (rows[number]!.state, rows[number]!.condition) = ("FAIL", "KILLED") }
        }
        objectiveMetric = objective
        self.parameterNames = parameterNames
        self.metricNames = metricNames.filter { $0 != objective }
        self.rows = rows.values.sorted { $0.number < $1.number }
    }

    /// Whether any trial recorded the iterations its model kept (a column then, as Optuna adds a user attribute).
    public var hasBestIterations: Bool { rows.contains { $0.bestIteration != nil } }

    /// The column names, Optuna's first.
    public var columns: [String] {
        ["number", "value", "datetime_start", "datetime_complete", "duration"] + parameterNames.map { "params_\($0)" }
            + metricNames.map { "user_attrs_\($0)" } + ["user_attrs_iterations"]
            + (hasBestIterations ? ["user_attrs_best_iteration"] : []) + ["state", "condition", "name"]
    }

    /// A row's cells, by column; nil is an empty cell.
    private func cells(_ row: Row) -> [Cell?] {
        var cells: [Cell?] = [
            .number(Double(row.number)), row.value.map(Cell.number), row.start.map(Cell.text), row.complete.map(Cell.text),
            row.duration.map(Cell.number),
        ]
        cells += parameterNames.map { row.parameters[$0].map(Cell.text) }
        cells += metricNames.map { row.metrics[$0].map(Cell.number) }
        cells.append(row.iterations.map { .number(Double($0)) })
        if hasBestIterations { cells.append(row.bestIteration.map { .number(Double($0)) }) }
        cells += [.text(row.state), .text(row.condition), .text(row.name)]
        return cells
    }

    private enum Cell {
        case number(Double), text(String)

        /// Full precision (the shortest text that reads back as the same double); whole numbers without a fraction.
        var exact: String {
            switch self {
            case .text(let text): text
            case .number(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
            }
        }

        /// Six significant digits, for reading.
        var short: String {
            switch self {
            case .text(let text): text
            case .number(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.6g", value)
            }
        }
    }

    /// RFC 4180 CSV with full precision. Text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
    /// `@`, tab or carriage return, and not a number) gets a leading `'`, as OWASP recommends against CSV injection.
    public func csv() -> String {
        func quoted(_ text: String) -> String {
            text.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        func neutralised(_ text: String) -> String {
            guard let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(text) == nil else { return text }
            return "'" + text
        }
        func cell(_ cell: Cell?) -> String {
            switch cell {
            case .text(let text)?: neutralised(text)
            case let other: other?.exact ?? ""
            }
        }
        var lines = [columns.map { quoted(neutralised($0)) }.joined(separator: ",")]
        for row in rows { lines.append(cells(row).map { quoted(cell($0)) }.joined(separator: ",")) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A JSON array of one object per trial (columns as keys, null for empty cells, numeric parameters as numbers), full
    /// precision.
    public func json() -> String {
        let objects: [JSONValue] = rows.map { row in
            var object: [String: JSONValue] = [:]
            for (column, cell) in zip(columns, cells(row)) {
                switch cell {
                case .number(let value)?: object[column] = value.isFinite ? .number(value) : .null
                // Parameters that are numbers are JSON numbers, as in a dataframe; categories stay strings.
                case .text(let text)? where column.hasPrefix("params_"):
                    object[column] = Double(text).flatMap { $0.isFinite && !text.contains(where: \.isLetter) ? .number($0) : nil } ?? .string(text)
                case .text(let text)?: object[column] = .string(text)
                case nil: object[column] = .null
                }
            }
            return .object(object)
        }
        var writer = JSONWriter(indent: 2)
        writer.value(.array(objects))
        return writer.text + "\n"
    }

    /// Aligned columns for reading (number, objective, state, duration, iterations, parameters, other metrics), numbers
    /// to 6 significant digits.
    public func table() -> String {
        let (header, body) = readableCells()
        let widths = header.indices.map { column in ([header] + body).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        return ([line(header)] + body.map(line)).joined(separator: "\n") + "\n"
    }

    /// The readable table's header and rows, cell by cell, numbers to 6 significant digits.
    public func readableCells() -> (header: [String], rows: [[String]]) {
        let header = ["number", objectiveMetric ?? "value", "state", "duration s", "iterations"]
            + (hasBestIterations ? ["best iteration"] : []) + parameterNames + metricNames
        func short(_ value: Double?) -> String { value.map { Cell.number($0).short } ?? "-" }
        let body: [[String]] = rows.map { row in
            var fixed: [String] = [
                String(row.number), short(row.value), row.state, row.duration.map { String(format: "%.2f", $0) } ?? "-",
                row.iterations.map(String.init) ?? "-",
            ]
            if hasBestIterations { fixed.append(row.bestIteration.map(String.init) ?? "-") }
            let parameters: [String] = parameterNames.map { name in
                guard let text = row.parameters[name] else { return "-" }
                return Double(text).map { short($0) } ?? text
            }
            return fixed + parameters.map(TerminalText.printable) + metricNames.map { short(row.metrics[$0]) }
        }
        return (header.map(TerminalText.printable), body)
    }
}

/// Text from files and trials (names, categorical values, messages) made safe to print on a terminal: control
/// characters — escape sequences that could move the cursor, rewrite the screen or set the window title, line breaks
/// that would break a table — are shown as `\u{…}` instead of being sent.
public enum TerminalText {
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) { out += "\\u{" + String(scalar.value, radix: 16) + "}" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.generalCategory == .control }
}
