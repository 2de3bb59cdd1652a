import NumericKernels

/// A random forest of CART regression trees, grown as scikit-learn's `RandomForestRegressor` grows them with the
/// settings Optuna's fANOVA uses: a bootstrap sample per tree, every feature tried at every split (in a random order
/// that only breaks ties), features rounded to single precision, squared error, thresholds halfway between neighbouring
/// values, nodes split until they are pure or hold a single distinct point, at most `maxDepth` deep. Small by design:
/// it models a few hundred trials.
struct RegressionForest: Sendable {
    struct Node: Sendable, Equatable {
        /// The split column, or -1 for a leaf.
        var feature: Int
        /// Rows with `x[feature] <= threshold` go left.
        var threshold: Double
        var left: Int
        var right: Int
        /// The (weighted) mean target of the node's rows.
        var value: Double
    }

    /// A tree's nodes, the root first.
    typealias Tree = [Node]

    let trees: [Tree]

    /// - Parameters:
    ///   - rows: one feature vector per sample, all of the same length.
    ///   - bootstrap: false grows every tree on all rows (one tree is then scikit-learn's `DecisionTreeRegressor`).
    init(rows: [[Double]], targets: [Double], trees count: Int, maxDepth: Int, seed: UInt64, bootstrap: Bool = true) {
        precondition(rows.count == targets.count && !rows.isEmpty, "one target per row, at least one row")
        let rows = rows.map { $0.map { Double(Float($0)) } }
        var trees: [Tree] = []
        trees.reserveCapacity(count)
        for index in 0..<count {
            var random = Xoshiro256(seed: seed, stream: StreamDerivation.code("regression-forest"), UInt64(index))
            var weights = [Double](repeating: bootstrap ? 0 : 1, count: rows.count)
            if bootstrap { for _ in rows.indices { weights[random.nextIndex(below: rows.count)] += 1 } }
            trees.append(Self.grow(rows: rows, targets: targets, weights: weights, maxDepth: maxDepth, random: &random))
        }
        self.trees = trees
    }

    /// Grows one tree on the rows of non-zero weight (a bootstrap count weighs a row as that many copies).
    private static func grow(
        rows: [[Double]], targets: [Double], weights: [Double], maxDepth: Int, random: inout Xoshiro256
    ) -> Tree {
        let features = rows[0].count
        var nodes: [Node] = []
        // (node index, its rows, depth); children are appended when their parent splits.
        var pending: [(Int, [Int], Int)] = [(0, rows.indices.filter { weights[$0] > 0 }, 0)]
        nodes.append(Node(feature: -1, threshold: 0, left: -1, right: -1, value: 0))
        var order = Array(0..<features)
        while let (index, members, depth) = pending.popLast() {
            var weight = 0.0, sum = 0.0, squares = 0.0
            for row in members {
                weight += weights[row]
                sum += weights[row] * targets[row]
                squares += weights[row] * targets[row] * targets[row]
            }
            let mean = sum / weight
            nodes[index].value = mean
            let impurity = squares / weight - mean * mean
            // scikit-learn's leaf rules: fewer than 2 samples, the depth limit, or an (almost) pure node.
            guard members.count >= 2, depth < maxDepth, impurity > Double.ulpOfOne else { continue }
            for position in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(position, random.nextIndex(below: position + 1))
            }
            var best: (proxy: Double, feature: Int, threshold: Double)?
            var sorted = members
            for feature in order {
                sorted.sort { rows[$0][feature] < rows[$1][feature] }
                // Constant within the node (scikit-learn's FEATURE_THRESHOLD).
                guard rows[sorted.last!][feature] > rows[sorted[0]][feature] + 1e-7 else { continue }
                var leftWeight = 0.0, leftSum = 0.0
                for position in 1..<sorted.count {
                    let previous = sorted[position - 1]
                    leftWeight += weights[previous]
                    leftSum += weights[previous] * targets[previous]
                    let low = rows[previous][feature], high = rows[sorted[position]][feature]
                    guard high > low + 1e-7 else { continue }
                    // Maximising this is minimising the children's summed squared error.
                    let proxy = leftSum * leftSum / leftWeight + (sum - leftSum) * (sum - leftSum) / (weight - leftWeight)
                    if proxy > best?.proxy ?? -.infinity {
                        var threshold = low / 2 + high / 2
                        if threshold == high || !threshold.isFinite { threshold = low }
                        best = (proxy, feature, threshold)
                    }
                }
            }
            // scikit-learn splits even when no split lowers the error (min_impurity_decrease = 0).
            guard let best else { continue }
            let left = members.filter { rows[$0][best.feature] <= best.threshold }
            let right = members.filter { rows[$0][best.feature] > best.threshold }
            let leftIndex = nodes.count
            nodes.append(Node(feature: -1, threshold: 0, left: -1, right: -1, value: 0))
            nodes.append(Node(feature: -1, threshold: 0, left: -1, right: -1, value: 0))
            nodes[index].feature = best.feature
            nodes[index].threshold = best.threshold
            nodes[index].left = leftIndex
            nodes[index].right = leftIndex + 1
            pending.append((leftIndex + 1, right, depth + 1))
            pending.append((leftIndex, left, depth + 1))
        }
        return nodes
    }
}
