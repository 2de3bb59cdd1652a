import Foundation

/// Classification scores of class probabilities against true labels, defined as scikit-learn's `sklearn.metrics`.
///
/// Binary (two classes): `precision`, `recall`, `f1` and `average_precision` are of the positive class (the second,
/// larger label), `auc` is the ROC AUC of its probability. More classes: `precision`, `recall`, `f1` and `auc` are
/// macro averages over classes (AUC one-vs-rest, as `roc_auc_score(multi_class="ovr")`); `average_precision` is
/// binary only. `logloss` clips probabilities to [1e-15, 1 − 1e-15]. A metric that is undefined on the rows given
/// (AUC when one class is absent) is NaN.
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

    public init(probabilities: [[Double]], classes: [Double], targets: [Double]) {
        precondition(probabilities.count == classes.count && classes.count >= 2, "one probability column per class")
        precondition(probabilities.allSatisfy { $0.count == targets.count } && !targets.isEmpty, "one probability per row")
        let n = targets.count
        let truth = targets.map { label in classes.firstIndex(of: label) ?? -1 }
        let predicted = Predictions.probabilities(probabilities, classes: Array(0..<classes.count).map(Double.init)).values.map(Int.init)
        var correct = 0, loss = 0.0
        for row in 0..<n {
            if predicted[row] == truth[row] { correct += 1 }
            let p = truth[row] >= 0 ? probabilities[truth[row]][row] : 0
            loss -= log(min(max(p, 1e-15), 1 - 1e-15))
        }
        accuracy = Double(correct) / Double(n)
        logloss = loss / Double(n)
        // Per-class counts for precision and recall.
        func scores(of k: Int) -> (precision: Double, recall: Double, f1: Double) {
            var truePositive = 0, predictedPositive = 0, actualPositive = 0
            for row in 0..<n {
                if predicted[row] == k { predictedPositive += 1 }
                if truth[row] == k { actualPositive += 1; if predicted[row] == k { truePositive += 1 } }
            }
            // scikit-learn's zero_division=0: an empty denominator scores 0.
            let precision = predictedPositive > 0 ? Double(truePositive) / Double(predictedPositive) : 0
            let recall = actualPositive > 0 ? Double(truePositive) / Double(actualPositive) : 0
            let f1 = predictedPositive + actualPositive > 0 ? 2 * Double(truePositive) / Double(predictedPositive + actualPositive) : 0
            return (precision, recall, f1)
        }
        if classes.count == 2 {
            let positive = truth.map { $0 == 1 }
            (precision, recall, f1) = scores(of: 1)
            auc = Self.rocAUC(scores: probabilities[1], positive: positive)
            averagePrecision = Self.averagePrecision(scores: probabilities[1], positive: positive)
        } else {
            let perClass = classes.indices.map(scores(of:))
            let k = Double(classes.count)
            precision = perClass.map(\.precision).reduce(0, +) / k
            recall = perClass.map(\.recall).reduce(0, +) / k
            f1 = perClass.map(\.f1).reduce(0, +) / k
            auc = classes.indices.map { c in Self.rocAUC(scores: probabilities[c], positive: truth.map { $0 == c }) }.reduce(0, +) / k
            averagePrecision = .nan
        }
    }

    public var modelMetrics: ModelMetrics {
        ModelMetrics([("accuracy", accuracy), ("logloss", logloss), ("auc", auc), ("f1", f1), ("precision", precision),
                      ("recall", recall), ("average_precision", averagePrecision)])
    }

    /// Area under the ROC curve: the probability a random positive scores above a random negative, ties counting
    /// half (the Mann–Whitney statistic from average ranks). NaN unless both kinds of rows are present.
    static func rocAUC(scores: [Double], positive: [Bool]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
            let averageRank = Double(start + end) / 2 + 1
            for index in order[start...end] where positive[index] { rankSum += averageRank }
            start = end + 1
        }
        let positives = Double(positive.filter { $0 }.count), negatives = Double(positive.count) - positives
        guard positives > 0, negatives > 0 else { return .nan }
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// Average precision: Σ (recallₖ − recallₖ₋₁) · precisionₖ over the distinct score thresholds, highest first
    /// (scikit-learn's step-wise definition, no interpolation). NaN without a positive row.
    static func averagePrecision(scores: [Double], positive: [Bool]) -> Double {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let positives = Double(positive.filter { $0 }.count)
        guard positives > 0 else { return .nan }
        var truePositives = 0.0, seen = 0.0, previousRecall = 0.0, total = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
            for index in order[start...end] {
                seen += 1
                if positive[index] { truePositives += 1 }
            }
            let recall = truePositives / positives
            total += (recall - previousRecall) * (truePositives / seen)
            previousRecall = recall
            start = end + 1
        }
        return total
    }
}
