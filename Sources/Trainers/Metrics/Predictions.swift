/// What a model outputs for a set of rows: a value per row (regression), or a probability per class and row.
public enum Predictions: Sendable, Equatable {
    case values([Double])
    /// `probabilities[k][i]` is the probability of class `k` for row `i`; `classes[k]` is that class's label value.
    case probabilities([[Double]], classes: [Double])

    /// The predicted value of each row; for classifiers the label of the most probable class (the first on ties,
    /// as scikit-learn's and LightGBM's `predict` choose).
    public var values: [Double] {
        switch self {
        case .values(let values):
            return values
        case .probabilities(let probabilities, let classes):
            let rows = probabilities.first?.count ?? 0
            return (0..<rows).map { row in
                var best = 0
                for k in probabilities.indices.dropFirst() where probabilities[k][row] > probabilities[best][row] { best = k }
                return classes[best]
            }
        }
    }

    /// The metrics tunekit reports (as Katib metrics) against the true `targets`, rows counted by `weights` if given.
    public func metrics(targets: [Double], weights: [Double]? = nil) -> ModelMetrics {
        switch self {
        case .values(let values):
            return RegressionMetrics(predictions: values, targets: targets, weights: weights).modelMetrics
        case .probabilities(let probabilities, let classes):
            return ClassificationMetrics(probabilities: probabilities, classes: classes, targets: targets, weights: weights).modelMetrics
        }
    }
}

/// Named metric values in report order; encoded as a JSON object (`{"rmse": 131.2, …}`).
public struct ModelMetrics: Sendable, Equatable, Codable {
    public let named: [(name: String, value: Double)]

    public init(_ named: [(name: String, value: Double)]) { self.named = named }

    public subscript(name: String) -> Double? { named.first { $0.name == name }?.value }

    /// Every metric name `train` can report: regression's, then classification's.
    public static let allNames = RegressionMetrics.names + ClassificationMetrics.names

    public static func == (lhs: ModelMetrics, rhs: ModelMetrics) -> Bool {
        lhs.named.map(\.name) == rhs.named.map(\.name)
            && zip(lhs.named, rhs.named).allSatisfy { $0.value == $1.value || ($0.value.isNaN && $1.value.isNaN) }
    }

    private struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let order = Self.allNames
        let keys = container.allKeys.map(\.stringValue).sorted {
            (order.firstIndex(of: $0) ?? order.count, $0) < (order.firstIndex(of: $1) ?? order.count, $1)
        }
        named = try keys.map { ($0, try container.decode(Double.self, forKey: Key(stringValue: $0))) }
    }

    /// Undefined metrics (NaN, e.g. AUC of a split holding one class) are left out: JSON has no NaN.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in named where value.isFinite { try container.encode(value, forKey: Key(stringValue: name)) }
    }
}
