import Foundation

/// A concrete value of one parameter: a number, or an index into a list.
public enum ParameterValue: Sendable, Hashable {
    case double(Double)
    case int(Int)
    /// Index into a discrete/categorical list.
    case choice(Int)
}

extension SearchParameter {
    /// The value as Katib sends it: plain integers, list entries byte for byte, doubles in a form any parser reads.
    public func format(_ value: ParameterValue) -> String {
        switch (domain, value) {
        case (.discrete(let list), .choice(let index)), (.categorical(let list), .choice(let index)):
            return list[index]
        case (.int, .int(let v)):
            return String(v)
        case (.double(let range), .double(let v)):
            return ValueFormatting.double(v, decimals: range.decimals)
        default:
            preconditionFailure("value \(value) does not belong to parameter '\(name)'")
        }
    }

    /// Reads a value string from a trial's history; nil when it does not belong to this parameter's domain (not a
    /// number, not an integer, outside [min, max], not in the list).
    public func parse(_ text: String) -> ParameterValue? {
        switch domain {
        case .discrete, .categorical:
            return choiceIndex[text].map(ParameterValue.choice)
        case .int(let range):
            guard let v = Self.number(text), v == v.rounded(), v >= Double(range.lower), v <= Double(range.upper) else {
                return nil
            }
            return .int(Int(v))
        case .double(let range):
            // Printed grid values may differ from the bounds in the last digits.
            let slack = 1e-9 * Swift.max(1, range.upper - range.lower)
            guard let v = Self.number(text), v >= range.lower - slack, v <= range.upper + slack else { return nil }
            return .double(Swift.min(range.upper, Swift.max(range.lower, v)))
        }
    }

    /// Parses a number, trimming surrounding spaces only when the plain parse fails (the trim is the slow path).
    static func number(_ text: String) -> Double? {
        Double(text) ?? Double(text.trimmingCharacters(in: .whitespaces))
    }
}

/// Katib-compatible number printing.
public enum ValueFormatting {
    /// Prints a double: with `decimals` when given (grid values), else the shortest round-trip form.
    public static func double(_ value: Double, decimals: Int?) -> String {
        // Fixed decimals only where they are short: 1e299 stays "1e+299", not a 300-digit integer.
        if let decimals, abs(value) < 1e15 {
            let text = String(format: "%.\(decimals)f", value + 0.0)
            return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
        }
        return value.description
    }
}
