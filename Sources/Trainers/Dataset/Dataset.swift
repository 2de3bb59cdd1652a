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

    public init(featureNames: [String], features: Matrix, target: [Double], categoricalFeatures: Set<Int> = []) {
        precondition(features.columns == featureNames.count, "one name per feature column")
        precondition(features.rows == target.count, "one target per row")
        precondition(categoricalFeatures.allSatisfy { featureNames.indices.contains($0) }, "categorical features are feature indices")
        self.featureNames = featureNames
        self.features = features
        self.target = target
        self.categoricalFeatures = categoricalFeatures
    }

    public var rowCount: Int { target.count }
    public var featureCount: Int { featureNames.count }

    /// Builds a dataset from feature columns.
    public init(featureNames: [String], columns: [[Double]], target: [Double], categoricalFeatures: Set<Int> = []) {
        var storage: [Double] = []
        storage.reserveCapacity(columns.count * target.count)
        for column in columns { storage.append(contentsOf: column) }
        self.init(
            featureNames: featureNames, features: Matrix(rows: target.count, columns: columns.count, storage: storage),
            target: target, categoricalFeatures: categoricalFeatures)
    }

    /// The same features with another target.
    public func withTarget(_ target: [Double]) -> Dataset {
        Dataset(featureNames: featureNames, features: features, target: target, categoricalFeatures: categoricalFeatures)
    }

    /// One feature column.
    public func column(_ index: Int) -> ArraySlice<Double> {
        features.storage[(index * rowCount)..<((index + 1) * rowCount)]
    }

    /// The rows in `range`, in order.
    public func rows(_ range: Range<Int>) -> Dataset {
        let columns = (0..<featureCount).map { j in
            Array(features.storage[(j * rowCount + range.lowerBound)..<(j * rowCount + range.upperBound)])
        }
        return Dataset(featureNames: featureNames, columns: columns, target: Array(target[range]), categoricalFeatures: categoricalFeatures)
    }

    /// The rows at `indices`, in that order.
    public func rows(at indices: [Int]) -> Dataset {
        let columns = (0..<featureCount).map { j in indices.map { features.storage[j * rowCount + $0] } }
        return Dataset(
            featureNames: featureNames, columns: columns, target: indices.map { target[$0] }, categoricalFeatures: categoricalFeatures)
    }

    /// This dataset followed by `other` (same features).
    public func appending(_ other: Dataset) -> Dataset {
        precondition(other.featureNames == featureNames, "datasets must have the same features")
        return Dataset(
            featureNames: featureNames,
            columns: (0..<featureCount).map { Array(column($0)) + Array(other.column($0)) },
            target: target + other.target, categoricalFeatures: categoricalFeatures)
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
