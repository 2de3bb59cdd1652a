/// One hyperparameter a trainer accepts: canonical name, aliases, allowed values, default.
public struct ParameterDefinition: Sendable {
    public enum Kind: Sendable {
        /// A double in `range` (bounds inclusive unless `exclusiveLower`).
        case double(ClosedRange<Double>, exclusiveLower: Bool = false)
        case int(ClosedRange<Int>)
        case bool
        case choice([String])
        /// One or more of the values, comma-separated (LightGBM's `metric=l2,l1`).
        case choices([String])
    }

    public let name: String
    public let aliases: [String]
    public let kind: Kind
    public let defaultValue: String
    public let summary: String
    /// Values other tools accept that this trainer refuses, each with the reason given to the user.
    public let refused: [String: String]

    public init(
        name: String, aliases: [String] = [], kind: Kind, defaultValue: String, summary: String, refused: [String: String] = [:]
    ) {
        self.name = name
        self.aliases = aliases
        self.kind = kind
        self.defaultValue = defaultValue
        self.summary = summary
        self.refused = refused
    }

    /// The allowed values in words, for error messages.
    public var allowed: String {
        switch kind {
        case .double(let range, let exclusive):
            "\(exclusive ? "(" : "[")\(range.lowerBound), \(range.upperBound == .infinity ? "∞)" : "\(range.upperBound)]")"
        case .int(let range) where range.lowerBound == Int.min && range.upperBound == Int.max: "any integer"
        case .int(let range):
            "[\(range.lowerBound), \(range.upperBound == Int.max ? "∞)" : "\(range.upperBound)]")"
        case .bool: "true or false"
        case .choice(let values): values.joined(separator: ", ")
        case .choices(let values): "one or more of " + values.joined(separator: ", ")
        }
    }

    /// Checks and normalises a value ("True" → "true", " 0.5" → "0.5").
    func normalise(_ raw: String) throws(TrainerError) -> String {
        let text = String(raw.trimmingSpaces)
        func outOfRange() -> TrainerError {
            .invalidParameter(name: name, message: "'\(raw)' is outside the allowed range \(allowed)")
        }
        switch kind {
        case .double(let range, let exclusive):
            guard let value = Double(text), value.isFinite else {
                throw .invalidParameter(name: name, message: "'\(raw)' is not a number; allowed: \(allowed)")
            }
            guard range.contains(value), !(exclusive && value == range.lowerBound) else { throw outOfRange() }
            return text
        case .int(let range):
            guard let value = Double(text), value == value.rounded(), abs(value) < 9e15 else {
                throw .invalidParameter(name: name, message: "'\(raw)' is not an integer; allowed: \(allowed)")
            }
            guard range.contains(Int(value)) else { throw outOfRange() }
            return String(Int(value))
        case .bool:
            switch text.lowercased() {
            case "true", "1", "yes": return "true"
            case "false", "0", "no": return "false"
            default: throw .invalidParameter(name: name, message: "'\(raw)' is not a boolean; use true or false")
            }
        case .choice(let values):
            try checkChoice(text, raw: raw, in: values)
            return text
        case .choices(let values):
            guard !text.isEmpty else { return "" }
            let items = text.split(separator: ",").map { String(String($0).trimmingSpaces) }
            guard !items.isEmpty else { throw .invalidParameter(name: name, message: "'\(raw)' names no value; allowed: \(allowed)") }
            for item in items { try checkChoice(item, raw: raw, in: values) }
            return items.joined(separator: ",")
        }
    }

    private func checkChoice(_ value: String, raw: String, in values: [String]) throws(TrainerError) {
        if let reason = refused[value] { throw .invalidParameter(name: name, message: "'\(value)' is not supported: \(reason)") }
        guard values.contains(value) else { throw .invalidParameter(name: name, message: "'\(raw)' is not one of \(allowed)") }
    }

    /// One line of `train --help`: `--name (aliases) = default, allowed: summary`.
    public var helpLine: String {
        let names = aliases.isEmpty ? "" : " (\(aliases.joined(separator: ", ")))"
        return "  --\(name)\(names) = \(defaultValue.isEmpty ? "(none)" : defaultValue), \(allowed): \(summary)"
    }
}

/// A trainer's hyperparameters, looked up by name or alias (`-` and `_` are interchangeable).
public struct ParameterTable: Sendable {
    public let definitions: [ParameterDefinition]

    public init(_ definitions: [ParameterDefinition]) { self.definitions = definitions }

    /// Resolves raw `name=value` pairs: aliases map to canonical names, values are checked, defaults fill the rest.
    public func resolve(_ raw: [(name: String, value: String)]) throws(TrainerError) -> ResolvedParameters {
        var values: [String: String] = [:]
        var givenAs: [String: String] = [:]
        for (name, value) in raw {
            let key = name.replacingUnderscores
            guard let definition = definitions.first(where: { ([$0.name] + $0.aliases).map(\.replacingUnderscores).contains(key) })
            else {
                let names = definitions.flatMap { [$0.name] + $0.aliases }
                let hint = closestName(to: name, among: names).map { "did you mean \($0)? " } ?? ""
                throw .invalidParameter(
                    name: name, message: "unknown; \(hint)accepted: \(definitions.map(\.name).joined(separator: ", "))")
            }
            if let previous = givenAs[definition.name], previous != name {
                throw .invalidParameter(name: name, message: "given twice (also as '\(previous)')")
            }
            givenAs[definition.name] = name
            do {
                values[definition.name] = try definition.normalise(value)
            } catch {
                guard name != definition.name, case .invalidParameter(_, let message) = error else { throw error }
                throw .invalidParameter(name: name, message: "\(message) (alias of \(definition.name))")
            }
        }
        for definition in definitions where values[definition.name] == nil {
            values[definition.name] = definition.defaultValue
        }
        return ResolvedParameters(values: values)
    }
}

/// Checked hyperparameters by canonical name; round-trips through `values`.
public struct ResolvedParameters: Sendable, Equatable, Codable {
    public let values: [String: String]

    public init(values: [String: String]) { self.values = values }

    /// These parameters with some canonical names set to new values.
    public func overriding(_ overrides: [(name: String, value: String)]) -> ResolvedParameters {
        ResolvedParameters(values: values.merging(overrides.map { ($0.name, $0.value) }) { $1 })
    }

    public func double(_ name: String) -> Double { Double(values[name] ?? "") ?? .nan }
    public func bool(_ name: String) -> Bool { values[name] == "true" }

    /// `name=value` pairs sorted by name, for round-trips and display.
    public var pairs: [(name: String, value: String)] { values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
}

extension String {
    fileprivate var replacingUnderscores: String { String(map { $0 == "-" ? "_" : $0 }) }
}

/// The candidate within a small edit distance of `name` (a typo such as `lerning_rate`), if any.
func closestName(to name: String, among candidates: [String]) -> String? {
    let target = Array(name.lowercased())
    var best: (name: String, distance: Int)?
    for candidate in candidates {
        let other = Array(candidate.lowercased())
        var previous = Array(0...other.count)
        for (i, a) in target.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: other.count)
            for (j, b) in other.enumerated() {
                current[j + 1] = Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (a == b ? 0 : 1))
            }
            previous = current
        }
        let distance = previous[other.count]
        if distance <= Swift.max(1, target.count / 4), distance < (best?.distance ?? .max) { best = (candidate, distance) }
    }
    return best?.name
}
