import Foundation
import Trainers

/// One row of a Seoul Open API VolInfo file: vehicles counted on one lane, in one direction, in one hour.
struct VolInfoRow {
    let spot: String
    let date: CivilDate
    let hour: Int
    /// 1 = inflow, 2 = outflow.
    let direction: Int
    let lane: Int
    /// nil when the `vol` field is not a non-negative integer (a known fault of the real feed, counted, not fatal).
    let volume: Int?
}

/// Reads VolInfo CSVs (`spot_num,ymd,hh,io_type,lane_num,vol`); structural problems are errors naming file, line and field.
enum VolInfoReader {
    static let header = ["spot_num", "ymd", "hh", "io_type", "lane_num", "vol"]

    /// The CSV files of a directory in name order; a path to one file is accepted too.
    static func files(at path: String) throws(TrafficDataError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadable(file: path, reason: "no such file or directory")
        }
        guard isDirectory.boolValue else { return [path] }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
            throw .unreadable(file: path, reason: "directory cannot be listed")
        }
        let files = names.filter { $0.hasSuffix(".csv") }.sorted().map { (path as NSString).appendingPathComponent($0) }
        guard !files.isEmpty else { throw .unreadable(file: path, reason: "contains no .csv files") }
        return files
    }

    /// True when the file's first line is the VolInfo header.
    static func looksLikeVolInfo(_ file: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: file) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 256)) ?? Data()
        let firstLine = String(decoding: head, as: UTF8.self).split(whereSeparator: \.isNewline).first ?? ""
        return firstLine.replacingOccurrences(of: "\u{FEFF}", with: "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) } == header
    }

    /// Calls `body` for each data row. Unquoted files (the API's normal output) take a byte-level fast path;
    /// files with quoted fields go through the general CSV reader.
    static func read(_ file: String, _ body: (VolInfoRow) -> Void) throws(TrafficDataError) {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw .unreadable(file: file, reason: "cannot be read")
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if bytes.contains(UInt8(ascii: "\"")) {
            try readQuoted(CSVReader(bytes: bytes, file: file), file: file, body)
        } else {
            try VolInfoScanner(bytes: bytes, file: file).scan(body)
        }
    }

    private static func readQuoted(_ reader: CSVReader, file: String, _ body: (VolInfoRow) -> Void) throws(TrafficDataError) {
        var sawHeader = false
        do {
            try reader.forEachRecord { fields, line throws(TrainerError) in
                if !sawHeader {
                    guard fields.map({ $0.trimmingCharacters(in: .whitespaces) }) == header else {
                        throw .invalidData(file: file, line: line, field: nil, message: VolInfoScanner.headerMessage)
                    }
                    sawHeader = true
                    return
                }
                body(try parse(fields, file: file, line: line))
            }
        } catch {
            if case .invalidData(_, let line, let field, let message) = error {
                throw .malformed(file: file, line: line ?? 0, field: field ?? "-", message: message)
            }
            throw .unreadable(file: file, reason: error.description)
        }
        guard sawHeader else { throw .unreadable(file: file, reason: "is empty") }
    }

    static func parse(_ fields: [String], file: String, line: Int) throws(TrainerError) -> VolInfoRow {
        func fail(_ field: String, _ message: String) -> TrainerError {
            .invalidData(file: file, line: line, field: field, message: message)
        }
        guard fields.count == 6 else { throw fail("-", "has \(fields.count) fields, expected 6") }
        let spot = fields[0].trimmingCharacters(in: .whitespaces)
        guard !spot.isEmpty else { throw fail("spot_num", "is empty") }
        guard let date = CivilDate(fields[1].trimmingCharacters(in: .whitespaces)) else {
            throw fail("ymd", "'\(fields[1])' is not a valid YYYYMMDD date")
        }
        guard let hour = Int(fields[2].trimmingCharacters(in: .whitespaces)), (0...23).contains(hour) else {
            throw fail("hh", "'\(fields[2])' is not an hour 00–23")
        }
        guard let direction = Int(fields[3].trimmingCharacters(in: .whitespaces)), direction == 1 || direction == 2 else {
            throw fail("io_type", "'\(fields[3])' is not 1 (inflow) or 2 (outflow)")
        }
        guard let lane = Int(fields[4].trimmingCharacters(in: .whitespaces)), (1...99).contains(lane) else {
            throw fail("lane_num", "'\(fields[4])' is not a lane number 1–99")
        }
        let volume = Int(fields[5].trimmingCharacters(in: .whitespaces)).flatMap { $0 >= 0 ? $0 : nil }
        return VolInfoRow(spot: spot, date: date, hour: hour, direction: direction, lane: lane, volume: volume)
    }
}
