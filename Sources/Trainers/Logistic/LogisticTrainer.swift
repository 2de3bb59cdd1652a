import Foundation
import NumericKernels

/// L2-penalised logistic regression: binary (sigmoid) for two classes, multinomial (softmax) for more — the
/// classification counterpart of ridge.
///
/// Minimises scikit-learn's `LogisticRegression` objective, `C · Σᵢ log-loss(i) + ½ Σₖ ‖wₖ‖²` (the intercepts are not
/// penalised), on features standardised first when `standardize` (as `make_pipeline(StandardScaler(),
/// LogisticRegression(C))`; the scaling is stored in the model). The problem is strictly convex, so its minimum is
/// unique: it is found by Newton's method with a backtracking line search, each step a Cholesky solve (LAPACK) of the
/// Hessian, to a far tighter tolerance than scikit-learn's lbfgs default — equal coefficients, not an approximation.
/// Sample weights weigh each row's log-loss (`LogisticRegression.fit(sample_weight=)`) and the scaler's statistics.
/// Labels: two distinct values (the larger is the positive class) or class indices 0…K−1, as gbdt takes them.
public enum LogisticTrainer: Trainer {
    public static let name = "logistic"

    public static let parameterTable = ParameterTable([
        ParameterDefinition(
            name: "C", aliases: ["c", "inverse_regularization"], kind: .double(0...Double.infinity, exclusiveLower: true),
            defaultValue: "1.0", summary: "inverse L2 penalty strength (scikit-learn's C)"),
        ParameterDefinition(
            name: "alpha", aliases: ["lambda_l2", "reg_lambda"], kind: .double(0...Double.infinity), defaultValue: "0",
            summary: "L2 penalty strength 1/C; when above 0 it replaces C"),
        ParameterDefinition(
            name: "fit_intercept", kind: .bool, defaultValue: "true", summary: "fit unpenalised intercepts"),
        ParameterDefinition(
            name: "standardize", aliases: ["normalize"], kind: .bool, defaultValue: "true",
            summary: "scale features to zero mean and unit variance first (scaling stored in the model)"),
        ParameterDefinition(
            name: "max_iter", kind: .int(1...10_000), defaultValue: "100", summary: "most Newton iterations"),
        ParameterDefinition(
            name: "penalty", kind: .choice(["l2"]), defaultValue: "l2", summary: "the penalty (L2 only)",
            refused: ["l1": "the L1 penalty is not implemented; use l2", "elasticnet": "elastic net is not implemented; use l2",
                      "none": "an unpenalised fit diverges on separable data; use a large C instead"]),
    ])

    /// Most coefficients (classes × (features + 1)) the Newton solve accepts: the Hessian is that size squared.
    public static let maxCoefficients = 4_096

    public static func isClassifier(_ parameters: ResolvedParameters) -> Bool { true }

    public static func prepare(_ data: Dataset) throws(TrainerError) -> LogisticPrepared {
        guard data.rowCount >= 2 else { throw .trainingFailed("logistic: the training data needs at least 2 rows") }
        for j in 0..<data.featureCount {
            if let row = data.column(j).firstIndex(where: { !$0.isFinite }) {
                throw .invalidData(
                    file: "training data", line: nil, field: data.featureNames[j],
                    message: "logistic regression needs complete numeric features; row \(row - j * data.rowCount + 1) is missing")
            }
        }
        try data.checkWeights()
        let distinct = Array(Set(data.target)).sorted()
        let classes: [Double]
        if distinct.count == 2 {
            classes = distinct
        } else if distinct.count > 2, distinct.allSatisfy({ $0 >= 0 && $0 == $0.rounded() && $0 < Double(GBDTParameters.maxClasses) }) {
            classes = (0...Int(distinct.last!)).map(Double.init)
        } else {
            throw .invalidData(
                file: "training data", line: nil, field: "target",
                message: distinct.count < 2 ? "logistic regression needs at least two classes, found \(distinct.count)"
                    : "logistic regression needs two distinct labels or class labels 0, 1, …, K − 1; found \(distinct.prefix(5).map { GBDTModel.labelText($0) }.joined(separator: ", "))")
        }
        let outputs = classes.count == 2 ? 1 : classes.count
        guard outputs * (data.featureCount + 1) <= maxCoefficients else {
            throw .trainingFailed(
                "logistic regression with \(classes.count) classes and \(data.featureCount) features has \(outputs * (data.featureCount + 1)) coefficients; it accepts at most \(maxCoefficients) (its Newton step solves a system that size squared). Use --trainer gbdt")
        }
        return LogisticPrepared(data: data, classes: classes)
    }

    /// The fold's rows, with the classes of all the prepared rows (a fold missing a class still predicts it).
    public static func restrict(_ prepared: LogisticPrepared, to rows: [Int]) throws(TrainerError) -> LogisticPrepared {
        let data = prepared.data.rows(at: rows)
        guard data.rowCount >= 2 else { throw .trainingFailed("logistic: the training data needs at least 2 rows") }
        try data.checkWeights()
        return LogisticPrepared(data: data, classes: prepared.classes)
    }

    /// Fits one model; logistic regression has no early stopping, so `validation` and `observer` are unused.
    public static func fit(
        _ prepared: LogisticPrepared, parameters: ResolvedParameters, validation: Dataset? = nil, observer: FitObserver? = nil
    ) throws(TrainerError) -> LogisticModel {
        let data = prepared.data
        // A class with no training rows (a fold or split without it) has no finite optimum: its scores run to −∞.
        let present = Set(data.target)
        if let missing = prepared.classes.first(where: { !present.contains($0) }) {
            throw .invalidData(
                file: "training data", line: nil, field: "target",
                message: "class \(GBDTModel.labelText(missing)) has no training rows (a cross-validation fold or split without it), so logistic regression has no finite fit; stratify (--stratify) or use fewer folds")
        }
        let n = data.rowCount, p = data.featureCount
        let standardize = parameters.bool("standardize"), fitIntercept = parameters.bool("fit_intercept")
        let alpha = parameters.double("alpha")
        let c = alpha > 0 ? 1 / alpha : parameters.double("C")
        let maxIterations = Int(parameters.values["max_iter"] ?? "") ?? 100
        // Working design [Z, 1]: standardised (population deviation; a constant column keeps scale 1) or raw.
        var centers = [Double](repeating: 0, count: p), scales = [Double](repeating: 1, count: p)
        let width = p + (fitIntercept ? 1 : 0)
        var design = Matrix(rows: n, columns: width, repeating: 1)
        let weights = data.weights ?? [Double](repeating: 1, count: n)
        let totalWeight = weights.reduce(0, +)
        for j in 0..<p {
            let column = data.column(j)
            if standardize {
                let mean = zip(column, weights).reduce(0) { $0 + $1.0 * $1.1 } / totalWeight
                let deviation = (zip(column, weights).reduce(0) { $0 + $1.1 * ($1.0 - mean) * ($1.0 - mean) } / totalWeight).squareRoot()
                (centers[j], scales[j]) = (mean, deviation < 1e-12 ? 1 : deviation)
            }
            for (i, value) in column.enumerated() { design[i, j] = (value - centers[j]) / scales[j] }
        }
        let classes = prepared.classes
        let outputs = classes.count == 2 ? 1 : classes.count
        // One-hot targets per output (binary: the positive class).
        let targets: [[Double]] = (0..<outputs).map { k in
            data.target.map { outputs == 1 ? ($0 == classes[1] ? 1 : 0) : ($0 == classes[k] ? 1 : 0) }
        }
        var problem = LogisticProblem(
            design: design, targets: targets, weights: data.weights, c: c, penalised: p, fitIntercept: fitIntercept)
        let (theta, iterations, converged) = try problem.minimize(maxIterations: maxIterations)
        let coefficients = (0..<outputs).map { k in Array(theta[(k * width)..<(k * width + p)]) }
        let intercepts = (0..<outputs).map { k in fitIntercept ? theta[k * width + p] : 0 }
        return LogisticModel(
            featureNames: data.featureNames, centers: centers, scales: scales, coefficients: coefficients,
            intercepts: intercepts, classes: classes, parameters: parameters, iterations: iterations, converged: converged)
    }
}

/// Training data checked once, with its classes.
public struct LogisticPrepared: Sendable {
    let data: Dataset
    let classes: [Double]
}

/// The penalised log-likelihood over stacked parameters θ = (w₀, b₀, w₁, b₁, …), one block per output.
private struct LogisticProblem {
    let design: Matrix
    let targets: [[Double]]
    /// Each row's sample weight; nil = all 1.
    let weights: [Double]?
    let c: Double
    let penalised: Int
    let fitIntercept: Bool

    var width: Int { design.columns }
    var outputs: Int { targets.count }

    /// Probabilities per output and row (sigmoid for one output, softmax over outputs otherwise).
    func probabilities(_ theta: [Double]) -> [[Double]] {
        let n = design.rows
        var scores = (0..<outputs).map { _ in [Double](repeating: 0, count: n) }
        for k in 0..<outputs {
            for j in 0..<width {
                let w = theta[k * width + j]
                if w == 0 { continue }
                let base = j * n
                for i in 0..<n { scores[k][i] += w * design.storage[base + i] }
            }
        }
        if outputs == 1 { return [scores[0].map(sigmoid)] }
        var row = [Double](repeating: 0, count: outputs)
        var result = scores
        for i in 0..<n {
            softmax(scores, row: i, into: &row)
            for k in 0..<outputs { result[k][i] = row[k] }
        }
        return result
    }

    /// The objective at θ (log-loss written stably from the probabilities' logs).
    func value(_ theta: [Double], _ probabilities: [[Double]]) -> Double {
        var loss = 0.0
        for i in 0..<design.rows {
            let w = weights?[i] ?? 1
            if outputs == 1 {
                let p = probabilities[0][i], y = targets[0][i]
                loss -= w * (y * log(max(p, 1e-300)) + (1 - y) * log(max(1 - p, 1e-300)))
            } else {
                for k in 0..<outputs where targets[k][i] == 1 { loss -= w * log(max(probabilities[k][i], 1e-300)) }
            }
        }
        var penalty = 0.0
        for k in 0..<outputs { for j in 0..<penalised { penalty += theta[k * width + j] * theta[k * width + j] } }
        return c * loss + 0.5 * penalty
    }

    mutating func minimize(maxIterations: Int) throws(TrainerError) -> (theta: [Double], iterations: Int, converged: Bool) {
        let size = outputs * width
        var theta = [Double](repeating: 0, count: size)
        var probabilities = self.probabilities(theta)
        var current = value(theta, probabilities)
        for iteration in 1...maxIterations {
            let (gradient, hessian) = derivatives(theta, probabilities)
            let step: [Double]
            do {
                let (factor, _) = try DenseSolvers.cholesky(hessian)
                step = try DenseSolvers.choleskySolve(factor: factor, gradient)
            } catch {
                throw .trainingFailed("logistic: the Newton system could not be solved (\(error)); try a smaller C")
            }
            // Backtracking: the full Newton step is taken near the optimum, halved while it does not decrease enough.
            let decrease = zip(gradient, step).reduce(0) { $0 + $1.0 * $1.1 }
            var length = 1.0
            var accepted = false
            while length > 1e-10 {
                let candidate = (0..<size).map { theta[$0] - length * step[$0] }
                let candidateProbabilities = self.probabilities(candidate)
                let candidateValue = value(candidate, candidateProbabilities)
                if candidateValue <= current - 1e-4 * length * decrease || candidateValue <= current {
                    (theta, probabilities, current, accepted) = (candidate, candidateProbabilities, candidateValue, true)
                    break
                }
                length /= 2
            }
            let largestStep = step.map { abs($0) * length }.max() ?? 0
            if !accepted || largestStep <= 1e-12 * max(1, theta.map(abs).max() ?? 0) {
                return (theta, iteration, true)
            }
        }
        return (theta, maxIterations, false)
    }

    /// Gradient and Hessian of the objective. Multinomial intercepts are only defined up to a common shift (the
    /// gradient never moves their sum); a rank-one term on that direction keeps the Hessian invertible without
    /// changing the step.
    private func derivatives(_ theta: [Double], _ probabilities: [[Double]]) -> (gradient: [Double], hessian: Matrix) {
        let size = outputs * width
        var gradient = [Double](repeating: 0, count: size)
        var hessian = Matrix(rows: size, columns: size)
        for k in 0..<outputs {
            let residual = (0..<design.rows).map { (probabilities[k][$0] - targets[k][$0]) * (weights?[$0] ?? 1) }
            let g = DenseSolvers.transposeMultiply(design, residual)
            for j in 0..<width { gradient[k * width + j] = c * g[j] + (j < penalised ? theta[k * width + j] : 0) }
            for l in k..<outputs {
                let curvature = (0..<design.rows).map { i -> Double in
                    let weight: Double = weights?[i] ?? 1
                    let p: Double = outputs == 1 ? probabilities[0][i] : probabilities[k][i]
                    let q: Double = outputs == 1 ? 1 - p : (k == l ? 1 : 0) - probabilities[l][i]
                    return weight * p * q
                }
                let block = DenseSolvers.weightedCrossProduct(design, curvature, design)
                for a in 0..<width {
                    for b in 0..<width {
                        hessian[k * width + a, l * width + b] = c * block[a, b]
                        hessian[l * width + b, k * width + a] = c * block[a, b]
                    }
                }
            }
            for j in 0..<penalised { hessian[k * width + j, k * width + j] += 1 }
        }
        if outputs > 1, fitIntercept {
            for k in 0..<outputs { for l in 0..<outputs { hessian[k * width + width - 1, l * width + width - 1] += 1 } }
        }
        return (gradient, hessian)
    }
}
