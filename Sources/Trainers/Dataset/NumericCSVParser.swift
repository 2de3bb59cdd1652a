import Dispatch
import Foundation

/// The fast path of `DataTable.read(csv:)` for the common case of an all-numeric CSV without quotes: the file is
/// memory-mapped (not copied), cut into one chunk per core at line ends, and each chunk's cells are parsed straight
/// from the bytes into per-column buffers, with no string per cell. Gives up (nil) at the first thing it does not
/// handle — a quote anywhere, a text cell, a row of the wrong width — and the general reader then reads the file and
/// reports what is wrong where.
enum NumericCSVParser {
    static func read(path: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> DataTable? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else { return nil }
        return data.withUnsafeBytes { raw -> DataTable? in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress, raw.count > 0 else { return nil }
            var start = 0
            if raw.count >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF { start = 3 }
            let count = raw.count
            // Quotes could hide commas and line breaks inside a cell: the general reader handles them.
            guard memchr(base + start, Int32(UInt8(ascii: "\"")), count - start) == nil else { return nil }
            // Every cell is parsed in place by strtod, which stops at the first byte that cannot continue a number:
            // the file must end with a line break so that no parse runs past the mapping.
            guard base[count - 1] == UInt8(ascii: "\n") else { return nil }
            guard let headerBreak = memchr(base + start, Int32(UInt8(ascii: "\n")), count - start) else { return nil }
            let headerEnd = UnsafeRawPointer(base).distance(to: headerBreak)
            var headerText = String(decoding: UnsafeBufferPointer(start: base + start, count: headerEnd - start), as: UTF8.self)
            if headerText.hasSuffix("\r") { headerText.removeLast() }
            let names = headerText.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
            // A header the general reader refuses (an empty or repeated name) is left to it, to say so.
            guard (try? DataTable.checkHeader(names, file: path, line: 1)) != nil else { return nil }
            let width = names.count

            // Chunks start after a line break.
            let body = headerEnd + 1
            let chunks = max(1, min(threads, (count - body) / (1 << 20)))
            var cuts = [body]
            for chunk in 1..<max(1, chunks) {
                var cut = body + (count - body) * chunk / chunks
                while cut < count, base[cut - 1] != UInt8(ascii: "\n") { cut += 1 }
                cuts.append(max(cut, cuts.last!))
            }
            cuts.append(count)
            let bounds = cuts

            // Pass 1: records (non-blank lines) and line breaks per chunk, for row offsets and line numbers.
            let pointer = UnsafeSendable(base)
            var recordCounts = [Int](repeating: 0, count: chunks), breakCounts = [Int](repeating: 0, count: chunks)
            recordCounts.withUnsafeMutableBufferPointer { recordCounts in
                breakCounts.withUnsafeMutableBufferPointer { breakCounts in
                    let outputs = UnsafeSendable((recordCounts.baseAddress!, breakCounts.baseAddress!))
                    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                        var rows = 0, lines = 0, lineStart = bounds[chunk]
                        for index in bounds[chunk]..<bounds[chunk + 1] where pointer.value[index] == UInt8(ascii: "\n") {
                            if !isBlank(pointer.value, lineStart, index) { rows += 1 }
                            lines += 1
                            lineStart = index + 1
                        }
                        outputs.value.0[chunk] = rows
                        outputs.value.1[chunk] = lines
                    }
                }
            }
            let records = recordCounts, breaks = breakCounts
            let rowCount = records.reduce(0, +)
            let buffers = (0..<width).map { _ in UnsafeMutablePointer<Double>.allocate(capacity: rowCount) }
            var copied = 0  // buffers[..<copied] are already copied out and freed
            defer { buffers[copied...].forEach { $0.deallocate() } }
            var lineNumbers = [Int](repeating: 0, count: rowCount)
            var failed = [Bool](repeating: false, count: chunks)
            // Pass 2: parse each chunk into its rows.
            lineNumbers.withUnsafeMutableBufferPointer { lineOutput in
                failed.withUnsafeMutableBufferPointer { failures in
                    let outputs = UnsafeSendable((buffers, lineOutput.baseAddress!, failures.baseAddress!))
                    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                        let ok = parse(
                            pointer.value, range: bounds[chunk]..<bounds[chunk + 1], width: width, columns: outputs.value.0,
                            lines: outputs.value.1, firstRow: records[..<chunk].reduce(0, +),
                            firstLine: 2 + breaks[..<chunk].reduce(0, +))
                        if !ok { outputs.value.2[chunk] = true }
                    }
                }
            }
            guard !failed.contains(true) else { return nil }
            // Each buffer is freed as soon as its column is copied out: the copy holds one more column, not the table.
            var columns: [DataTable.Column] = []
            columns.reserveCapacity(width)
            for buffer in buffers {
                columns.append(.numeric(Array(UnsafeBufferPointer(start: buffer, count: rowCount))))
                buffer.deallocate()
                copied += 1
            }
            return DataTable(file: path, names: names.map { String($0.trimmingSpaces) }, columns: columns, lines: lineNumbers)
        }
    }

    private static func isBlank(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        end == start || (end == start + 1 && base[start] == UInt8(ascii: "\r"))
    }

    /// Parses the lines of `range` (which ends with a line break); false when a line is not `width` numeric cells.
    private static func parse(
        _ base: UnsafePointer<UInt8>, range: Range<Int>, width: Int, columns: [UnsafeMutablePointer<Double>],
        lines: UnsafeMutablePointer<Int>, firstRow: Int, firstLine: Int
    ) -> Bool {
        var row = firstRow, line = firstLine, index = range.lowerBound
        while index < range.upperBound {
            let lineEnd = UnsafeRawPointer(base).distance(to: memchr(base + index, Int32(UInt8(ascii: "\n")), range.upperBound - index)!)
            var contentEnd = lineEnd
            if contentEnd > index, base[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            if contentEnd > index {
                var fieldStart = index
                for column in 0..<width {
                    var fieldEnd = fieldStart
                    while fieldEnd < contentEnd, base[fieldEnd] != UInt8(ascii: ",") { fieldEnd += 1 }
                    // A row with fewer cells than the header, or (below) more.
                    if fieldEnd == contentEnd, column < width - 1 { return false }
                    guard let value = cell(base, fieldStart, fieldEnd) else { return false }
                    columns[column][row] = value
                    fieldStart = fieldEnd + 1
                }
                if fieldStart <= contentEnd { return false }
                lines[row] = line
                row += 1
            }
            line += 1
            index = lineEnd + 1
        }
        return true
    }

    /// A cell's number (NaN for empty, non-finite and missing-value markers); nil for text. Plain decimals take the
    /// exact fast path; strtod reads the rest in the C locale, the locale every process starts in (tunekit never
    /// changes it).
    private static func cell(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var first = start, last = end
        while first < last, base[first] == 0x20 || base[first] == 0x09 { first += 1 }
        while last > first, base[last - 1] == 0x20 || base[last - 1] == 0x09 { last -= 1 }
        if first == last { return .nan }
        if let value = plainDecimal(base, first, last) { return value }
        var parsedEnd: UnsafeMutablePointer<CChar>?
        let value = (base + first).withMemoryRebound(to: CChar.self, capacity: last - first) { text in
            strtod(text, &parsedEnd)
        }
        if let parsedEnd, UnsafeRawPointer(base).distance(to: UnsafeRawPointer(parsedEnd)) == last {
            return value.isFinite ? value : .nan
        }
        let text = String(decoding: UnsafeBufferPointer(start: base + first, count: last - first), as: UTF8.self)
        return DataTable.missingMarkers.contains(Substring(text)) ? .nan : nil
    }

    /// Exact powers of ten a `Double` holds (10⁰ … 10²²).
    private static let exactPowersOfTen: [Double] = (0...22).map { exponent in
        var power = 1.0
        for _ in 0..<exponent { power *= 10 }
        return power
    }

    /// The number a plain decimal (`[+-]digits[.digits][(e|E)[+-]digits]`) spells, when Clinger's fast path gives it
    /// exactly: at most 19 significant digits whose value is below 2⁵³, scaled by at most 10²², which one correctly
    /// rounded multiplication or division turns into the nearest double — what strtod returns. Nil for anything else
    /// (more digits, larger exponents, hexadecimal, inf, nan, text): strtod decides those.
    static func plainDecimal(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var index = start
        var negative = false
        if index < end, base[index] == UInt8(ascii: "-") || base[index] == UInt8(ascii: "+") {
            negative = base[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: UInt64 = 0, significant = 0, digits = 0, exponent = 0
        var seenPoint = false
        while index < end {
            let byte = base[index]
            if byte == UInt8(ascii: ".") {
                if seenPoint { return nil }
                seenPoint = true
            } else if byte &- UInt8(ascii: "0") < 10 {
                digits += 1
                if mantissa > 0 || byte != UInt8(ascii: "0") {
                    significant += 1
                    if significant > 19 { return nil }
                    mantissa = mantissa &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))
                }
                if seenPoint { exponent -= 1 }
            } else {
                break
            }
            index += 1
        }
        guard digits > 0 else { return nil }
        if index < end, base[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var exponentNegative = false
            if index < end, base[index] == UInt8(ascii: "-") || base[index] == UInt8(ascii: "+") {
                exponentNegative = base[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0, value = 0
            while index < end, base[index] &- UInt8(ascii: "0") < 10 {
                if value < 10_000 { value = value * 10 + Int(base[index] &- UInt8(ascii: "0")) }
                written += 1
                index += 1
            }
            guard written > 0 else { return nil }
            exponent += exponentNegative ? -value : value
        }
        guard index == end, mantissa <= 1 << 53, (-22...22).contains(exponent) else { return nil }
        let magnitude = exponent >= 0
            ? Double(mantissa) * exactPowersOfTen[exponent] : Double(mantissa) / exactPowersOfTen[-exponent]
        return negative ? -magnitude : magnitude
    }
}
