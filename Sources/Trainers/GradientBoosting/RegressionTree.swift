import NumericKernels

/// One regression tree in LightGBM's array layout: internal nodes 0…L−2, leaves referenced as `~leaf` (negative).
public struct RegressionTree: Sendable, Codable, Equatable {
    public var splitFeature: [Int] = []
    /// Real-valued threshold: `x ≤ threshold` goes left (a categorical node holds its index in `leftCategories`, as
    /// LightGBM's `threshold` does).
    public var threshold: [Double] = []
    /// The same test on bins: `bin ≤ thresholdBin` goes left (−1 at a categorical node).
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
    /// Per node: −1 for a numeric split, else the index of its categorical split in `leftCategories` and `leftBins`.
    public var categoricalSplit: [Int] = []
    /// Per categorical split, the category values that go left as a bitset (bit c % 32 of word c / 32; LightGBM's
    /// `cat_threshold`). Missing values, negative values and every other category go right.
    public var leftCategories: [[UInt32]] = []
    /// Per categorical split, the same set as training bins (bit b % 32 of word b / 32).
    public var leftBins: [[UInt32]] = []

    /// Whether `value` is in a bitset.
    @inline(__always)
    static func bitsetContains(_ words: [UInt32], _ value: Int) -> Bool {
        let word = value >> 5
        return value >= 0 && word < words.count && words[word] & (1 << UInt32(value & 31)) != 0
    }

    /// A bitset of the given non-negative values.
    static func bitset(_ values: [Int]) -> [UInt32] {
        var words = [UInt32](repeating: 0, count: (values.max() ?? -1) / 32 + 1)
        for value in values { words[value >> 5] |= 1 << UInt32(value & 31) }
        return words
    }

    /// The values in a bitset, ascending.
    static func members(_ words: [UInt32]) -> [Int] {
        words.indices.flatMap { word in (0..<32).filter { words[word] & (1 << UInt32($0)) != 0 }.map { word * 32 + $0 } }
    }

    /// The leaf a raw feature row falls in.
    @inline(__always)
    func leaf(features: (Int) -> Double) -> Int {
        guard !splitFeature.isEmpty else { return 0 }
        var node = 0
        while node >= 0 {
            let value = features(splitFeature[node])
            let goLeft: Bool
            if categoricalSplit[node] >= 0 {
                goLeft = BinMapper.category(value).map { Self.bitsetContains(leftCategories[categoricalSplit[node]], $0) } ?? false
            } else {
                goLeft = value.isNaN ? defaultLeft[node] : value <= threshold[node]
            }
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
            let goLeft: Bool
            if categoricalSplit[node] >= 0 {
                goLeft = Self.bitsetContains(leftBins[categoricalSplit[node]], bin)
            } else {
                goLeft = (mapper.hasMissing && bin == mapper.binCount) ? defaultLeft[node] : bin <= thresholdBin[node]
            }
            node = goLeft ? leftChild[node] : rightChild[node]
        }
        return ~node
    }

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case splitFeature, threshold, thresholdBin, defaultLeft, leftChild, rightChild, splitGain, internalValue, internalWeight
        case internalCount, leafValue, leafWeight, leafCount, categoricalSplit, leftCategories, leftBins
    }

    /// Reads trees of models saved before categorical splits existed (every node numeric).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        splitFeature = try container.decode([Int].self, forKey: .splitFeature)
        threshold = try container.decode([Double].self, forKey: .threshold)
        thresholdBin = try container.decode([Int].self, forKey: .thresholdBin)
        defaultLeft = try container.decode([Bool].self, forKey: .defaultLeft)
        leftChild = try container.decode([Int].self, forKey: .leftChild)
        rightChild = try container.decode([Int].self, forKey: .rightChild)
        splitGain = try container.decode([Double].self, forKey: .splitGain)
        internalValue = try container.decode([Double].self, forKey: .internalValue)
        internalWeight = try container.decode([Double].self, forKey: .internalWeight)
        internalCount = try container.decode([Int].self, forKey: .internalCount)
        leafValue = try container.decode([Double].self, forKey: .leafValue)
        leafWeight = try container.decode([Double].self, forKey: .leafWeight)
        leafCount = try container.decode([Int].self, forKey: .leafCount)
        categoricalSplit = try container.decodeIfPresent([Int].self, forKey: .categoricalSplit)
            ?? Array(repeating: -1, count: splitFeature.count)
        leftCategories = try container.decodeIfPresent([[UInt32]].self, forKey: .leftCategories) ?? []
        leftBins = try container.decodeIfPresent([[UInt32]].self, forKey: .leftBins) ?? []
        try validate(codingPath: decoder.codingPath)
    }

    /// A tree read from a file must be walkable: every array the right length, every node but the root and every leaf
    /// the child of exactly one node (so no walk can loop), categorical splits in range (a tampered model must fail to
    /// load, not crash or hang a prediction).
    private func validate(codingPath: [any CodingKey]) throws {
        let nodes = splitFeature.count, leaves = leafValue.count
        let perNode = [threshold.count, thresholdBin.count, defaultLeft.count, leftChild.count, rightChild.count,
                       splitGain.count, internalValue.count, internalWeight.count, internalCount.count, categoricalSplit.count]
        let children = (leftChild + rightChild).sorted()
        let expected = (0..<leaves).reversed().map { ~$0 } + Array(1..<max(1, nodes))
        guard perNode.allSatisfy({ $0 == nodes }), leaves == nodes + 1, leafWeight.count == leaves, leafCount.count == leaves,
              leftBins.count == leftCategories.count,
              splitFeature.allSatisfy({ $0 >= 0 }),
              nodes == 0 || children == expected,
              categoricalSplit.allSatisfy({ $0 < leftCategories.count }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "inconsistent tree arrays"))
        }
    }
}
