import Trainers

/// A byte-level reader for unquoted VolInfo CSVs: no per-field strings, spot and date decoded once per run of rows.
/// Any row it cannot read goes through `VolInfoReader.parse`, so errors read exactly as on the general path.
struct VolInfoScanner {
    static let headerMessage = "not a VolInfo file: header must be \(VolInfoReader.header.joined(separator: ","))"

    let bytes: [UInt8]
    let file: String

    func scan(_ body: (VolInfoRow) -> Void) throws(TrafficDataError) {
        var lineStart = 0, line = 0
        var sawHeader = false
        var lastSpot: (bytes: ArraySlice<UInt8>, name: String) = ([], "")
        var lastDate: (code: Int, date: CivilDate)?
        var bounds = [Int](repeating: 0, count: 12)
        let count = bytes.count
        while lineStart < count {
            line += 1
            var lineEnd = lineStart
            while lineEnd < count, bytes[lineEnd] != 10 { lineEnd += 1 }
            var end = lineEnd
            if end > lineStart, bytes[end - 1] == 13 { end -= 1 }
            defer { lineStart = lineEnd + 1 }
            if end == lineStart { continue }
            guard sawHeader else {
                let fields = String(decoding: bytes[lineStart..<end], as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false)
                guard fields.map({ String($0.trimmingSpaces) }) == VolInfoReader.header else {
                    throw .malformed(file: file, line: line, field: "-", message: Self.headerMessage)
                }
                sawHeader = true
                continue
            }
            // Field boundaries: up to six [start, end) pairs.
            var fieldCount = 0, fieldStart = lineStart
            for index in lineStart...end where index == end || bytes[index] == 44 {
                if fieldCount < 6 { bounds[2 * fieldCount] = fieldStart; bounds[2 * fieldCount + 1] = index }
                fieldCount += 1
                fieldStart = index + 1
            }
            let spotBytes = fieldCount == 6 ? trimmed(bounds[0], bounds[1]) : bytes[0..<0]
            let dateCode = fieldCount == 6 ? integer(bounds[2], bounds[3], digits: 8...8) : nil
            let hour = fieldCount == 6 ? integer(bounds[4], bounds[5], digits: 1...2) : nil
            let direction = fieldCount == 6 ? integer(bounds[6], bounds[7], digits: 1...1) : nil
            let lane = fieldCount == 6 ? integer(bounds[8], bounds[9], digits: 1...2) : nil
            if let dateCode, lastDate?.code != dateCode,
               let date = CivilDate(year: dateCode / 10000, month: dateCode / 100 % 100, day: dateCode % 100) {
                lastDate = (dateCode, date)
            }
            guard !spotBytes.isEmpty, let dateCode, let date = lastDate, date.code == dateCode, let hour, hour < 24,
                  let direction, direction == 1 || direction == 2, let lane, lane >= 1
            else {
                try reportMalformed(lineStart, end, line: line)
                continue
            }
            if spotBytes != lastSpot.bytes { lastSpot = (spotBytes, String(decoding: spotBytes, as: UTF8.self)) }
            body(VolInfoRow(
                spot: lastSpot.name, date: date.date, hour: hour, direction: direction, lane: lane,
                volume: integer(bounds[10], bounds[11], digits: 1...12)))
        }
        guard sawHeader else { throw .unreadable(file: file, reason: "is empty") }
    }

    /// Re-reads a bad row with the general parser to produce its precise error.
    private func reportMalformed(_ start: Int, _ end: Int, line: Int) throws(TrafficDataError) {
        let fields = String(decoding: bytes[start..<end], as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        do {
            _ = try VolInfoReader.parse(fields, file: file, line: line)
        } catch {
            if case .invalidData(_, let line, let field, let message) = error {
                throw .malformed(file: file, line: line ?? 0, field: field ?? "-", message: message)
            }
        }
        throw .malformed(file: file, line: line, field: "-", message: "cannot be read as a VolInfo row")
    }

    private func trimmed(_ start: Int, _ end: Int) -> ArraySlice<UInt8> {
        var s = start, e = end
        while s < e, bytes[s] == 32 || bytes[s] == 9 { s += 1 }
        while e > s, bytes[e - 1] == 32 || bytes[e - 1] == 9 { e -= 1 }
        return bytes[s..<e]
    }

    /// A non-negative decimal integer with a digit count in `digits`, or nil.
    private func integer(_ start: Int, _ end: Int, digits: ClosedRange<Int>) -> Int? {
        let field = trimmed(start, end)
        guard digits.contains(field.count) else { return nil }
        var value = 0
        for byte in field {
            let digit = byte &- 48
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
