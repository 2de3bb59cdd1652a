/// A model's trees packed for prediction: every node's test in one 32-byte record, the trees' nodes, leaf values and
/// category bitsets each in one flat array read through pointers, so a walk touches no per-field arrays and no
/// reference counts (shared counts bounce between cores when blocks of rows are scored in parallel).
struct FlatForest {
    struct Node {
        let threshold: Double
        let feature: Int32
        /// Child node index within the tree, or `~leaf`.
        let left: Int32
        let right: Int32
        /// −1: numeric, NaN goes right; −2: numeric, NaN goes left; ≥ 0: categorical, the offset of its left-category
        /// bitset in `categoryWords`.
        let kind: Int32
        /// A categorical node's bitset length in words.
        let words: Int32
    }

    private(set) var nodes: [Node] = []
    private(set) var leafValues: [Double] = []
    /// Per tree: its class, first node and first leaf value; trees that never split are left out.
    private(set) var trees: [(output: Int, node: Int, leaf: Int)] = []
    /// Left-category bitsets of every categorical split, one after another.
    private(set) var categoryWords: [UInt32] = []

    init(_ trees: [RegressionTree], outputs: Int) {
        for (index, tree) in trees.enumerated() where !tree.splitFeature.isEmpty {
            self.trees.append((index % outputs, nodes.count, leafValues.count))
            for node in tree.splitFeature.indices {
                var kind = tree.defaultLeft[node] ? -2 : -1, words = 0
                if tree.categoricalSplit[node] >= 0 {
                    let bitset = tree.leftCategories[tree.categoricalSplit[node]]
                    (kind, words) = (categoryWords.count, bitset.count)
                    categoryWords += bitset
                }
                nodes.append(Node(
                    threshold: tree.threshold[node], feature: Int32(tree.splitFeature[node]), left: Int32(tree.leftChild[node]),
                    right: Int32(tree.rightChild[node]), kind: Int32(kind), words: Int32(words)))
            }
            leafValues += tree.leafValue
        }
    }

    /// Adds every tree's output for one row (its features at `row[0..<width]`) to `scores[output]`, tree by tree.
    @inline(__always)
    func accumulate(row: UnsafePointer<Double>, into scores: UnsafeMutablePointer<Double>, stride: Int) {
        nodes.withUnsafeBufferPointer { nodes in
            leafValues.withUnsafeBufferPointer { leafValues in
                categoryWords.withUnsafeBufferPointer { categoryWords in
                    trees.withUnsafeBufferPointer { trees in
                        for tree in trees {
                            var node = Int32(0)
                            while node >= 0 {
                                let test = nodes[tree.node + Int(node)]
                                let value = row[Int(test.feature)]
                                let goLeft: Bool
                                if test.kind >= 0 {
                                    if let category = BinMapper.category(value), category >> 5 < Int(test.words) {
                                        goLeft = categoryWords[Int(test.kind) + category >> 5] & (1 << UInt32(category & 31)) != 0
                                    } else {
                                        goLeft = false
                                    }
                                } else {
                                    goLeft = value.isNaN ? test.kind == -2 : value <= test.threshold
                                }
                                node = goLeft ? test.left : test.right
                            }
                            scores[tree.output * stride] += leafValues[tree.leaf + Int(~node)]
                        }
                    }
                }
            }
        }
    }
}
