/// A text column of dates or timestamps, read as numbers: year, month, day, weekday (Monday 0) and, when any value has
/// a time, hour — instead of one code per distinct text.
///
/// Accepted values: `2025-06-01`, `2025/06/01`, `2025-06-01T13`, `2025-06-01 13:05:00`, `2025-06-01T13:05:00Z`
/// (offsets are ignored: the local hour is kept), and `1/12/2017` or `01.12.2017` with the year last — day first
/// unless a value's second number exceeds 12 (then month first). At prediction time year-first values are read in any
/// date column; a value that cannot be read is a missing value.
public struct DateColumn: Sendable, Codable, Equatable {
    /// Where the year is and, when last, whether the day or the month comes first.
    public enum Order: String, Sendable, Codable { case yearFirst, dayFirst, monthFirst }

    public let name: String
    public let order: Order
    public let hasTime: Bool

    /// The numeric features this column becomes, in order.
    public var featureNames: [String] {
        ["year", "month", "day", "weekday"].map { "\(name)_\($0)" } + (hasTime ? ["\(name)_hour"] : [])
    }

    /// The column as a date column when every non-empty value is a date in one layout; nil otherwise (or when it
    /// holds no value at all).
    static func detect(name: String, values: [String]) -> DateColumn? {
        var yearFirst = false, yearLast = false, firstAboveTwelve = false, secondAboveTwelve = false, hasTime = false
        var any = false
        for value in values {
            let text = value.trimmingSpaces
            if text.isEmpty { continue }
            guard let fields = Self.fields(text) else { return nil }
            any = true
            if fields.yearFirst { yearFirst = true } else { yearLast = true }
            if !fields.yearFirst, fields.a > 12 { firstAboveTwelve = true }
            if !fields.yearFirst, fields.b > 12 { secondAboveTwelve = true }
            if fields.hour != nil { hasTime = true }
        }
        guard any, yearFirst != yearLast, !(firstAboveTwelve && secondAboveTwelve) else { return nil }
        let order: Order = yearFirst ? .yearFirst : (secondAboveTwelve ? .monthFirst : .dayFirst)
        let column = DateColumn(name: name, order: order, hasTime: hasTime)
        // Every value must also be a real calendar date in that order (no 31 April).
        guard values.allSatisfy({ $0.trimmingSpaces.isEmpty || column.parts($0) != nil }) else { return nil }
        return column
    }

    /// year, month, day, weekday (and hour) of one value; nil when it is not a date in this column's layout.
    func parts(_ value: String) -> [Double]? {
        // Year-first values are unambiguous and read in any column; year-last ones need the column's day/month order.
        guard let fields = Self.fields(value.trimmingSpaces), fields.yearFirst || order != .yearFirst else { return nil }
        let (year, month, day) = fields.yearFirst || order == .monthFirst ? (fields.y, fields.a, fields.b) : (fields.y, fields.b, fields.a)
        guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else { return nil }
        var parts = [Double(year), Double(month), Double(day), Double(Self.weekday(year: year, month: month, day: day))]
        if hasTime { parts.append(fields.hour.map(Double.init) ?? .nan) }
        return parts
    }

    /// The numeric fields of `2025-06-01[T|space]HH[:MM[:SS…]]` or `1/12/2017 …`: y, the other two (a, b in order),
    /// and the hour.
    private static func fields(_ text: Substring) -> (y: Int, a: Int, b: Int, yearFirst: Bool, hour: Int?)? {
        let datePart: Substring, timePart: Substring?
        if let cut = text.firstIndex(where: { $0 == "T" || $0 == " " }) {
            datePart = text[..<cut]
            timePart = text[text.index(after: cut)...]
        } else {
            datePart = text
            timePart = nil
        }
        let numbers = datePart.split(separator: datePart.contains("-") ? "-" : (datePart.contains("/") ? "/" : "."), omittingEmptySubsequences: false)
        guard numbers.count == 3, numbers.allSatisfy({ (1...4).contains($0.count) && $0.allSatisfy(\.isASCIIDigit) }) else { return nil }
        let values = numbers.map { Int($0)! }
        var hour: Int?
        if let timePart {
            let clock = timePart.prefix { $0.isASCIIDigit || $0 == ":" || $0 == "." }
            let rest = timePart.dropFirst(clock.count)
            guard let hourText = clock.split(separator: ":").first, (1...2).contains(hourText.count), let h = Int(hourText), (0...23).contains(h),
                  rest.isEmpty || rest == "Z" || rest.first == "+" || rest.first == "-"
            else { return nil }
            hour = h
        }
        if numbers[0].count == 4 { return (values[0], values[1], values[2], true, hour) }
        if numbers[2].count == 4 { return (values[2], values[0], values[1], false, hour) }
        return nil
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Monday 0 … Sunday 6, from the days since 1970-01-01 (a Thursday), Hinnant's civil-from-days inverse.
    static func weekday(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return ((days % 7) + 7 + 3) % 7
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
