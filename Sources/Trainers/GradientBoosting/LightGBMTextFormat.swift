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
        func join(_ values: [Double]) -> String { values.map(number).joined(separator: " ") }
        func join(_ values: [Int]) -> String { values.map(String.init).joined(separator: " ") }
        let decisionTypes = tree.defaultLeft.indices.map { tree.categoricalSplit[$0] >= 0 ? 1 : tree.defaultLeft[$0] ? 10 : 8 }
        var categorical = ""
        if !tree.leftCategories.isEmpty {
            let boundaries = tree.leftCategories.reduce(into: [0]) { $0.append($0.last! + $1.count) }
            categorical = "cat_boundaries=\(join(boundaries))\ncat_threshold=\(tree.leftCategories.flatMap { $0 }.map(String.init).joined(separator: " "))\n"
        }
        return """
            num_leaves=\(tree.leafValue.count)
            num_cat=\(tree.leftCategories.count)
            split_feature=\(join(tree.splitFeature))
            split_gain=\(join(tree.splitGain))
            threshold=\(join(tree.threshold))
            decision_type=\(join(decisionTypes))
            left_child=\(join(tree.leftChild))
            right_child=\(join(tree.rightChild))
            leaf_value=\(join(tree.leafValue))
            leaf_weight=\(join(tree.leafWeight))
            leaf_count=\(join(tree.leafCount))
            internal_value=\(join(tree.internalValue))
            internal_weight=\(join(tree.internalWeight))
            internal_count=\(join(tree.internalCount))
            \(categorical)is_linear=0
            shrinkage=1

            """
    }

    /// Round-trip precision, as LightGBM writes thresholds and leaf values.
    static func number(_ value: Double) -> String { String(format: "%.17g", value) }

    /// LightGBM feature names may not contain spaces or JSON special characters.
    static func safeName(_ name: String) -> String {
        String(name.map { " \t\"\\,:[]{}".contains($0) ? "_" : $0 })
    }
}
