import ExperimentModel

/// Parses and checks Katib `algorithmSettings` with Katib's error messages.
struct AlgorithmSettings {
    let algorithmName: String
    let values: [String: String]

    /// Rejects any setting whose name is not in `allowed`.
    init(_ spec: AlgorithmSpec, allowed: Set<String>) throws(SuggestionError) {
        algorithmName = spec.algorithmName
        var values: [String: String] = [:]
        for setting in spec.algorithmSettings {
            guard allowed.contains(setting.name) else {
                throw SuggestionError("unknown setting \(setting.name) for algorithm \(spec.algorithmName)")
            }
            values[setting.name] = setting.value
        }
        self.values = values
    }

    /// A floating-point setting, or `fallback` when absent.
    func double(_ name: String, default fallback: Double) throws(SuggestionError) -> Double {
        guard let text = values[name] else { return fallback }
        guard let value = Double(text.trimmingSpaces), value.isFinite else {
            throw SuggestionError("failed to validate \(name)(\(text)): could not convert string to float: '\(text)'")
        }
        return value
    }

    /// An integer setting, or `fallback` when absent.
    func int(_ name: String, default fallback: Int) throws(SuggestionError) -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text.trimmingSpaces) else {
            throw SuggestionError("failed to validate \(name)(\(text)): invalid literal for int() with base 10: '\(text)'")
        }
        return value
    }

    /// `random_state` as a seed, when given.
    func randomState() throws(SuggestionError) -> UInt64? {
        guard let text = values["random_state"] else { return nil }
        guard let value = Int(text.trimmingSpaces) else {
            throw SuggestionError("failed to validate random_state(\(text)): invalid literal for int() with base 10: '\(text)'")
        }
        guard value >= 0 else { throw SuggestionError("random_state should be great or equal than zero") }
        return UInt64(value)
    }
}

extension String {
    var trimmingSpaces: Substring {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
