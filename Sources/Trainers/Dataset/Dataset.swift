public import NumericKernels

/// Numeric training data: a column-major feature matrix (NaN = missing) and a target.
public struct Dataset: Sendable {
    public let featureNames: [String]
    /// `rowCount × featureCount`, column-major.
    public let features: Matrix
    public let target: [Double]
    /// Features holding category codes (non-negative integers, NaN = missing) rather than quantities: gbdt splits them
    /// by category sets (LightGBM's `categorical_feature`).
    public let categoricalFeatures: Set<Int>
    /// Each row's sample weight (0 to 1e100; see `checkWeights`), as LightGBM's `weight` and scikit-learn's `sample_weight`; nil = all 1.
    public let weights: [Double]?

    public init(
        featureNames: [String], features: Matrix, target: [Double], categoricalFeatures: Set<Int> = [], weights: [Double]? = nil
    ) {
        precondition(features.columns == featureNames.count, "one name per feature column")
        precondition(features.rows == target.count, "one target per row")
        precondition(categoricalFeatures.allSatisfy { featureNames.indices.contains($0) }, "categorical features are feature indices")
        precondition(weights.map { $0.count == target.count } ?? true, "one weight per row")
        self.featureNames = featureNames
        self.features = features
        self.target = target
        self.categoricalFeatures = categoricalFeatures
        self.weights = weights
    }

    public var rowCount: Int { target.count }
    public var featureCount: Int { featureNames.count }

    /// Builds a dataset from feature columns.
    public init(
        featureNames: [String], columns: [[Double]], target: [Double], categoricalFeatures: Set<Int> = [], weights: [Double]? = nil
    ) {
        var storage: [Double] = []
        storage.reserveCapacity(columns.count * target.count)
        for column in columns { storage.append(contentsOf: column) }
        self.init(
            featureNames: featureNames, features: Matrix(rows: target.count, columns: columns.count, storage: storage),
            target: target, categoricalFeatures: categoricalFeatures, weights: weights)
    }

    /// The same features and weights with another target.
    public func withTarget(_ target: [Double]) -> Dataset {
        Dataset(featureNames: featureNames, features: features, target: target, categoricalFeatures: categoricalFeatures, weights: weights)
    }

    /// The same rows with these sample weights.
    public func withWeights(_ weights: [Double]?) -> Dataset {
        Dataset(featureNames: featureNames, features: features, target: target, categoricalFeatures: categoricalFeatures, weights: weights)
    }

    /// Sample weights must be in [0, 1e100] and not all zero (LightGBM's and scikit-learn's checks, and a bound past
    /// which squared gradient sums overflow).
    func checkWeights() throws(TrainerError) {
        guard let weights else { return }
        if let bad = weights.firstIndex(where: { !($0 >= 0 && $0 <= 1e100) }) {
            throw .invalidData(
                file: "training data", line: nil, field: "weight",
                message: "row \(bad + 1) has weight \(weights[bad]); weights must be from 0 to 1e100 (larger ones overflow the gradient sums: scale them down)")
        }
        guard weights.contains(where: { $0 > 0 }) else {
            throw .invalidData(file: "training data", line: nil, field: "weight", message: "every weight is 0")
        }
    }

    /// One feature column.
    public func column(_ index: Int) -> ArraySlice<Double> {
        features.storage[(index * rowCount)..<((index + 1) * rowCount)]
    }

    /// The rows in `range`, in order.
    public func rows(_ range: Range<Int>) -> Dataset { rows(at: Array(range)) }

    /// The rows at `indices`, in that order; all rows in order give this dataset itself (its storage shared, not
    /// copied: a table may be most of the memory a run holds).
    public func rows(at indices: [Int]) -> Dataset {
        if indices.count == rowCount, indices.elementsEqual(0..<rowCount) { return self }
        let n = rowCount
        let storage = [Double](unsafeUninitializedCapacity: featureCount * indices.count) { output, initialized in
            features.storage.withUnsafeBufferPointer { input in
                var position = 0
                for j in 0..<featureCount {
                    for i in indices {
                        output[position] = input[j * n + i]
                        position += 1
                    }
                }
            }
            initialized = featureCount * indices.count
        }
        return Dataset(
            featureNames: featureNames, features: Matrix(rows: indices.count, columns: featureCount, storage: storage),
            target: indices.map { target[$0] }, categoricalFeatures: categoricalFeatures,
            weights: weights.map { weights in indices.map { weights[$0] } })
    }

    /// This dataset followed by `other` (same features).
    public func appending(_ other: Dataset) -> Dataset {
        precondition(other.featureNames == featureNames, "datasets must have the same features")
        return Dataset(
            featureNames: featureNames,
            columns: (0..<featureCount).map { Array(column($0)) + Array(other.column($0)) },
            target: target + other.target, categoricalFeatures: categoricalFeatures,
            weights: weights == nil && other.weights == nil ? nil
                : (weights ?? Array(repeating: 1, count: rowCount)) + (other.weights ?? Array(repeating: 1, count: other.rowCount)))
    }
}

/// Train / validation / (optional) test parts of one data source, in time order.
public struct DatasetSplits: Sendable {
    public let train: Dataset
    public let validation: Dataset
    public let test: Dataset?

    public init(train: Dataset, validation: Dataset, test: Dataset?) {
        self.train = train
        self.validation = validation
        self.test = test
    }
}
