import NumericKernels

/// A random forest of CART regression trees, grown as scikit-learn's `RandomForestRegressor` grows them with the
/// settings Optuna's fANOVA uses: a bootstrap sample per tree, every feature tried at every split (in a random order
/// that only breaks ties), features rounded to single precision, squared error, thresholds halfway between neighbouring
/// values, nodes split until they are pure or hold a single distinct point, at most `maxDepth` deep.
///
/// Features are numeric columns or one-hot groups (a categorical: one 0/1 column per choice). A group is stored as the
/// chosen index per row and searched without sorting: a node sums its rows per choice once, so a categorical with
/// many choices costs O(rows + choices) per node, not O(choices · rows · log rows).
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

    /// What a column holds.
    enum Column: Sendable {
        /// A number per row.
        case numeric([Double])
        /// Column `choice` of one-hot group `group`: 1 where that group's chosen index is `choice`, else 0.
        case oneHot(group: Int, choice: Int)
    }

    let trees: [Tree]

    /// - Parameters:
    ///   - columns: the columns in their global order (the order tree nodes refer to).
    ///   - chosen: per one-hot group, the chosen index per row.
    ///   - bootstrap: false grows every tree on all rows (one tree is then scikit-learn's `DecisionTreeRegressor`).
    init(
        columns: [Column], chosen: [[Int]], targets: [Double], trees count: Int, maxDepth: Int, seed: UInt64,
        bootstrap: Bool = true
    ) {
        precondition(!targets.isEmpty && !columns.isEmpty, "at least one row and one column")
        let columns = columns.map { column -> Column in
            if case let .numeric(values) = column { return .numeric(values.map { Double(Float($0)) }) }
            return column
        }
        var grower = Grower(columns: columns, chosen: chosen, targets: targets, maxDepth: maxDepth)
        var trees: [Tree] = []
        trees.reserveCapacity(count)
        for index in 0..<count {
            var random = Xoshiro256(seed: seed, stream: StreamDerivation.code("regression-forest"), UInt64(index))
            var weights = [Double](repeating: bootstrap ? 0 : 1, count: targets.count)
            if bootstrap { for _ in targets.indices { weights[random.nextIndex(below: targets.count)] += 1 } }
            trees.append(grower.grow(weights: weights, random: &random))
        }
        self.trees = trees
    }

    /// All-numeric rows (one feature vector per row).
    init(rows: [[Double]], targets: [Double], trees count: Int, maxDepth: Int, seed: UInt64, bootstrap: Bool = true) {
        let width = rows.first?.count ?? 0
        self.init(
            columns: (0..<width).map { column in .numeric(rows.map { $0[column] }) }, chosen: [], targets: targets,
            trees: count, maxDepth: maxDepth, seed: seed, bootstrap: bootstrap)
    }

    private struct Grower {
        let columns: [Column]
        let chosen: [[Int]]
        let targets: [Double]
        let maxDepth: Int
        /// Per one-hot group and choice: the node's weight and weighted target sum of the rows that chose it.
        var choiceWeight: [[Double]], choiceSum: [[Double]]

        init(columns: [Column], chosen: [[Int]], targets: [Double], maxDepth: Int) {
            (self.columns, self.chosen, self.targets, self.maxDepth) = (columns, chosen, targets, maxDepth)
            var sizes = [Int](repeating: 0, count: chosen.count)
            for case let .oneHot(group, choice) in columns { sizes[group] = max(sizes[group], choice + 1) }
            choiceWeight = sizes.map { [Double](repeating: 0, count: $0) }
            choiceSum = choiceWeight
        }

        func value(_ row: Int, _ column: Int) -> Double {
            switch columns[column] {
            case let .numeric(values): values[row]
            case let .oneHot(group, choice): chosen[group][row] == choice ? 1 : 0
            }
        }

        /// Grows one tree on the rows of non-zero weight (a bootstrap count weighs a row as that many copies).
        mutating func grow(weights: [Double], random: inout Xoshiro256) -> Tree {
            var nodes = [Node(feature: -1, threshold: 0, left: -1, right: -1, value: 0)]
            // (node index, its rows, depth); children are appended when their parent splits.
            var pending: [(Int, [Int], Int)] = [(0, targets.indices.filter { weights[$0] > 0 }, 0)]
            var order = Array(columns.indices)
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
                for group in chosen.indices {
                    for choice in choiceWeight[group].indices { (choiceWeight[group][choice], choiceSum[group][choice]) = (0, 0) }
                    for row in members {
                        choiceWeight[group][chosen[group][row]] += weights[row]
                        choiceSum[group][chosen[group][row]] += weights[row] * targets[row]
                    }
                }
                var best: (proxy: Double, feature: Int, threshold: Double)?
                func consider(_ leftWeight: Double, _ leftSum: Double, feature: Int, threshold: Double) {
                    // Maximising this is minimising the children's summed squared error.
                    let proxy = leftSum * leftSum / leftWeight + (sum - leftSum) * (sum - leftSum) / (weight - leftWeight)
                    if proxy > best?.proxy ?? -.infinity { best = (proxy, feature, threshold) }
                }
                var sorted = members
                for feature in order {
                    switch columns[feature] {
                    case let .oneHot(group, choice):
                        // Rows with a 0 go left; a split needs both a 0 and a 1 in the node.
                        let ones = choiceWeight[group][choice]
                        if ones > 0, ones < weight { consider(weight - ones, sum - choiceSum[group][choice], feature: feature, threshold: 0.5) }
                    case let .numeric(values):
                        sorted.sort { values[$0] < values[$1] }
                        // Constant within the node (scikit-learn's FEATURE_THRESHOLD).
                        guard values[sorted.last!] > values[sorted[0]] + 1e-7 else { continue }
                        var leftWeight = 0.0, leftSum = 0.0
                        for position in 1..<sorted.count {
                            let previous = sorted[position - 1]
                            leftWeight += weights[previous]
                            leftSum += weights[previous] * targets[previous]
                            let low = values[previous], high = values[sorted[position]]
                            guard high > low + 1e-7 else { continue }
                            var threshold = low / 2 + high / 2
                            if threshold == high || !threshold.isFinite { threshold = low }
                            consider(leftWeight, leftSum, feature: feature, threshold: threshold)
                        }
                    }
                }
                // scikit-learn splits even when no split lowers the error (min_impurity_decrease = 0).
                guard let best else { continue }
                let left = members.filter { value($0, best.feature) <= best.threshold }
                let right = members.filter { value($0, best.feature) > best.threshold }
                let leftIndex = nodes.count
                nodes.append(Node(feature: -1, threshold: 0, left: -1, right: -1, value: 0))
                nodes.append(Node(feature: -1, threshold: 0, left: -1, right: -1, value: 0))
                (nodes[index].feature, nodes[index].threshold) = (best.feature, best.threshold)
                (nodes[index].left, nodes[index].right) = (leftIndex, leftIndex + 1)
                pending.append((leftIndex + 1, right, depth + 1))
                pending.append((leftIndex, left, depth + 1))
            }
            return nodes
        }
    }
}
