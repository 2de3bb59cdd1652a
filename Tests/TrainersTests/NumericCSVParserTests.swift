import Foundation
import NumericKernels
import TestSupport
import Testing
@testable import Trainers

/// The in-place parallel CSV path gives exactly what the record-by-record reader gives, or leaves the file to it.
@Suite struct NumericCSVParserTests {
    static func same(_ a: DataTable, _ b: DataTable) -> Bool {
        guard a.names == b.names, a.lines == b.lines, a.columns.count == b.columns.count else { return false }
        return zip(a.columns, b.columns).allSatisfy { pair in
            guard case .numeric(let x) = pair.0, case .numeric(let y) = pair.1, x.count == y.count else { return false }
            return zip(x, y).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
        }
    }

    @Test(arguments: [
        "a,b,y\n1,2,3\n4.5,-6e-3,7\n",
        "\u{FEFF}a, b ,y\r\n1 ,\t2,3\r\n\r\n4,,NA\r\n",  // BOM, CRLF, spaces, a blank line, empty and NA cells
        "a,b\nnan,inf\n-Infinity,0x1p3\n1e308,null\n\n\n",  // non-finite and markers are missing values
        "a\n1\n2\n3\n",
    ])
    func numericFilesReadTheSameEitherWay(text: String) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.write("t.csv", text)
        let fast = try #require(NumericCSVParser.read(path: path, threads: 2))
        #expect(Self.same(fast, try DataTable.readRecords(csv: path)))
    }

    @Test(arguments: [
        "a,b\n\"1\",2\n",  // quotes
        "a,b\n1,x\n",  // a text cell
        "a,b\n1,2\n3\n",  // too few cells
        "a,b\n1,2,3\n",  // too many
        "a,b\n1,2",  // no final line break
        "a,b\n1.5e,2\n",  // not quite a number
        "a,a\n1,2\n",  // a repeated column name
        "a,,b\n1,2,3\n",  // an empty column name
    ])
    func anythingElseIsLeftToTheGeneralReader(text: String) {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        #expect(NumericCSVParser.read(path: directory.write("t.csv", text), threads: 2) == nil)
    }

    @Test func chunksOnSeveralThreadsKeepRowsAndLineNumbersInOrder() throws {
        var state: UInt64 = 12
        var text = "x0,x1,x2,y\n"
        for row in 0..<60_000 {
            if row % 997 == 0 { text += "\n" }  // blank lines shift line numbers
            text += (0..<4).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return String(Double(state >> 11) * 0x1.0p-53 * 1000)
            }.joined(separator: ",") + "\n"
        }
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.write("big.csv", text)
        #expect(text.utf8.count > 2 << 20, "large enough for three chunks")
        let fast = try #require(NumericCSVParser.read(path: path, threads: 3))
        #expect(fast.rowCount == 60_000)
        #expect(Self.same(fast, try DataTable.readRecords(csv: path)))
    }

    /// The fast path returns exactly what strtod returns, bit for bit, or leaves the cell to strtod: random doubles in
    /// the formats CSV writers use, and malformed and edge-case cells.
    @Test func plainDecimalsAreExactlyStrtods() {
        var rng = Xoshiro256(seed: 21)
        var cells = ["0", "-0", "+0", "00012", "5.", ".5", "+.5", "-.5e-3", "1E+05", "1e22", "1e23", "9007199254740993",
                     "9007199254740992", "123456789012345678901", "0.0000000000000000000000001", "1e", ".", "-", "", "1.2.3",
                     "e5", "1e+", "0x1p3", "inf", "nan", "1,5", "1 5", "1e-22", "4.9e-324", "1.7976931348623157e308"]
        let formats = ["%.9g", "%.17g", "%g", "%e", "%.3f", "%.0f", "%.12e"]
        for _ in 0..<20_000 {
            let magnitude = pow(10, Double(rng.nextIndex(below: 40)) - 20)
            let value = (rng.nextUnit() - 0.5) * magnitude
            let format = formats[rng.nextIndex(below: formats.count)]
            cells.append(String(format: format, value))
            cells.append(String(rng.nextIndex(below: 1_000_000) - 500_000))
        }
        var fast = 0
        for cell in cells {
            let bytes = Array(cell.utf8) + [0]
            bytes.withUnsafeBufferPointer { buffer in
                let base = buffer.baseAddress!
                guard let value = NumericCSVParser.plainDecimal(base, 0, bytes.count - 1) else { return }
                fast += 1
                var end: UnsafeMutablePointer<CChar>?
                let reference = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { strtod($0, &end) }
                let consumed = end.map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) }
                #expect(consumed == bytes.count - 1, "\(cell): \(value) vs \(reference)")
                #expect(value.bitPattern == reference.bitPattern, "\(cell): \(value) vs \(reference)")
            }
        }
        // Most cells of a numeric CSV take the fast path.
        #expect(fast > cells.count * 3 / 4)
    }
}
