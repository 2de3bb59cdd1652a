import NumericKernels

/// One regression tree in LightGBM's array layout: internal nodes 0…L−2, leaves referenced as `~leaf` (negative).
public struct RegressionTree: Sendable, Codable, Equatable {
    public var splitFeature: [Int] = []
    /// Real-valued threshold: `x ≤ threshold` goes left.
    public var threshold: [Double] = []
    /// The same test on bins: `bin ≤ thresholdBin` goes left.
    public var thresholdBin: [Int] = []
    /// Where missing values (NaN) go.
    public var defaultLeft: [Bool] = []
    public var leftChild: [Int] = []
    public var rightChild: [Int] = []
    public var splitGain: [Double] = []
    public var internalValue: [Double] = []
    public var internalWeight: [Double] = []
    public var internalCount: [Int] = []
    public var leafValue: [Double] = [0]
    public var leafWeight: [Double] = [0]
    public var leafCount: [Int] = [0]

    /// The leaf a raw feature row falls in.
    @inline(__always)
    func leaf(features: (Int) -> Double) -> Int {
        guard !splitFeature.isEmpty else { return 0 }
        var node = 0
        while node >= 0 {
            let value = features(splitFeature[node])
            let goLeft = value.isNaN ? defaultLeft[node] : value <= threshold[node]
            node = goLeft ? leftChild[node] : rightChild[node]
        }
        return ~node
    }

    /// The leaf of row `row` of a binned dataset (missing values sit in the bin after the last regular one).
    @inline(__always)
    func leaf(binned: BinnedDataset, row: Int) -> Int {
        guard !splitFeature.isEmpty else { return 0 }
        var node = 0
        while node >= 0 {
            let feature = splitFeature[node]
            let mapper = binned.mappers[feature]
            let bin = Int(binned.columnBins[feature * binned.rowCount + row])
            let goLeft = (mapper.hasMissing && bin == mapper.binCount) ? defaultLeft[node] : bin <= thresholdBin[node]
            node = goLeft ? leftChild[node] : rightChild[node]
        }
        return ~node
    }
}
