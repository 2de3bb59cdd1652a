import Foundation

/// Gradients, hessians, starting scores and outputs of each objective (LightGBM's regression_objective.hpp,
/// binary_objective.hpp, multiclass_objective.hpp, xentropy_objective.hpp).
///
/// Classifiers train on label indices: binary 0 (negative) / 1 (positive), multiclass 0…K−1. Scores are kept per
/// class: `scores[k][row]`, one array for single-output objectives.
extension GBDTObjective {
    /// Whether the model predicts class probabilities.
    public var isClassifier: Bool { self == .binary || self == .multiclass }

    /// The constant scores the first trees start from, one per class (LightGBM's `boost_from_average`), from the
    /// labels' (weighted) mean, median or class shares.
    func initialScores(_ labels: [Double], classCount: Int, weights: [Double]? = nil) -> [Double] {
        let total = weights.map { $0.reduce(0, +) } ?? Double(labels.count)
        let mean = labels.indices.reduce(0) { $0 + (weights?[$1] ?? 1) * labels[$1] } / max(1e-300, total)
        switch self {
        case .regression, .huber:
            return [mean]
        case .regressionL1:
            return [weightedMedian(labels, weights: weights)]
        case .poisson:
            return [log(max(1e-10, mean))]
        case .binary, .crossEntropy:
            let p = min(max(mean, 1e-15), 1 - 1e-15)
            return [log(p / (1 - p))]
        case .multiclass:
            var counts = [Double](repeating: 0, count: classCount)
            for (row, label) in labels.enumerated() { counts[Int(label)] += weights?[row] ?? 1 }
            return counts.map { log(max(1e-15, $0 / max(1e-300, total))) }
        }
    }

    /// Every hessian equals this constant (so histograms need not sum them), or nil.
    var constantHessian: Double? {
        switch self {
        case .regression, .regressionL1, .huber: 1
        case .poisson, .binary, .multiclass, .crossEntropy: nil
        }
    }

    /// Fills each class's gradients and hessians of the loss at the raw `scores`, for `rows` or all rows, in blocks of
    /// rows on `parameters.numThreads` threads (each row's values do not depend on the blocks). `weights` scale binary
    /// rows of each class (`is_unbalance`, `scale_pos_weight`); `sampleWeights` scale each row's gradient and hessian
    /// (LightGBM's `weight`).
    func gradients(
        scores: [[Double]], labels: [Double], rows: [Int32]?, parameters: GBDTParameters,
        weights: (negative: Double, positive: Double), sampleWeights: [Double]?, gradients: inout [[Double]],
        hessians: inout [[Double]]
    ) {
        unweightedGradients(
            scores: scores, labels: labels, rows: rows, parameters: parameters, weights: weights, gradients: &gradients,
            hessians: &hessians)
        guard let sampleWeights else { return }
        for k in gradients.indices {
            for index in 0..<(rows?.count ?? labels.count) {
                let i = rows.map { Int($0[index]) } ?? index
                gradients[k][i] *= sampleWeights[i]
                // The constant hessians (L2, L1, Huber) are never written: each is the row's weight.
                hessians[k][i] = constantHessian == nil ? hessians[k][i] * sampleWeights[i] : sampleWeights[i]
            }
        }
    }

    private func unweightedGradients(
        scores: [[Double]], labels: [Double], rows: [Int32]?, parameters: GBDTParameters,
        weights: (negative: Double, positive: Double), gradients: inout [[Double]], hessians: inout [[Double]]
    ) {
        let count = rows?.count ?? labels.count
        let rowIndices = rows ?? []
        if self == .multiclass {
            multiclassGradients(scores: scores, labels: labels, rows: rows, threads: parameters.numThreads, gradients: &gradients, hessians: &hessians)
            return
        }
        let objective = self, delta = parameters.huberDelta, maxDelta = exp(parameters.poissonMaxDeltaStep)
        let classWeights = [weights.negative, weights.positive]
        scores[0].withUnsafeBufferPointer { score in
            labels.withUnsafeBufferPointer { label in
                rowIndices.withUnsafeBufferPointer { rowIndex in
                    gradients[0].withUnsafeMutableBufferPointer { gradient in
                        hessians[0].withUnsafeMutableBufferPointer { hessian in
                            let buffers = UnsafeSendable((score, label, rowIndex, gradient, hessian))
                            forEachBlock(of: count, threads: parameters.numThreads) { block in
                                let (score, label, rowIndex, gradient, hessian) = buffers.value
                                for k in block {
                                    let i = rows == nil ? k : Int(rowIndex[k])
                                    let diff = score[i] - label[i]
                                    switch objective {
                                    case .regression:
                                        gradient[i] = diff
                                    case .regressionL1:
                                        gradient[i] = diff > 0 ? 1 : (diff < 0 ? -1 : 0)
                                    case .huber:
                                        gradient[i] = abs(diff) <= delta ? diff : (diff > 0 ? delta : -delta)
                                    case .poisson:
                                        let e = exp(score[i])
                                        gradient[i] = e - label[i]
                                        hessian[i] = e * maxDelta
                                    case .binary, .crossEntropy:
                                        let p = sigmoid(score[i])
                                        let weight = objective == .binary ? classWeights[label[i] > 0 ? 1 : 0] : 1
                                        gradient[i] = (p - label[i]) * weight
                                        hessian[i] = p * (1 - p) * weight
                                    case .multiclass:
                                        break
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Softmax cross-entropy: gradient pₖ − [y = k], hessian K/(K − 1) · pₖ(1 − pₖ) (LightGBM's factor).
    private func multiclassGradients(
        scores: [[Double]], labels: [Double], rows: [Int32]?, threads: Int, gradients: inout [[Double]], hessians: inout [[Double]]
    ) {
        let classCount = scores.count, count = rows?.count ?? labels.count
        let factor = Double(classCount) / Double(classCount - 1)
        let rowIndices = rows ?? [], n = labels.count
        // Probabilities row by row, then each class's arrays written in one pass.
        var probabilities = [Double](repeating: 0, count: classCount * n)
        rowIndices.withUnsafeBufferPointer { rowIndex in
            probabilities.withUnsafeMutableBufferPointer { output in
                let buffers = UnsafeSendable((rowIndex, output))
                forEachBlock(of: count, threads: threads) { block in
                    let (rowIndex, output) = buffers.value
                    var row = [Double](repeating: 0, count: classCount)
                    for k in block {
                        let i = rows == nil ? k : Int(rowIndex[k])
                        softmax(scores, row: i, into: &row)
                        for c in 0..<classCount { output[c * n + i] = row[c] }
                    }
                }
            }
        }
        for c in 0..<classCount {
            probabilities.withUnsafeBufferPointer { probability in
                labels.withUnsafeBufferPointer { label in
                    rowIndices.withUnsafeBufferPointer { rowIndex in
                        gradients[c].withUnsafeMutableBufferPointer { gradient in
                            hessians[c].withUnsafeMutableBufferPointer { hessian in
                                let buffers = UnsafeSendable((probability, label, rowIndex, gradient, hessian))
                                forEachBlock(of: count, threads: threads) { block in
                                    let (probability, label, rowIndex, gradient, hessian) = buffers.value
                                    for k in block {
                                        let i = rows == nil ? k : Int(rowIndex[k])
                                        let p = probability[c * n + i]
                                        gradient[i] = Int(label[i]) == c ? p - 1 : p
                                        hessian[i] = factor * p * (1 - p)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The predictions from raw scores: values through the link function, or class probabilities.
    func predictions(raw scores: [[Double]], classes: [Double]?) -> Predictions {
        switch self {
        case .regression, .regressionL1, .huber:
            return .values(scores[0])
        case .poisson:
            return .values(scores[0].map(exp))
        case .crossEntropy:
            return .values(scores[0].map(sigmoid))
        case .binary:
            let positive = scores[0].map(sigmoid)
            return .probabilities([positive.map { 1 - $0 }, positive], classes: classes ?? [0, 1])
        case .multiclass:
            let rows = scores.first?.count ?? 0
            var columns = scores.map { _ in [Double](repeating: 0, count: rows) }
            var probabilities = [Double](repeating: 0, count: scores.count)
            for row in 0..<rows {
                softmax(scores, row: row, into: &probabilities)
                for k in scores.indices { columns[k][row] = probabilities[k] }
            }
            return .probabilities(columns, classes: classes ?? scores.indices.map(Double.init))
        }
    }

    /// The metric early stopping watches when `metric` is not given: the objective's own loss (rmse for L2, which
    /// has the same best iteration as LightGBM's default l2).
    var defaultMetric: GBDTMetric {
        switch self {
        case .regression: .rmse
        case .regressionL1: .l1
        case .huber: .huber
        case .poisson: .poisson
        case .binary: .binaryLogloss
        case .multiclass: .multiLogloss
        case .crossEntropy: .crossEntropy
        }
    }

    /// Validates regression labels (classifiers' labels are checked while mapping them to classes).
    func checkLabels(_ labels: [Double]) throws(TrainerError) {
        if self == .poisson, let bad = labels.first(where: { $0 < 0 }) {
            throw .invalidParameter(name: "objective", message: "poisson needs non-negative targets, found \(bad)")
        }
        if self == .crossEntropy, let bad = labels.first(where: { !(0...1).contains($0) }) {
            throw .invalidParameter(name: "objective", message: "cross_entropy needs targets in [0, 1], found \(bad)")
        }
    }

    /// The class labels of a classifier's training targets, and the targets as class indices.
    ///
    /// Binary: exactly two distinct values; the larger is the positive class. Multiclass: whole numbers 0…K−1 as
    /// LightGBM requires, K = `num_class` (or the largest label + 1 when `num_class` is 1).
    func classes(of targets: [Double], numClass: Int) throws(TrainerError) -> (classes: [Double], indices: [Double])? {
        switch self {
        case .binary:
            let distinct = Array(Set(targets)).sorted()
            guard distinct.count == 2 else {
                throw .invalidData(
                    file: "training data", line: nil, field: "target",
                    message: "objective binary needs exactly two distinct target values, found \(distinct.count)"
                        + (distinct.count > 2
                            ? " (\(distinct.prefix(5).map { GBDTModel.labelText($0) }.joined(separator: ", ")), …); for classes by a threshold (e.g. congested hours) use --target-above VALUE, for several classes objective=multiclass"
                            : ""))
            }
            return (distinct, targets.map { $0 == distinct[1] ? 1 : 0 })
        case .multiclass:
            if let bad = targets.firstIndex(where: { $0 < 0 || $0 != $0.rounded() || $0 >= Double(GBDTParameters.maxClasses) }) {
                throw .invalidData(
                    file: "training data", line: nil, field: "target",
                    message: "objective multiclass needs class labels 0, 1, …, num_class − 1 (at most \(GBDTParameters.maxClasses)); row \(bad + 1) has \(targets[bad])")
            }
            let largest = Int(targets.max() ?? 0)
            let count = numClass > 1 ? numClass : largest + 1
            guard count >= 2 else {
                throw .invalidData(file: "training data", line: nil, field: "target", message: "objective multiclass needs at least two classes")
            }
            guard largest < count else {
                throw .invalidParameter(name: "num_class", message: "is \(numClass) but the targets hold label \(largest)")
            }
            // Scores, gradients, hessians and probabilities are held per class and row: bound them before allocating.
            guard count * targets.count <= GBDTParameters.maxClassRows else {
                throw .invalidData(
                    file: "training data", line: nil, field: "target",
                    message: "\(count) classes × \(targets.count) rows needs \(count * targets.count * 32 >> 20) MB of per-class scores; multiclass accepts at most \(GBDTParameters.maxClassRows) class-rows (fewer classes or rows)")
            }
            return ((0..<count).map(Double.init), targets)
        case .regression, .regressionL1, .huber, .poisson, .crossEntropy:
            return nil
        }
    }
}

@inline(__always)
func sigmoid(_ score: Double) -> Double { 1 / (1 + exp(-score)) }

/// Row `row`'s class probabilities from per-class raw scores (max subtracted for stability).
@inline(__always)
func softmax(_ scores: [[Double]], row: Int, into probabilities: inout [Double]) {
    var largest = -Double.infinity
    for k in scores.indices { largest = max(largest, scores[k][row]) }
    var total = 0.0
    for k in scores.indices {
        probabilities[k] = exp(scores[k][row] - largest)
        total += probabilities[k]
    }
    for k in scores.indices { probabilities[k] /= total }
}

/// A validation metric, by LightGBM's names. Computed on predictions (after the link function), as LightGBM's
/// metrics are; `auc` and `average_precision` are better when higher, the others when lower.
public enum GBDTMetric: String, Sendable {
    case l2, rmse, l1, huber, poisson, mape
    case binaryLogloss = "binary_logloss", binaryError = "binary_error", auc, averagePrecision = "average_precision"
    case multiLogloss = "multi_logloss", multiError = "multi_error", crossEntropy = "cross_entropy"

    /// Accepted names, with LightGBM's aliases.
    static let names = ["l2", "mean_squared_error", "mse", "regression_l2", "regression", "rmse", "root_mean_squared_error",
                        "l2_root", "l1", "mean_absolute_error", "mae", "regression_l1", "huber", "poisson", "mape",
                        "mean_absolute_percentage_error", "binary_logloss", "binary", "binary_error", "auc",
                        "average_precision", "multi_logloss", "multiclass", "softmax", "multi_error", "cross_entropy",
                        "xentropy"]

    /// LightGBM's metrics tunekit does not compute, with the reason.
    static let refused: [String: String] = {
        var refused: [String: String] = [:]
        for name in ["quantile", "fair", "gamma", "gamma_deviance", "tweedie", "ndcg", "lambdarank", "rank_xendcg",
                     "xendcg", "xe_ndcg", "xe_ndcg_mart", "xendcg_mart", "map", "mean_average_precision", "auc_mu",
                     "multiclassova", "multiclass_ova", "ova", "ovr", "cross_entropy_lambda", "xentlambda",
                     "kullback_leibler", "kldiv"] {
            refused[name] = "not implemented; see `tunekit train --trainer gbdt --help` for the metrics tunekit computes"
        }
        return refused
    }()

    init?(name: String) {
        switch name {
        case "l2", "mean_squared_error", "mse", "regression_l2", "regression": self = .l2
        case "rmse", "root_mean_squared_error", "l2_root": self = .rmse
        case "l1", "mean_absolute_error", "mae", "regression_l1": self = .l1
        case "huber": self = .huber
        case "poisson": self = .poisson
        case "mape", "mean_absolute_percentage_error": self = .mape
        case "binary_logloss", "binary": self = .binaryLogloss
        case "binary_error": self = .binaryError
        case "auc": self = .auc
        case "average_precision": self = .averagePrecision
        case "multi_logloss", "multiclass", "softmax": self = .multiLogloss
        case "multi_error": self = .multiError
        case "cross_entropy", "xentropy": self = .crossEntropy
        default: return nil
        }
    }

    var higherIsBetter: Bool { self == .auc || self == .averagePrecision }

    /// Whether the metric is defined for the objective's predictions, else why not.
    func problem(with objective: GBDTObjective) -> String? {
        switch self {
        case .binaryLogloss, .binaryError, .auc, .averagePrecision:
            objective == .binary ? nil : "\(rawValue) needs objective binary"
        case .multiLogloss, .multiError:
            objective == .multiclass ? nil : "\(rawValue) needs objective multiclass"
        case .crossEntropy:
            objective == .crossEntropy || objective == .binary ? nil : "cross_entropy needs objective cross_entropy or binary"
        case .l2, .rmse, .l1, .huber, .poisson, .mape:
            objective.isClassifier ? "\(rawValue) is a regression metric; objective \(objective.rawValue) is scored with classification metrics" : nil
        }
    }

    /// The metric of `predictions` against the true targets, rows counted by `weights` when given (LightGBM weighs
    /// a validation set's metrics by its weights); `delta` is Huber's δ.
    func evaluate(_ predictions: Predictions, targets: [Double], weights: [Double]? = nil, delta: Double) -> Double {
        let total = weights.map { $0.reduce(0, +) } ?? Double(max(1, targets.count))
        let weight = { (row: Int) in weights?[row] ?? 1 }
        switch predictions {
        case .values(let values):
            return evaluate(values: values, targets: targets, weights: weights, delta: delta)
        case .probabilities(let probabilities, let classes):
            let truth = targets.map { classes.firstIndex(of: $0) ?? -1 }
            switch self {
            case .auc:
                return ClassificationMetrics.rocAUC(scores: probabilities[1], positive: truth.map { $0 == 1 }, weights: weights)
            case .averagePrecision:
                return ClassificationMetrics.averagePrecision(scores: probabilities[1], positive: truth.map { $0 == 1 }, weights: weights)
            case .binaryError:
                // LightGBM: a probability ≤ 0.5 predicts the negative class.
                return truth.indices.reduce(0) { $0 + ((probabilities[1][$1] > 0.5) != (truth[$1] == 1) ? weight($1) : 0) } / total
            case .multiError:
                let predicted = predictions.values
                return targets.indices.reduce(0) { $0 + (predicted[$1] != targets[$1] ? weight($1) : 0) } / total
            case .crossEntropy where classes.count == 2:
                return evaluate(values: probabilities[1], targets: truth.map { Double($0) }, weights: weights, delta: delta)
            default:
                var loss = 0.0
                for (row, k) in truth.enumerated() {
                    loss -= weight(row) * log(min(max(k >= 0 ? probabilities[k][row] : 0, 1e-15), 1 - 1e-15))
                }
                return loss / total
            }
        }
    }

    private func evaluate(values: [Double], targets: [Double], weights: [Double]?, delta: Double) -> Double {
        let n = weights.map { $0.reduce(0, +) } ?? Double(max(1, targets.count))
        var total = 0.0
        for (row, (prediction, label)) in zip(values, targets).enumerated() {
            let error = prediction - label
            let loss: Double
            switch self {
            case .l2, .rmse: loss = error * error
            case .l1: loss = abs(error)
            case .huber: loss = abs(error) <= delta ? 0.5 * error * error : delta * (abs(error) - 0.5 * delta)
            // Negative log-likelihood up to a constant: ŷ − y·log ŷ (LightGBM clamps ŷ away from 0).
            case .poisson: loss = prediction - label * log(max(prediction, 1e-10))
            case .mape: loss = abs(error) / max(1, abs(label))
            case .crossEntropy:
                let p = min(max(prediction, 1e-15), 1 - 1e-15)
                loss = -(label * log(p) + (1 - label) * log(1 - p))
            case .binaryLogloss, .binaryError, .auc, .averagePrecision, .multiLogloss, .multiError:
                return .nan
            }
            total += (weights?[row] ?? 1) * loss
        }
        return self == .rmse ? (total / n).squareRoot() : total / n
    }
}

/// The weighted median: the smallest value whose cumulative weight (values ascending) reaches half the total, or the
/// midpoint of it and the next value when it reaches exactly half — the plain median when every weight is equal.
func weightedMedian(_ values: [Double], weights: [Double]?) -> Double {
    guard let weights else { return median(values) }
    guard !values.isEmpty else { return 0 }
    let order = values.indices.sorted { values[$0] < values[$1] }
    let half = weights.reduce(0, +) / 2
    var cumulative = 0.0
    for (position, index) in order.enumerated() {
        cumulative += weights[index]
        if cumulative > half { return values[index] }
        if cumulative == half, weights[index] > 0 {
            let next = order[(position + 1)...].first { weights[$0] > 0 }
            return next.map { (values[index] + values[$0]) / 2 } ?? values[index]
        }
    }
    return values[order.last!]
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
