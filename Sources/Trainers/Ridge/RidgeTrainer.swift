import NumericKernels

/// Ridge regression (L2-penalised least squares), optionally on standardised features.
///
/// Matches scikit-learn: `make_pipeline(StandardScaler(), Ridge(alpha))` when `standardize` (population standard
/// deviation, a constant column keeps scale 1), plain `Ridge(alpha)` otherwise; the intercept is not penalised.
/// Sample weights weigh each row's squared error (`Ridge.fit(sample_weight=)`) and the scaler's means and deviations
/// (`StandardScaler.fit(sample_weight=)`).
/// Solved by Cholesky on `XᵀX + αI` (LAPACK dpotrf), falling back to SVD least squares (dgelsd) when that matrix is
/// singular or its reciprocal condition number is below 1e-13.
public enum RidgeTrainer: Trainer {
    public static let name = "ridge"

    public static let parameterTable = ParameterTable([
        ParameterDefinition(
            name: "alpha", aliases: ["lambda_l2", "reg_lambda"], kind: .double(0...Double.infinity), defaultValue: "1.0",
            summary: "L2 penalty on the coefficients"),
        ParameterDefinition(
            name: "fit_intercept", kind: .bool, defaultValue: "true", summary: "fit an unpenalised intercept"),
        ParameterDefinition(
            name: "standardize", aliases: ["normalize"], kind: .bool, defaultValue: "true",
            summary: "scale features to zero mean and unit variance first (scaling stored in the model)"),
    ])

    /// Most features ridge accepts: it solves p×p systems (p = 4,000 is 128 MB a matrix, and a few are held).
    public static let maxFeatures = 4_000

    public static func prepare(_ data: Dataset) throws(TrainerError) -> RidgePrepared {
        guard data.featureCount <= maxFeatures else {
            let megabytes = (data.featureCount * data.featureCount * 8) >> 20
            throw .trainingFailed(
                "ridge solves a \(data.featureCount)×\(data.featureCount) system (\(megabytes) MB a matrix); it accepts at most \(maxFeatures) features. Drop columns with --ignore-columns, or use --trainer gbdt, which has no such limit")
        }
        return try RidgePrepared(data)
    }

    /// The fold's own means, deviations and Gram matrix.
    public static func restrict(_ prepared: RidgePrepared, to rows: [Int]) throws(TrainerError) -> RidgePrepared {
        try RidgePrepared(prepared.data.rows(at: rows))
    }

    /// Fits one model; ridge is solved in one step, so `validation` and `observer` are unused.
    public static func fit(
        _ prepared: RidgePrepared, parameters: ResolvedParameters, validation: Dataset? = nil, observer: FitObserver? = nil
    ) throws(TrainerError) -> RidgeModel {
        let system = RidgeSystem(prepared, fitIntercept: parameters.bool("fit_intercept"), standardize: parameters.bool("standardize"))
        let alpha = parameters.double("alpha")
        let (coefficients, solver) = try system.solve(alpha: alpha, prepared: prepared)
        return system.model(coefficients: coefficients, parameters: parameters, solver: solver, featureNames: prepared.data.featureNames)
    }

    /// Fits one model per alpha from a single eigen-decomposition of the Gram matrix (dsyevd): O(p²) per alpha.
    public static func fitPath(
        _ prepared: RidgePrepared, alphas: [Double], fitIntercept: Bool = true, standardize: Bool = true
    ) throws(TrainerError) -> [RidgeModel] {
        let system = RidgeSystem(prepared, fitIntercept: fitIntercept, standardize: standardize)
        let eigen: (values: [Double], vectors: Matrix)
        do { eigen = try DenseSolvers.symmetricEigen(system.gram) } catch {
            throw .trainingFailed("ridge: eigen-decomposition failed: \(error)")
        }
        let p = system.gram.rows
        // Project the right-hand side onto the eigenvectors once: z = Qᵀ b.
        let z = (0..<p).map { k in (0..<p).reduce(0.0) { $0 + eigen.vectors[$1, k] * system.rhs[$1] } }
        var models: [RidgeModel] = []
        for alpha in alphas {
            guard alpha >= 0, alpha.isFinite else {
                throw .invalidParameter(name: "alpha", message: "'\(alpha)' is outside the allowed range [0, ∞)")
            }
            let parameters = try parameterTable.resolve([
                ("alpha", String(alpha)), ("fit_intercept", String(fitIntercept)), ("standardize", String(standardize)),
            ])
            var coefficients = [Double](repeating: 0, count: p)
            for k in 0..<p where eigen.values[k] + alpha > 1e-12 * max(1, eigen.values[p - 1]) {
                let scaled = z[k] / (eigen.values[k] + alpha)
                for j in 0..<p { coefficients[j] += eigen.vectors[j, k] * scaled }
            }
            models.append(system.model(
                coefficients: coefficients, parameters: parameters, solver: "eigen-path", featureNames: prepared.data.featureNames))
        }
        return models
    }
}

/// Data-dependent ridge work done once: (weighted) column means and deviations, centred Gram matrix and right-hand
/// side, each row scaled by the square root of its weight.
public struct RidgePrepared: Sendable {
    let data: Dataset
    /// √weight of each row; nil when unweighted.
    let rowScales: [Double]?
    let means: [Double]
    let deviations: [Double]
    let centeredGram: Matrix
    let centeredRhs: [Double]
    let targetMean: Double

    init(_ data: Dataset) throws(TrainerError) {
        guard data.rowCount >= 1 else { throw .trainingFailed("ridge: the training data has no rows") }
        for j in 0..<data.featureCount {
            if let row = data.column(j).firstIndex(where: { !$0.isFinite }) {
                throw .invalidData(
                    file: "training data", line: nil, field: data.featureNames[j],
                    message: "ridge needs complete numeric features; row \(row - j * data.rowCount + 1) is missing")
            }
        }
        try data.checkWeights()
        let weight = { (i: Int) in data.weights?[i] ?? 1 }
        let n = data.weights.map { $0.reduce(0, +) } ?? Double(data.rowCount)
        self.data = data
        let rowScales = data.weights?.map { $0.squareRoot() }
        self.rowScales = rowScales
        let targetMean = data.target.indices.reduce(0) { $0 + weight($1) * data.target[$1] } / n
        self.targetMean = targetMean
        var means: [Double] = [], deviations: [Double] = []
        var centered = data.features
        for j in 0..<data.featureCount {
            let column = data.column(j)
            let mean = zip(0..., column).reduce(0) { $0 + weight($1.0) * $1.1 } / n
            var squares = 0.0
            for i in 0..<data.rowCount {
                centered[i, j] -= mean
                squares += weight(i) * centered[i, j] * centered[i, j]
                if let rowScales { centered[i, j] *= rowScales[i] }
            }
            means.append(mean)
            deviations.append((squares / n).squareRoot())
        }
        self.means = means
        self.deviations = deviations
        centeredGram = DenseSolvers.gram(centered)
        centeredRhs = DenseSolvers.transposeMultiply(centered, data.target.indices.map { (data.target[$0] - targetMean) * (rowScales?[$0] ?? 1) })
    }

    /// The features and target with each row scaled by √weight (unchanged when unweighted).
    var weightedRows: (features: Matrix, target: [Double]) {
        guard let rowScales else { return (data.features, data.target) }
        var features = data.features
        for j in 0..<features.columns { for i in 0..<features.rows { features[i, j] *= rowScales[i] } }
        return (features, zip(data.target, rowScales).map { $0 * $1 })
    }
}

/// The normal equations for one (fit_intercept, standardize) choice, in the working coordinates `(x − center) / scale`.
struct RidgeSystem {
    let gram: Matrix
    let rhs: [Double]
    let centers: [Double]
    let scales: [Double]
    let fitIntercept: Bool
    let standardize: Bool
    let targetMean: Double
    let means: [Double]

    init(_ prepared: RidgePrepared, fitIntercept: Bool, standardize: Bool) {
        let p = prepared.data.featureCount
        self.fitIntercept = fitIntercept
        self.standardize = standardize
        targetMean = prepared.targetMean
        means = prepared.means
        // scikit-learn's StandardScaler keeps scale 1 for (near-)constant columns.
        let scales = standardize ? prepared.deviations.map { $0 < 1e-12 ? 1 : $0 } : Array(repeating: 1, count: p)
        self.scales = scales
        centers = standardize ? prepared.means : Array(repeating: 0, count: p)
        if standardize || fitIntercept {
            // Centred columns: XcᵀXc and Xcᵀy (= Xcᵀyc, since centred columns sum to zero), rescaled by D⁻¹ on each side.
            var gram = prepared.centeredGram
            for j in 0..<p { for i in 0..<p { gram[i, j] /= scales[i] * scales[j] } }
            self.gram = gram
            rhs = (0..<p).map { prepared.centeredRhs[$0] / scales[$0] }
        } else {
            let (features, target) = prepared.weightedRows
            gram = DenseSolvers.gram(features)
            rhs = DenseSolvers.transposeMultiply(features, target)
        }
    }

    /// The working design matrix and target, needed only by the least-squares fallback.
    private func design(_ prepared: RidgePrepared, alpha: Double) -> (Matrix, [Double]) {
        let data = prepared.data
        let n = data.rowCount, p = data.featureCount
        let shift = (standardize || fitIntercept) ? means : Array(repeating: 0, count: p)
        let rowScale = { (i: Int) in prepared.rowScales?[i] ?? 1 }
        var augmented = Matrix(rows: n + p, columns: p)
        for j in 0..<p {
            for i in 0..<n { augmented[i, j] = rowScale(i) * (data.features[i, j] - shift[j]) / scales[j] }
            augmented[n + j, j] = alpha.squareRoot()
        }
        let target = data.target.indices.map { rowScale($0) * (fitIntercept ? data.target[$0] - targetMean : data.target[$0]) }
            + Array(repeating: 0, count: p)
        return (augmented, target)
    }

    func solve(alpha: Double, prepared: RidgePrepared) throws(TrainerError) -> ([Double], String) {
        var penalised = gram
        for j in 0..<gram.rows { penalised[j, j] += alpha }
        if let (factor, rcond) = try? DenseSolvers.cholesky(penalised), rcond > 1e-13,
           let solution = try? DenseSolvers.choleskySolve(factor: factor, rhs) {
            return (solution, "cholesky")
        }
        let (a, b) = design(prepared, alpha: alpha)
        do {
            return (try DenseSolvers.leastSquares(a, b), "lstsq")
        } catch {
            throw .trainingFailed("ridge: least-squares solve failed: \(error)")
        }
    }

    func model(coefficients: [Double], parameters: ResolvedParameters, solver: String, featureNames: [String]) -> RidgeModel {
        var intercept = 0.0
        if fitIntercept {
            // Without standardisation the working coordinates are uncentred: shift the intercept by the means.
            intercept = targetMean
            if !standardize { intercept -= zip(means, coefficients).reduce(0) { $0 + $1.0 * $1.1 } }
        }
        return RidgeModel(
            featureNames: featureNames, centers: centers, scales: scales, coefficients: coefficients,
            intercept: intercept, parameters: parameters, solver: solver)
    }
}
