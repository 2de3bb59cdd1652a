import Foundation
import ModelArtifacts
import ModelRegistry
import ModelTraining
import NumericKernels
public import Trainers

/// The tables `tunekit drift` compares, wherever they come from: CSVs, a published model's stored reference sample,
/// or `tunekit serve`'s prediction log.
public enum DriftInputs {
    /// A CSV, or a published model directory (`model/<V>/`: its checksummed `reference.csv`).
    public static func reference(_ path: String) throws(TunekitError) -> DataTable {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .data("\(path): no such file or folder") }
        guard isDirectory.boolValue else { return try csv(path) }
        let files: [String: Data]
        do {
            files = try FileSystemArtifactStore(root: path).loadModel(at: path).files
        } catch {
            throw .artifacts("\(path) is not a readable model directory: \(error.description)")
        }
        guard files[ReferenceSample.fileName] != nil else {
            throw .artifacts("\(path) has no \(ReferenceSample.fileName) (published by an older tunekit): pass the training CSV as --reference")
        }
        return try csv((path as NSString).appendingPathComponent(ReferenceSample.fileName))
    }

    /// A CSV, a prediction log file (`.jsonl`), or a folder of them: every `.jsonl` file in it and in its subfolders
    /// one level down (one per serving pod), in path order. Logs are read as a stream; beyond `maxLogRows` request
    /// rows, a uniform sample of that many is kept (the same rows for the same files).
    public static func current(_ path: String, maxLogRows: Int = PredictionLogReader.defaultMaxRows) throws(TunekitError) -> DataTable {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .data("\(path): no such file or folder") }
        if isDirectory.boolValue {
            func entries(_ folder: String) -> [String] {
                ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).map { (folder as NSString).appendingPathComponent($0) }
            }
            let top = entries(path)
            let folders = top.filter { var folder: ObjCBool = false; return fm.fileExists(atPath: $0, isDirectory: &folder) && folder.boolValue }
            let files = (top + folders.flatMap(entries)).filter { $0.hasSuffix(".jsonl") }.sorted()
            guard !files.isEmpty else { throw .data("\(path): no prediction log files (*.jsonl) in it or its subfolders") }
            return try PredictionLogReader.table(files: files, label: path, maxRows: maxLogRows)
        }
        if path.hasSuffix(".jsonl") { return try PredictionLogReader.table(files: [path], label: path, maxRows: maxLogRows) }
        return try csv(path)
    }

    private static func csv(_ path: String) throws(TunekitError) -> DataTable {
        do { return try DataTable.read(csv: path) } catch { throw .data(error.description) }
    }
}

/// `tunekit serve --prediction-log` files read back as a table: the rows of every request event, read line by line
/// (never a whole file in memory), at most `maxRows` of them kept (a reservoir sample beyond: evidently's tests need a
/// sample, not every request of a week).
public enum PredictionLogReader {
    private struct Event: Decodable {
        let type: String?
        let data: Payload?
    }

    private struct Payload: Decodable {
        let instances: [[String: Cell]]?
    }

    private enum Cell: Decodable {
        case number(Double), text(String), missing

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .missing } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else {
                self = .text(try container.decode(String.self))
            }
        }
    }

    static let requestType = "org.kubeflow.serving.inference.request"
    /// Rows kept by default: well past the sizes at which evidently's tests settle.
    public static let defaultMaxRows = 200_000
    /// The longest event line read: a decoded line takes ~30 times its size, so this bounds drift's memory (~1 GB) as
    /// much as the row cap does. `serve` writes one line per request: its default body limit (8 MiB) fits.
    static let maxLineBytes = 32 << 20

    static func table(files: [String], label: String, maxRows: Int = defaultMaxRows) throws(TunekitError) -> DataTable {
        var rows: [(cells: [String: Cell], line: Int)] = []
        var seen = 0
        var random = Xoshiro256(seed: 0x7072_6564_6963_7473)  // fixed: the same files give the same sample
        let decoder = JSONDecoder()
        for file in files {
            try eachLine(of: file) { (number, line, isLast) throws(TunekitError) in
                // Text beside the events is skipped: a log collected from `serve --prediction-log -` (the server's
                // stdout) also holds its `listening on …` line. Events are JSON objects, one per line.
                guard line.first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) == UInt8(ascii: "{") else { return }
                let event: Event
                do { event = try decoder.decode(Event.self, from: line) } catch {
                    // A line cut short by a crash is the last one of its file: skip it, refuse damage elsewhere.
                    if isLast { return }
                    throw .data("\(file), line \(number): not a prediction log event: \(error)")
                }
                guard event.type == requestType, let instances = event.data?.instances else { return }
                for instance in instances {
                    seen += 1
                    if rows.count < maxRows {
                        rows.append((instance, number))
                    } else {
                        let slot = random.nextIndex(below: seen)
                        if slot < maxRows { rows[slot] = (instance, number) }
                    }
                }
            }
        }
        guard !rows.isEmpty else { throw .data("\(label): the prediction log holds no request rows") }
        var names = Set<String>()
        for row in rows { names.formUnion(row.cells.keys) }
        let columns = names.sorted().map { name -> DataTable.Column in
            let cells = rows.map { $0.cells[name] ?? .missing }
            if cells.allSatisfy({ if case .text = $0 { false } else { true } }) {
                return .numeric(cells.map { if case .number(let value) = $0 { value } else { .nan } })
            }
            return .text(cells.map {
                switch $0 {
                case .number(let value): DataTable.format(value)
                case .text(let text): text
                case .missing: ""
                }
            })
        }
        return DataTable(file: label, names: names.sorted(), columns: columns, lines: rows.map(\.line))
    }

    /// Calls `body` with each non-empty line's number, bytes and whether it is the file's unterminated last line,
    /// reading 4 MiB at a time (each byte is searched once, however long the line).
    private static func eachLine(
        of file: String, _ body: (Int, Data, Bool) throws(TunekitError) -> Void
    ) throws(TunekitError) {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw .data("\(file): cannot be read") }
        defer { try? handle.close() }
        var carry = Data()
        var number = 0
        while true {
            let block: Data
            do { block = try handle.read(upToCount: 4 << 20) ?? Data() } catch { throw .data("\(file): cannot be read: \(error)") }
            if block.isEmpty { break }
            guard block.contains(UInt8(ascii: "\n")) else {
                carry.append(block)
                guard carry.count <= maxLineBytes else {
                    throw .data("\(file), line \(number + 1): longer than \(maxLineBytes >> 20) MB; not a prediction log event")
                }
                continue
            }
            var start = block.startIndex
            while let newline = block[start...].firstIndex(of: UInt8(ascii: "\n")) {
                number += 1
                var line = carry
                line.append(block[start..<newline])
                carry = Data()
                guard line.count <= maxLineBytes else {
                    throw .data("\(file), line \(number): longer than \(maxLineBytes >> 20) MB; not a prediction log event")
                }
                if !line.isEmpty { try body(number, line, false) }
                start = newline + 1
            }
            carry.append(block[start...])
        }
        if !carry.isEmpty { try body(number + 1, carry, true) }
    }
}
