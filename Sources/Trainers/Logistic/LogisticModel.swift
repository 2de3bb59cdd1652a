public import NumericKernels

/// A fitted logistic regression: per output k, `zₖ = Σⱼ wₖⱼ (xⱼ − centerⱼ) / scaleⱼ + bₖ`; the positive class's
/// probability is `sigmoid(z₀)` for two classes, the class probabilities `softmax(z)` for more.
public struct LogisticModel: FittedModel, Equatable {
    public static let kind = "logistic"

    public let featureNames: [String]
    /// Per-feature shift (the training means when standardising, else 0).
    public let centers: [Double]
    /// Per-feature divisor (the training standard deviations when standardising, else 1).
    public let scales: [Double]
    /// One coefficient vector per output: one for two classes, one per class for more.
    public let coefficients: [[Double]]
    public let intercepts: [Double]
    /// The label value of each class (binary: negative, positive).
    public let classes: [Double]
    public let parameters: ResolvedParameters
    /// Newton iterations run, and whether the step fell below the tolerance before `max_iter`.
    public let iterations: Int
    public let converged: Bool

    public func checkConsistency() throws(TrainerError) {
        let count = featureNames.count
        let outputs = classes.count == 2 ? 1 : classes.count
        guard classes.count >= 2, coefficients.count == outputs, intercepts.count == outputs, centers.count == count,
              scales.count == count, coefficients.allSatisfy({ $0.count == count })
        else {
            throw .trainingFailed(
                "the stored logistic model is inconsistent: \(count) features and \(classes.count) classes but \(coefficients.count) coefficient vectors (\(coefficients.map { String($0.count) }.joined(separator: ", ")) long), \(intercepts.count) intercepts, \(centers.count) centers, \(scales.count) scales")
        }
        guard (centers + scales + intercepts + classes + coefficients.flatMap { $0 }).allSatisfy(\.isFinite),
              scales.allSatisfy({ $0 != 0 })
        else { throw .trainingFailed("the stored logistic model has a non-finite number or a zero scale") }
    }

    public func predictions(_ features: Matrix) -> Predictions {
        precondition(features.columns == featureNames.count, "feature count does not match the model")
        let n = features.rows
        var scores = intercepts.map { [Double](repeating: $0, count: n) }
        for (k, weights) in coefficients.enumerated() {
            for j in weights.indices {
                let weight = weights[j] / scales[j], center = centers[j], base = j * n
                for i in 0..<n { scores[k][i] += weight * (features.storage[base + i] - center) }
            }
        }
        if coefficients.count == 1 {
            let positive = scores[0].map(sigmoid)
            return .probabilities([positive.map { 1 - $0 }, positive], classes: classes)
        }
        var columns = scores, row = [Double](repeating: 0, count: scores.count)
        for i in 0..<n {
            softmax(scores, row: i, into: &row)
            for k in scores.indices { columns[k][i] = row[k] }
        }
        return .probabilities(columns, classes: classes)
    }

    public func predict(_ features: Matrix) -> [Double] { predictions(features).values }
}
