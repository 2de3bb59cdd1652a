public import ExperimentModel
import Foundation

/// Hyperparameter importances by functional ANOVA (Hutter, Hoos & Leyton-Brown, ICML 2014), computed the way Optuna's
/// default `FanovaImportanceEvaluator` computes them: a random forest (64 trees, depth ≤ 64) predicts the objective
/// from the parameters; in each tree a parameter's importance is the variance of the tree's prediction averaged over
/// all other parameters (its main effect) as a fraction of the tree's total variance over the search space; the
/// fractions are averaged over the trees and normalised to sum to one. Numeric parameters (double, int, and discrete
/// ones, whose values are numbers) are used on their raw scale within their declared bounds; a categorical parameter
/// is one-hot encoded and its columns are varied together.
public enum ParameterImportance {
    /// Where a parameter lives.
    public enum Domain: Sendable, Equatable {
        case numeric(low: Double, high: Double)
        case categorical(choices: [String])
    }

    /// A parameter as the analysis sees it; in the journal as `{"name", "low", "high"[, "log": true]}` or
    /// `{"name", "choices"}`.
    public struct Parameter: Sendable, Equatable, Codable {
        public var name: String
        public var domain: Domain
        /// Sampled on a log scale (Katib's logUniform/logNormal): plots use a log axis; fANOVA, like Optuna's, does not.
        public var logScale: Bool

        public init(name: String, domain: Domain, logScale: Bool = false) {
            self.name = name
            self.domain = domain
            self.logScale = logScale
        }

        /// An experiment's parameter: doubles and ints by their bounds, a discrete list of numbers by its smallest
        /// and largest value, other lists as categories.
        public init(_ parameter: SearchParameter) {
            name = parameter.name
            logScale = false
            switch parameter.domain {
            case let .double(range):
                domain = .numeric(low: range.lower, high: range.upper)
                logScale = range.distribution.isLogarithmic && range.lower > 0
            case let .int(range):
                domain = .numeric(low: Double(range.lower), high: Double(range.upper))
                logScale = range.distribution.isLogarithmic && range.lower > 0
            case let .discrete(list):
                let numbers = list.compactMap(Double.init).filter(\.isFinite)
                domain = numbers.count == list.count && !list.isEmpty
                    ? .numeric(low: numbers.min()!, high: numbers.max()!) : .categorical(choices: list)
            case let .categorical(list): domain = .categorical(choices: list)
            }
        }

        private enum CodingKeys: String, CodingKey { case name, low, high, log, choices }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            if let choices = try container.decodeIfPresent([String].self, forKey: .choices) {
                domain = .categorical(choices: choices)
            } else {
                domain = .numeric(low: try container.decode(Double.self, forKey: .low), high: try container.decode(Double.self, forKey: .high))
            }
            logScale = try container.decodeIfPresent(Bool.self, forKey: .log) ?? false
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            switch domain {
            case let .numeric(low, high):
                try container.encode(low, forKey: .low)
                try container.encode(high, forKey: .high)
                if logScale { try container.encode(true, forKey: .log) }
            case let .categorical(choices): try container.encode(choices, forKey: .choices)
            }
        }
    }

    /// Importances summing to one (all zero when the objective does not vary), by parameter name.
    /// Trials without a finite objective, or with a parameter missing or outside its domain's encoding, are left out;
    /// a parameter that cannot vary (one choice, equal bounds) gets zero, as in Optuna.
    public static func fanova(
        parameters: [Parameter], trials: [(parameters: [String: String], value: Double)],
        trees: Int = 64, maxDepth: Int = 64, seed: UInt64 = 0
    ) -> [String: Double] {
        Analysis(parameters: parameters, trials: trials, trees: trees, maxDepth: maxDepth, seed: seed).importances
    }

    /// The fitted forest of a set of trials: the importances, and the forest's marginal predictions for plots.
    public struct Analysis: Sendable {
        /// By parameter name, summing to one (all zero when nothing could be fitted or nothing varies).
        public let importances: [String: Double]
        /// How many trials the forest was fitted on.
        public let trialCount: Int
        private let encoding: Encoding
        private let trees: [Leaves]

        public init(
            parameters: [Parameter], trials: [(parameters: [String: String], value: Double)],
            trees count: Int = 64, maxDepth: Int = 64, seed: UInt64 = 0
        ) {
            var importances = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, 0.0) })
            let varying = parameters.filter { parameter in
                switch parameter.domain {
                case let .numeric(low, high): high > low
                case let .categorical(choices): choices.count > 1
                }
            }
            encoding = Encoding(varying)
            let encoded = trials.compactMap { [encoding] trial in
                trial.value.isFinite ? encoding.encode(trial.parameters).map { ($0, trial.value) } : nil
            }
            trialCount = encoded.count
            guard encoded.count > 1, !varying.isEmpty else {
                (self.importances, trees) = (importances, [])
                return
            }
            let forest = RegressionForest(
                rows: encoded.map(\.0), targets: encoded.map(\.1), trees: count, maxDepth: maxDepth, seed: seed)
            trees = forest.trees.map { [encoding] in Leaves($0, bounds: encoding.bounds) }
            let fractions = ParameterImportance.mainEffectFractions(trees, groups: encoding.groups)
            let total = fractions.reduce(0, +)
            for (parameter, fraction) in zip(varying, fractions) { importances[parameter.name] = total > 0 ? fraction / total : 0 }
            self.importances = importances
        }

        /// The forest's prediction with the given parameters fixed (numbers as text, or choices) and every other one
        /// averaged over its domain; nil when nothing was fitted or a value cannot be encoded.
        public func marginal(_ values: [String: String]) -> Double? {
            guard !trees.isEmpty else { return nil }
            var point: [(column: Int, value: Double)] = []
            for (parameter, group) in zip(encoding.parameters, encoding.groups) {
                guard let text = values[parameter.name] else { continue }
                switch parameter.domain {
                case .numeric:
                    guard let number = Double(text), number.isFinite else { return nil }
                    point.append((group[0], number))
                case let .categorical(choices):
                    guard let chosen = choices.firstIndex(of: text) else { return nil }
                    point += zip(group, choices.indices).map { ($0, $1 == chosen ? 1 : 0) }
                }
            }
            return trees.reduce(0) { $0 + $1.marginal(at: point) } / Double(trees.count)
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
        for leaves in trees where leaves.variance > 0 {
            counted += 1
            for (index, group) in groups.enumerated() {
                sums[index] += max(0, leaves.mainEffectVariance(of: group)) / leaves.variance
            }
        }
        return counted == 0 ? sums : sums.map { $0 / Double(counted) }
    }

    /// The parameters' columns: one per numeric parameter, one per choice of a categorical one.
    private struct Encoding: Sendable {
        let parameters: [Parameter]
        var bounds: [(low: Double, high: Double)] = []
        var groups: [[Int]] = []

        init(_ parameters: [Parameter]) {
            self.parameters = parameters
            for parameter in parameters {
                switch parameter.domain {
                case let .numeric(low, high):
                    groups.append([bounds.count])
                    bounds.append((low, high))
                case let .categorical(choices):
                    groups.append(Array(bounds.count..<bounds.count + choices.count))
                    bounds += Array(repeating: (0, 1), count: choices.count)
                }
            }
        }

        func encode(_ values: [String: String]) -> [Double]? {
            var row: [Double] = []
            row.reserveCapacity(bounds.count)
            for parameter in parameters {
                guard let text = values[parameter.name] else { return nil }
                switch parameter.domain {
                case .numeric:
                    guard let number = Double(text), number.isFinite else { return nil }
                    row.append(number)
                case let .categorical(choices):
                    guard let chosen = choices.firstIndex(of: text) else { return nil }
                    row += choices.indices.map { $0 == chosen ? 1 : 0 }
                }
            }
            return row
        }
    }

    /// A tree as the boxes of its leaves, each box's share of the search space per column, and its value.
    struct Leaves: Sendable {
        var values: [Double] = []
        /// Per leaf, per column: the box's interval.
        var lows: [[Double]] = [], highs: [[Double]] = []
        let bounds: [(low: Double, high: Double)]
        let widths: [Double]
        /// The tree's prediction averaged over the search space, and its variance there.
        private(set) var mean = 0.0, variance = 0.0

        init(_ tree: RegressionForest.Tree, bounds: [(low: Double, high: Double)]) {
            self.bounds = bounds
            widths = bounds.map { $0.high - $0.low }
            var pending: [(node: Int, low: [Double], high: [Double])] = [(0, bounds.map(\.low), bounds.map(\.high))]
            while let (index, low, high) = pending.popLast() {
                let node = tree[index]
                guard node.feature >= 0 else {
                    values.append(node.value)
                    lows.append(low)
                    highs.append(high)
                    continue
                }
                var leftHigh = high, rightLow = low
                // A threshold outside the box (a value outside the declared bounds) leaves an empty side.
                leftHigh[node.feature] = max(low[node.feature], min(high[node.feature], node.threshold))
                rightLow[node.feature] = leftHigh[node.feature]
                pending.append((node.right, rightLow, high))
                pending.append((node.left, low, leftHigh))
            }
            let nothing = [Bool](repeating: false, count: widths.count)
            let shares = values.indices.map { share(leaf: $0, outside: nothing) }
            mean = zip(values, shares).reduce(0) { $0 + $1.0 * $1.1 }
            variance = zip(values, shares).reduce(0) { $0 + $1.1 * ($1.0 - mean) * ($1.0 - mean) }
        }

        /// The prediction at a point given in some columns, averaged over the others: the sum over the leaves whose
        /// box holds the point (left children hold their threshold, as in the tree) of value × share outside them.
        func marginal(at point: [(column: Int, value: Double)]) -> Double {
            var inGroup = [Bool](repeating: false, count: widths.count)
            for (column, _) in point { inGroup[column] = true }
            var sum = 0.0
            for leaf in values.indices {
                let holds = point.allSatisfy { column, value in
                    let x = min(max(value, bounds[column].low), bounds[column].high)
                    let (low, high) = (lows[leaf][column], highs[leaf][column])
                    return high > low && (x > low || low == bounds[column].low) && x <= high
                }
                if holds { sum += values[leaf] * share(leaf: leaf, outside: inGroup) }
            }
            return sum
        }

        /// The fraction of the search space's volume the leaf's box covers in the columns outside the group.
        private func share(leaf: Int, outside group: [Bool]) -> Double {
            var product = 1.0
            for column in widths.indices where !group[column] {
                product *= (highs[leaf][column] - lows[leaf][column]) / widths[column]
            }
            return product
        }

        /// The variance, over the group's columns, of the prediction averaged over all other columns.
        /// That average at a point is the sum of `value × share outside the group` over the leaves whose box holds
        /// the point; its mean square is a sum over pairs of leaf boxes of their overlap within the group.
        func mainEffectVariance(of group: [Int]) -> Double {
            var inGroup = [Bool](repeating: false, count: widths.count)
            for column in group { inGroup[column] = true }
            // Leaves with the same box within the group act as one; a box is kept as the columns where it is narrower
            // than the search space (few: at most the tree's depth). Values are centred on the mean (the shares
            // outside the group of the leaves holding a point sum to one), so the mean square is the variance itself.
            var boxIndex: [[Double]: Int] = [:]
            var boxes: [(key: [Double], value: Double)] = []  // in leaf order, so sums are reproducible
            for leaf in values.indices {
                var key: [Double] = []
                for column in group where highs[leaf][column] - lows[leaf][column] < widths[column] {
                    key += [Double(column), lows[leaf][column], highs[leaf][column]]
                }
                let weight = (values[leaf] - mean) * share(leaf: leaf, outside: inGroup)
                if let index = boxIndex[key] { boxes[index].value += weight } else {
                    boxIndex[key] = boxes.count
                    boxes.append((key, weight))
                }
            }
            if group.count == 1 {
                let column = group[0]
                return Self.sweep(boxes.map { box in
                    box.key.isEmpty ? (low: bounds[column].low, high: bounds[column].high, weight: box.value)
                        : (low: box.key[1], high: box.key[2], weight: box.value)
                }) / widths[column]
            }
            var meanSquare = 0.0
            for (first, a) in boxes {
                for (second, b) in boxes { meanSquare += a * b * overlap(first, second) }
            }
            return meanSquare
        }

        /// The share of the group's space two sparse boxes (column, low, high triples, by column) have in common.
        private func overlap(_ first: [Double], _ second: [Double]) -> Double {
            var product = 1.0
            var i = 0, j = 0
            while i < first.count || j < second.count {
                let a = i < first.count ? Int(first[i]) : Int.max, b = j < second.count ? Int(second[j]) : Int.max
                let column = min(a, b)
                var low = -Double.infinity, high = Double.infinity
                if a == column { (low, high) = (first[i + 1], first[i + 2]); i += 3 }
                if b == column { (low, high) = (max(low, second[j + 1]), min(high, second[j + 2])); j += 3 }
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
