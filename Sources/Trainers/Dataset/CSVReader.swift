import Foundation

/// A small RFC 4180 reader: comma-separated, `"` quoting with `""` escapes, LF or CRLF line ends, optional UTF-8 BOM.
public struct CSVReader: Sendable {
    public let file: String
    private let bytes: [UInt8]

    /// Reads a whole file; a missing or unreadable file is reported with its path.
    public init(contentsOf path: String) throws(TrainerError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw .invalidData(file: path, line: nil, field: nil, message: exists ? "cannot be read" : "no such file")
        }
        self.init(bytes: [UInt8](data), file: path)
    }

    public init(bytes: [UInt8], file: String) {
        var body = bytes
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body.removeFirst(3) }
        self.bytes = body
        self.file = file
    }

    /// Calls `body` with each record's fields and its 1-based starting line; blank lines are skipped.
    public func forEachRecord(_ body: (_ fields: [String], _ line: Int) throws(TrainerError) -> Void) throws(TrainerError) {
        var line = 1
        var index = 0
        let count = bytes.count
        var fields: [String] = []
        var field: [UInt8] = []
        while index < count {
            let recordLine = line
            fields.removeAll(keepingCapacity: true)
            var endOfRecord = false
            while !endOfRecord {
                field.removeAll(keepingCapacity: true)
                if index < count, bytes[index] == UInt8(ascii: "\"") {
                    index += 1
                    var closed = false
                    while index < count {
                        let byte = bytes[index]
                        if byte == UInt8(ascii: "\"") {
                            if index + 1 < count, bytes[index + 1] == UInt8(ascii: "\"") {
                                field.append(byte)
                                index += 2
                                continue
                            }
                            index += 1
                            closed = true
                            break
                        }
                        if byte == UInt8(ascii: "\n") { line += 1 }
                        field.append(byte)
                        index += 1
                    }
                    guard closed else {
                        throw .invalidData(file: file, line: recordLine, field: nil, message: "unterminated quoted field")
                    }
                }
                while index < count, bytes[index] != UInt8(ascii: ","), bytes[index] != UInt8(ascii: "\n") {
                    field.append(bytes[index])
                    index += 1
                }
                if index >= count || bytes[index] == UInt8(ascii: "\n") {
                    if field.last == UInt8(ascii: "\r") { field.removeLast() }
                    endOfRecord = true
                    line += 1
                }
                index += 1
                fields.append(String(decoding: field, as: UTF8.self))
            }
            if fields.count == 1, fields[0].isEmpty { continue }
            try body(fields, recordLine)
        }
    }
}
