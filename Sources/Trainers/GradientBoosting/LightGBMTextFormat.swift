import Foundation

/// LightGBM's text model format (`model.txt`, format v4), readable by `lightgbm.Booster(model_file=…)` and KServe's
/// LightGBM runtime.
///
/// Layout from LightGBM's `GBDT::SaveModelToString` and `Tree::ToString` (src/boosting/gbdt_model_text.cpp,
/// src/io/tree.cpp). The initial score is folded into the first tree's values, as LightGBM does with
/// `boost_from_average` (into each class's first tree). Every numeric split uses missing type NaN (`decision_type` 8,
/// plus 2 when missing values go left), so LightGBM routes NaN exactly as tunekit does; a categorical split is
/// `decision_type` 1 with its left categories as a bitset in `cat_threshold` (missing values go right, as in LightGBM).
extension GBDTModel {
    public var lightGBMText: String {
        var trees = self.trees
        let perIteration = initialScores.count
        if trees.isEmpty { trees = Array(repeating: RegressionTree(), count: perIteration) }
        for (k, score) in initialScores.enumerated() {
            for leaf in trees[k].leafValue.indices { trees[k].leafValue[leaf] += score }
            for node in trees[k].internalValue.indices { trees[k].internalValue[node] += score }
        }
        let blocks = trees.enumerated().map { "Tree=\($0.offset)\n" + Self.text(of: $0.element) + "\n" }
        let names = featureNames.map(Self.safeName)
        let infos = binMappers.map { mapper in
            if let categories = mapper.categories { return ([-1] + categories).map(String.init).joined(separator: ":") }
            return mapper.binCount > 1 ? "[\(Self.number(mapper.minValue)):\(Self.number(mapper.maxValue))]" : "none"
        }
        var text = """
            tree
            version=v4
            num_class=\(perIteration)
            num_tree_per_iteration=\(perIteration)
            label_index=0
            max_feature_idx=\(featureNames.count - 1)
            objective=\(objectiveText)
            feature_names=\(names.joined(separator: " "))
            feature_infos=\(infos.joined(separator: " "))
            tree_sizes=\(blocks.map { String($0.utf8.count) }.joined(separator: " "))


            """
        text += blocks.joined()
        text += "end of trees\n\nfeature_importances:\n"
        var splits = [Int](repeating: 0, count: featureNames.count)
        for tree in self.trees { for feature in tree.splitFeature { splits[feature] += 1 } }
        let ranked = splits.enumerated().filter { $0.element > 0 }.sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
        for (feature, count) in ranked { text += "\(names[feature])=\(count)\n" }
        text += "\npandas_categorical:null\n"
        return text
    }

    /// The objective line as LightGBM writes it (its loader reads the sigmoid and class count from it).
    private var objectiveText: String {
        switch objective {
        case .binary: "binary sigmoid:1"
        case .multiclass: "multiclass num_class:\(initialScores.count)"
        default: objective.rawValue
        }
    }

    private static func text(of tree: RegressionTree) -> String {
        let decisionTypes = tree.defaultLeft.indices.map { tree.categoricalSplit[$0] >= 0 ? 1 : tree.defaultLeft[$0] ? 10 : 8 }
        var text = TextBytes()
        text.line("num_leaves=", tree.leafValue.count)
        text.line("num_cat=", tree.leftCategories.count)
        text.line("split_feature=", tree.splitFeature)
        text.line("split_gain=", tree.splitGain)
        text.line("threshold=", tree.threshold)
        text.line("decision_type=", decisionTypes)
        text.line("left_child=", tree.leftChild)
        text.line("right_child=", tree.rightChild)
        text.line("leaf_value=", tree.leafValue)
        text.line("leaf_weight=", tree.leafWeight)
        text.line("leaf_count=", tree.leafCount)
        text.line("internal_value=", tree.internalValue)
        text.line("internal_weight=", tree.internalWeight)
        text.line("internal_count=", tree.internalCount)
        if !tree.leftCategories.isEmpty {
            text.line("cat_boundaries=", tree.leftCategories.reduce(into: [0]) { $0.append($0.last! + $1.count) })
            text.line("cat_threshold=", tree.leftCategories.flatMap { $0 }.map(Int.init))
        }
        text.append("is_linear=0\nshrinkage=1\n")
        return text.string
    }

    /// Round-trip precision, as LightGBM writes thresholds and leaf values (`%.17g`).
    static func number(_ value: Double) -> String {
        var text = TextBytes()
        text.append(value)
        return text.string
    }

    /// LightGBM feature names may not contain spaces or JSON special characters.
    static func safeName(_ name: String) -> String {
        String(name.map { " \t\"\\,:[]{}".contains($0) ? "_" : $0 })
    }
}

/// A tree's lines built as bytes: the text of a 400-tree model has ~250,000 numbers, and formatting each through
/// Foundation's `String(format:)` took a third of a second.
private struct TextBytes {
    private var bytes: [UInt8] = []

    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ value: Int) { bytes.append(contentsOf: String(value).utf8) }

    /// `value` as C's `%.17g` writes it (glibc, correctly rounded to 17 significant digits).
    mutating func append(_ value: Double) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            let count = withVaList([value]) { vsnprintf(buffer.baseAddress!, 32, "%.17g", $0) }
            buffer.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: 32) {
                bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: max(0, min(Int(count), 31))))
            }
        }
    }

    mutating func line(_ key: StaticString, _ value: Int) {
        append(key)
        append(value)
        bytes.append(0x0A)
    }

    mutating func line(_ key: StaticString, _ values: [Int]) { line(key, count: values.count) { $0.append(values[$1]) } }

    mutating func line(_ key: StaticString, _ values: [Double]) { line(key, count: values.count) { $0.append(values[$1]) } }

    /// `key`, then `count` values separated by spaces, then a newline.
    private mutating func line(_ key: StaticString, count: Int, _ value: (inout TextBytes, Int) -> Void) {
        append(key)
        for index in 0..<count {
            if index > 0 { bytes.append(0x20) }
            value(&self, index)
        }
        bytes.append(0x0A)
    }
}
