public import NumericKernels

/// Numeric training data: a column-major feature matrix (NaN = missing) and a target.
public struct Dataset: Sendable {
    public let featureNames: [String]
    /// `rowCount × featureCount`, column-major.
    public let features: Matrix
    public let target: [Double]

    public init(featureNames: [String], features: Matrix, target: [Double]) {
        precondition(features.columns == featureNames.count, "one name per feature column")
        precondition(features.rows == target.count, "one target per row")
        self.featureNames = featureNames
        self.features = features
        self.target = target
    }

    public var rowCount: Int { target.count }
    public var featureCount: Int { featureNames.count }

    /// Builds a dataset from feature columns.
    public init(featureNames: [String], columns: [[Double]], target: [Double]) {
        var storage: [Double] = []
        storage.reserveCapacity(columns.count * target.count)
        for column in columns { storage.append(contentsOf: column) }
        self.init(
            featureNames: featureNames, features: Matrix(rows: target.count, columns: columns.count, storage: storage),
            target: target)
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
        return Dataset(featureNames: featureNames, columns: columns, target: Array(target[range]))
    }

    /// This dataset followed by `other` (same features).
    public func appending(_ other: Dataset) -> Dataset {
        precondition(other.featureNames == featureNames, "datasets must have the same features")
        return Dataset(
            featureNames: featureNames,
            columns: (0..<featureCount).map { Array(column($0)) + Array(other.column($0)) },
            target: target + other.target)
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
