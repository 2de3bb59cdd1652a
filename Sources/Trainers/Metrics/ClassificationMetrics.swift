import Foundation

/// Classification scores of class probabilities against true labels, defined as scikit-learn's `sklearn.metrics`.
///
/// Binary (two classes): `precision`, `recall`, `f1` and `average_precision` are of the positive class (the second,
/// larger label), `auc` is the ROC AUC of its probability. More classes: `precision`, `recall`, `f1` and `auc` are
/// macro averages over classes (AUC one-vs-rest, as `roc_auc_score(multi_class="ovr")`); `average_precision` is
/// binary only. `logloss` clips probabilities to [1e-15, 1 − 1e-15]. A metric that is undefined on the rows given
/// (AUC when one class is absent) is NaN. With sample weights every row counts by its weight (`sample_weight`).
public struct ClassificationMetrics: Sendable {
    public let accuracy: Double
    public let logloss: Double
    public let auc: Double
    public let precision: Double
    public let recall: Double
    public let f1: Double
    public let averagePrecision: Double

    /// The names `modelMetrics` reports, in order.
    public static let names = ["accuracy", "logloss", "auc", "f1", "precision", "recall", "average_precision"]

    public init(probabilities: [[Double]], classes: [Double], targets: [Double], weights: [Double]? = nil) {
        precondition(probabilities.count == classes.count && classes.count >= 2, "one probability column per class")
        precondition(probabilities.allSatisfy { $0.count == targets.count } && !targets.isEmpty, "one probability per row")
        precondition(weights.map { $0.count == targets.count } ?? true, "one weight per row")
        let n = targets.count
        let weight = weights ?? [Double](repeating: 1, count: n)
        let total = weight.reduce(0, +)
        let truth = targets.map { label in classes.firstIndex(of: label) ?? -1 }
        let predicted = Predictions.probabilities(probabilities, classes: Array(0..<classes.count).map(Double.init)).values.map(Int.init)
        var correct = 0.0, loss = 0.0
        for row in 0..<n {
            if predicted[row] == truth[row] { correct += weight[row] }
            let p = truth[row] >= 0 ? probabilities[truth[row]][row] : 0
            loss -= weight[row] * log(min(max(p, 1e-15), 1 - 1e-15))
        }
        accuracy = correct / total
        logloss = loss / total
        // Per-class (weighted) counts for precision and recall.
        func scores(of k: Int) -> (precision: Double, recall: Double, f1: Double) {
            var truePositive = 0.0, predictedPositive = 0.0, actualPositive = 0.0
            for row in 0..<n {
                if predicted[row] == k { predictedPositive += weight[row] }
                if truth[row] == k { actualPositive += weight[row]; if predicted[row] == k { truePositive += weight[row] } }
            }
            // scikit-learn's zero_division=0: an empty denominator scores 0.
            let precision = predictedPositive > 0 ? truePositive / predictedPositive : 0
            let recall = actualPositive > 0 ? truePositive / actualPositive : 0
            let f1 = predictedPositive + actualPositive > 0 ? 2 * truePositive / (predictedPositive + actualPositive) : 0
            return (precision, recall, f1)
        }
        if classes.count == 2 {
            let positive = truth.map { $0 == 1 }
            (precision, recall, f1) = scores(of: 1)
            auc = Self.rocAUC(scores: probabilities[1], positive: positive, weights: weights)
            averagePrecision = Self.averagePrecision(scores: probabilities[1], positive: positive, weights: weights)
        } else {
            let perClass = classes.indices.map(scores(of:))
            let k = Double(classes.count)
            precision = perClass.map(\.precision).reduce(0, +) / k
            recall = perClass.map(\.recall).reduce(0, +) / k
            f1 = perClass.map(\.f1).reduce(0, +) / k
            auc = classes.indices.map { c in
                Self.rocAUC(scores: probabilities[c], positive: truth.map { $0 == c }, weights: weights)
            }.reduce(0, +) / k
            averagePrecision = .nan
        }
    }

    public var modelMetrics: ModelMetrics {
        ModelMetrics([("accuracy", accuracy), ("logloss", logloss), ("auc", auc), ("f1", f1), ("precision", precision),
                      ("recall", recall), ("average_precision", averagePrecision)])
    }

    /// Area under the ROC curve: the (weighted) probability a random positive scores above a random negative, ties
    /// counting half — the area under scikit-learn's weighted ROC curve. NaN unless both kinds of rows are present.
    static func rocAUC(scores: [Double], positive: [Bool], weights: [Double]? = nil) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        // Over groups of tied scores, lowest first: each positive beats the negatives below and ties the group's.
        var negativesBelow = 0.0, pairs = 0.0, positives = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
            var groupPositives = 0.0, groupNegatives = 0.0
            for index in order[start...end] {
                if positive[index] { groupPositives += weights?[index] ?? 1 } else { groupNegatives += weights?[index] ?? 1 }
            }
            pairs += groupPositives * (negativesBelow + groupNegatives / 2)
            negativesBelow += groupNegatives
            positives += groupPositives
            start = end + 1
        }
        guard positives > 0, negativesBelow > 0 else { return .nan }
        return pairs / (positives * negativesBelow)
    }

    /// Average precision: Σ (recallₖ − recallₖ₋₁) · precisionₖ over the distinct score thresholds, highest first
    /// (scikit-learn's step-wise definition, no interpolation; rows counted by weight). NaN without a positive row.
    static func averagePrecision(scores: [Double], positive: [Bool], weights: [Double]? = nil) -> Double {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let positives = positive.indices.reduce(0.0) { $0 + (positive[$1] ? weights?[$1] ?? 1 : 0) }
        guard positives > 0 else { return .nan }
        var truePositives = 0.0, seen = 0.0, previousRecall = 0.0, total = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
            for index in order[start...end] {
                let weight = weights?[index] ?? 1
                seen += weight
                if positive[index] { truePositives += weight }
            }
            let recall = truePositives / positives
            if seen > 0 { total += (recall - previousRecall) * (truePositives / seen) }
            previousRecall = recall
            start = end + 1
        }
        return total
    }
}
