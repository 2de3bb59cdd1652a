public import NumericKernels

/// A fitted ridge model: `ŷ = Σⱼ wⱼ (xⱼ − centerⱼ) / scaleⱼ + intercept`.
public struct RidgeModel: FittedModel, Equatable {
    public static let kind = "ridge"

    public let featureNames: [String]
    /// Per-feature shift applied before the coefficients (the training means when standardising, else 0).
    public let centers: [Double]
    /// Per-feature divisor (the training standard deviations when standardising, else 1).
    public let scales: [Double]
    public let coefficients: [Double]
    public let intercept: Double
    public let parameters: ResolvedParameters
    /// Which solver produced the coefficients: `cholesky`, `lstsq` or `eigen-path`.
    public let solver: String

    public func checkConsistency() throws(TrainerError) {
        let count = featureNames.count
        guard centers.count == count, scales.count == count, coefficients.count == count else {
            throw .trainingFailed(
                "the stored ridge model is inconsistent: \(count) features but \(coefficients.count) coefficients, \(centers.count) centers, \(scales.count) scales")
        }
        guard (centers + scales + coefficients + [intercept]).allSatisfy(\.isFinite), scales.allSatisfy({ $0 != 0 }) else {
            throw .trainingFailed("the stored ridge model has a non-finite number or a zero scale")
        }
    }

    public func predict(_ features: Matrix) -> [Double] {
        precondition(features.columns == coefficients.count, "feature count does not match the model")
        var predictions = [Double](repeating: intercept, count: features.rows)
        for j in 0..<coefficients.count {
            let weight = coefficients[j] / scales[j]
            let center = centers[j]
            let base = j * features.rows
            for i in 0..<features.rows { predictions[i] += weight * (features.storage[base + i] - center) }
        }
        return predictions
    }
}
