import ExperimentRunner
import Foundation

/// Hyperparameter importances by functional ANOVA (Hutter, Hoos & Leyton-Brown, ICML 2014), computed the way Optuna's
/// default `FanovaImportanceEvaluator` computes them: a random forest (64 trees, depth ≤ 64) predicts the objective
/// from the parameters; in each tree a parameter's importance is the variance of the tree's prediction averaged over
/// all other parameters (its main effect) as a fraction of the tree's total variance over the search space; the
/// fractions are averaged over the trees and normalised to sum to one. Numeric parameters (double, int, and discrete
/// ones, whose values are numbers) are used on their raw scale within their declared bounds; a categorical parameter
/// is one-hot encoded and its columns are varied together.
public enum ParameterImportance {
    /// The most trials a forest is fitted on: beyond it, the most recent ones. (Growing a forest and the variance of a
    /// categorical's main effect cost up to rows² per tree; 2,000 trials take seconds. Optuna itself needs ~35 s for
    /// 1,000.)
    public static let maxTrials = 2_000

    /// Importances summing to one (all zero when the objective does not vary), by parameter name.
    /// Trials without a finite objective, or with a parameter missing or outside its domain (a number outside its
    /// bounds, an undeclared choice), are left out; a parameter that cannot vary (one choice, equal or non-finite
    /// bounds) gets zero, as in Optuna; a name given twice counts once (its first declaration).
    public static func fanova(
        parameters: [RecordedParameter], trials: [(parameters: [String: String], value: Double)],
        trees: Int = 64, maxDepth: Int = 64, seed: UInt64 = 0
    ) -> [String: Double] {
        Analysis(parameters: parameters, trials: trials, trees: trees, maxDepth: maxDepth, seed: seed).importances
    }

    /// The fitted forest of a set of trials: the importances, and the forest's marginal predictions for plots.
    public struct Analysis: Sendable {
        /// By parameter name, summing to one (all zero when nothing could be fitted or nothing varies).
        public let importances: [String: Double]
        /// How many trials the forest was fitted on (at most `maxTrials`).
        public let trialCount: Int
        private let encoding: Encoding
        private let trees: [Leaves]

        /// - Parameter trials: in the order they ran (when there are more than `maxTrials`, the last ones are used).
        public init(
            parameters: [RecordedParameter], trials: [(parameters: [String: String], value: Double)],
            trees count: Int = 64, maxDepth: Int = 64, seed: UInt64 = 0
        ) {
            var importances = Dictionary(parameters.map { ($0.name, 0.0) }, uniquingKeysWith: { first, _ in first })
            var seen: Set<String> = []
            let varying = parameters.filter { parameter in
                guard seen.insert(parameter.name).inserted else { return false }
                return switch parameter.domain {
                case let .numeric(low, high): high > low && (high - low).isFinite
                case let .categorical(choices): choices.count > 1
                }
            }
            var encoding = Encoding(varying)
            var rows: [(values: [Double], value: Double)] = []
            for trial in trials.reversed() where trial.value.isFinite && rows.count < maxTrials {
                if let values = encoding.values(trial.parameters) { rows.append((values, trial.value)) }
            }
            rows.reverse()
            trialCount = rows.count
            encoding.observe(rows.map(\.values))
            self.encoding = encoding
            guard rows.count > 1, !varying.isEmpty else {
                (self.importances, trees) = (importances, [])
                return
            }
            let forest = RegressionForest(
                columns: encoding.columns(rows.map(\.values)), chosen: encoding.chosen(rows.map(\.values)),
                targets: rows.map(\.value), trees: count, maxDepth: maxDepth, seed: seed)
            trees = forest.trees.map { [encoding] in Leaves($0, bounds: encoding.bounds) }
            let fractions = ParameterImportance.mainEffectFractions(trees, groups: encoding.groups)
            let total = fractions.reduce(0, +)
            for (parameter, fraction) in zip(varying, fractions) {
                importances[parameter.name] = total > 0 && total.isFinite ? fraction / total : 0
            }
            self.importances = importances
        }

        /// The forest's prediction with the given parameters fixed (numbers as text, or choices) and every other one
        /// averaged over its domain; nil when nothing was fitted, a value is not in its parameter's domain, or a
        /// choice no trial took (the forest knows nothing of it).
        public func marginal(_ values: [String: String]) -> Double? {
            guard !trees.isEmpty else { return nil }
            // One-hot columns of a fixed categorical are 0 but for the chosen one.
            var point = [Double](repeating: 0, count: encoding.bounds.count)
            var fixed = [Bool](repeating: false, count: encoding.bounds.count)
            for (index, parameter) in encoding.parameters.enumerated() {
                guard let text = values[parameter.name] else { continue }
                guard let value = encoding.value(text, of: index) else { return nil }
                for column in encoding.groups[index] { fixed[column] = true }
                switch parameter.domain {
                case .numeric: point[encoding.groups[index][0]] = value
                case .categorical:
                    guard let column = encoding.observed[index][Int(value)] else { return nil }
                    point[column] = 1
                }
            }
            return trees.reduce(0) { $0 + $1.marginal(at: point, fixed: fixed) } / Double(trees.count)
        }
    }

    /// Per column group, the mean over trees (of non-zero variance) of the group's main-effect variance divided by
    /// the tree's variance. Exposed to tests, which compare single trees with Optuna's computation.
    static func mainEffectFractions(
        _ trees: [RegressionForest.Tree], bounds: [(low: Double, high: Double)], groups: [[Int]]
    ) -> [Double] {
        mainEffectFractions(trees.map { Leaves($0, bounds: bounds) }, groups: groups)
    }

    private static func mainEffectFractions(_ trees: [Leaves], groups: [[Int]]) -> [Double] {
        var sums = [Double](repeating: 0, count: groups.count)
        var counted = 0
        for leaves in trees where leaves.variance > 0 && leaves.variance.isFinite {
            counted += 1
            for (index, group) in groups.enumerated() {
                sums[index] += max(0, leaves.mainEffectVariance(of: group)) / leaves.variance
            }
        }
        return counted == 0 ? sums : sums.map { $0 / Double(counted) }
    }

    /// The parameters' columns: one per numeric parameter, one per choice of a categorical one that some trial chose.
    /// (A choice no trial chose is a column of zeros: never split on, it changes no tree and no importance, so it is
    /// left out, which keeps a categorical with thousands of choices cheap.)
    private struct Encoding: Sendable {
        let parameters: [RecordedParameter]
        /// Per parameter (categoricals only): choice → its index among the declared choices.
        private let choiceIndex: [[String: Int]]
        var bounds: [(low: Double, high: Double)] = []
        var groups: [[Int]] = []
        /// Per parameter (categoricals only): index of a choice some trial took → its column.
        var observed: [[Int: Int]] = []

        init(_ parameters: [RecordedParameter]) {
            self.parameters = parameters
            choiceIndex = parameters.map { parameter in
                guard case let .categorical(choices) = parameter.domain else { return [:] }
                return Dictionary(choices.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            }
        }

        /// Lays out the columns once the trials' rows are known: which choices they took.
        mutating func observe(_ rows: [[Double]]) {
            for (index, parameter) in parameters.enumerated() {
                switch parameter.domain {
                case let .numeric(low, high):
                    groups.append([bounds.count])
                    bounds.append((low, high))
                    observed.append([:])
                case .categorical:
                    let choices = Set(rows.map { Int($0[index]) }).sorted()
                    observed.append(Dictionary(uniqueKeysWithValues: choices.enumerated().map { ($1, bounds.count + $0) }))
                    groups.append(Array(bounds.count..<bounds.count + choices.count))
                    bounds += Array(repeating: (0, 1), count: choices.count)
                }
            }
        }

        /// A trial's value per parameter (a number, or the choice's index); nil when one is missing or invalid.
        func values(_ assignments: [String: String]) -> [Double]? {
            var values: [Double] = []
            values.reserveCapacity(parameters.count)
            for (index, parameter) in parameters.enumerated() {
                guard let text = assignments[parameter.name], let value = value(text, of: index) else { return nil }
                values.append(value)
            }
            return values
        }

        /// Parameter `index`'s value: a number within its bounds, or its choice's index.
        func value(_ text: String, of index: Int) -> Double? {
            switch parameters[index].domain {
            case let .numeric(low, high): Double(text).flatMap { (low...high).contains($0) ? $0 : nil }
            case .categorical: choiceIndex[index][text].map(Double.init)
            }
        }

        func columns(_ rows: [[Double]]) -> [RegressionForest.Column] {
            var columns: [RegressionForest.Column] = []
            var group = 0
            for (index, parameter) in parameters.enumerated() {
                switch parameter.domain {
                case .numeric: columns.append(.numeric(rows.map { $0[index] }))
                case .categorical:
                    columns += (0..<observed[index].count).map { RegressionForest.Column.oneHot(group: group, choice: $0) }
                    group += 1
                }
            }
            return columns
        }

        /// Per categorical parameter, the position of each row's choice among the observed ones.
        func chosen(_ rows: [[Double]]) -> [[Int]] {
            parameters.indices.filter { if case .categorical = parameters[$0].domain { true } else { false } }.map { index in
                rows.map { observed[index][Int($0[index])]! - groups[index][0] }
            }
        }
    }

    /// A tree as the boxes of its leaves and their values. A box is kept as the columns where it is narrower than
    /// the search space (at most the tree's depth), so a leaf costs O(depth), whatever the number of columns.
    struct Leaves: Sendable {
        struct Side: Sendable, Hashable {
            var column: Int
            var low: Double
            var high: Double
        }

        var values: [Double] = []
        /// Per leaf: its narrowed columns, by column.
        var boxes: [[Side]] = []
        let bounds: [(low: Double, high: Double)]
        let widths: [Double]
        /// The tree's prediction averaged over the search space, and its variance there.
        private(set) var mean = 0.0, variance = 0.0

        init(_ tree: RegressionForest.Tree, bounds: [(low: Double, high: Double)]) {
            self.bounds = bounds
            widths = bounds.map { $0.high - $0.low }
            var pending: [(node: Int, box: [Side])] = [(0, [])]
            while let (index, box) = pending.popLast() {
                let node = tree[index]
                guard node.feature >= 0 else {
                    values.append(node.value)
                    boxes.append(box.sorted { $0.column < $1.column })
                    continue
                }
                let column = node.feature
                let current = box.first { $0.column == column } ?? Side(column: column, low: bounds[column].low, high: bounds[column].high)
                // A threshold outside the box (a value outside the declared bounds) leaves an empty side.
                let cut = max(current.low, min(current.high, node.threshold))
                let others = box.filter { $0.column != column }
                pending.append((node.right, others + [Side(column: column, low: cut, high: current.high)]))
                pending.append((node.left, others + [Side(column: column, low: current.low, high: cut)]))
            }
            let none = [Bool](repeating: false, count: widths.count)
            let shares = boxes.map { share($0, outside: none) }
            mean = zip(values, shares).reduce(0) { $0 + $1.0 * $1.1 }
            variance = zip(values, shares).reduce(0) { $0 + $1.1 * ($1.0 - mean) * ($1.0 - mean) }
        }

        /// The prediction at a point, averaged over the columns not `fixed`: the sum over the leaves whose box holds
        /// the point (left children hold their threshold, as in the tree) of value × share outside the fixed columns.
        func marginal(at point: [Double], fixed: [Bool]) -> Double {
            var sum = 0.0
            for (leaf, box) in boxes.enumerated() {
                let holds = box.allSatisfy { side in
                    guard fixed[side.column] else { return true }
                    let bound = bounds[side.column]
                    let x = min(max(point[side.column], bound.low), bound.high)
                    return side.high > side.low && (x > side.low || side.low == bound.low) && x <= side.high
                }
                if holds { sum += values[leaf] * share(box, outside: fixed) }
            }
            return sum
        }

        /// The fraction of the search space's volume a box covers in the columns outside the group.
        private func share(_ box: [Side], outside group: [Bool]) -> Double {
            var product = 1.0
            for side in box where !group[side.column] { product *= (side.high - side.low) / widths[side.column] }
            return product
        }

        /// The variance, over the group's columns, of the prediction averaged over all other columns.
        /// That average at a point is the sum of `value × share outside the group` over the leaves whose box holds
        /// the point; its mean square is a sum over pairs of leaf boxes of their overlap within the group.
        func mainEffectVariance(of group: [Int]) -> Double {
            var inGroup = [Bool](repeating: false, count: widths.count)
            for column in group { inGroup[column] = true }
            // Leaves with the same box within the group act as one. Values are centred on the mean (the shares outside
            // the group of the leaves holding a point sum to one), so the mean square is the variance itself.
            var boxIndex: [[Side]: Int] = [:]
            var merged: [(box: [Side], weight: Double)] = []  // in leaf order, so sums are reproducible
            for (leaf, box) in boxes.enumerated() {
                let key = box.filter { inGroup[$0.column] }
                let weight = (values[leaf] - mean) * share(box, outside: inGroup)
                if let index = boxIndex[key] { merged[index].weight += weight } else {
                    boxIndex[key] = merged.count
                    merged.append((key, weight))
                }
            }
            if group.count == 1 {
                let bound = bounds[group[0]]
                return Self.sweep(merged.map { entry in
                    (low: entry.box.first?.low ?? bound.low, high: entry.box.first?.high ?? bound.high, weight: entry.weight)
                }) / widths[group[0]]
            }
            var meanSquare = 0.0
            for first in merged {
                for second in merged { meanSquare += first.weight * second.weight * overlap(first.box, second.box) }
            }
            return meanSquare
        }

        /// The share of the group's space two boxes (narrowed columns, by column) have in common.
        private func overlap(_ first: [Side], _ second: [Side]) -> Double {
            var product = 1.0
            var i = 0, j = 0
            while i < first.count || j < second.count {
                let a = i < first.count ? first[i].column : Int.max, b = j < second.count ? second[j].column : Int.max
                let column = min(a, b)
                var low = -Double.infinity, high = Double.infinity
                if a == column { (low, high) = (first[i].low, first[i].high); i += 1 }
                if b == column { (low, high) = (max(low, second[j].low), min(high, second[j].high)); j += 1 }
                product *= max(0, high - low) / widths[column]
                if product == 0 { return 0 }
            }
            return product
        }

        /// ∫ (Σ weight over the intervals holding x)² dx, by a sweep over the intervals' ends.
        private static func sweep(_ intervals: [(low: Double, high: Double, weight: Double)]) -> Double {
            var events = intervals.flatMap { [($0.low, $0.weight), ($0.high, -$0.weight)] }
            events.sort { $0.0 < $1.0 }
            var integral = 0.0, level = 0.0
            for (index, event) in events.enumerated() {
                if index > 0 { integral += level * level * (event.0 - events[index - 1].0) }
                level += event.1
            }
            return integral
        }
    }
}
