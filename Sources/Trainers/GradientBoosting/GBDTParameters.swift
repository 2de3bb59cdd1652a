import Foundation

/// Hyperparameters of the gradient-boosted-tree trainer, with LightGBM's names and common aliases.
public struct GBDTParameters: Sendable, Equatable {
    public var objective: GBDTObjective
    /// `num_class` as given (1 = infer from the labels).
    public var numClass: Int
    public var isUnbalance: Bool
    public var scalePosWeight: Double
    /// The metrics given (`metric`), in order.
    public var metrics: [GBDTMetric]
    /// What early stopping watches: the first metric given, else the objective's own loss.
    public var metric: GBDTMetric { metrics.first ?? objective.defaultMetric }
    public var numIterations: Int
    public var learningRate: Double
    public var numLeaves: Int
    /// ≤ 0 means unlimited.
    public var maxDepth: Int
    public var minDataInLeaf: Int
    public var minSumHessianInLeaf: Double
    public var minGainToSplit: Double
    public var lambdaL1: Double
    public var lambdaL2: Double
    public var featureFraction: Double
    public var baggingFraction: Double
    public var baggingFrequency: Int
    public var seed: UInt64
    public var maxBin: Int
    /// Huber's δ (LightGBM `alpha`).
    public var huberDelta: Double
    public var poissonMaxDeltaStep: Double
    /// 0 disables early stopping.
    public var earlyStoppingRounds: Int
    /// 0 means one per core.
    public var numThreads: Int
    /// Categorical features (LightGBM's names): one-vs-rest below this many bins.
    public var maxCatToOnehot: Int
    public var maxCatThreshold: Int
    public var catL2: Double
    public var catSmooth: Double
    public var minDataPerGroup: Int
    /// LightGBM 4's quantized training: gradients rounded to `numGradQuantBins` levels and summed as integers.
    public var useQuantizedGrad: Bool
    public var numGradQuantBins: Int
    /// Leaf values recomputed from the unrounded gradients of each leaf's rows.
    public var quantTrainRenewLeaf: Bool
    public var stochasticRounding: Bool

    /// The most classes a multiclass model may have (bounds the per-class score arrays before they are allocated).
    public static let maxClasses = 1024
    /// The most classes × training rows a multiclass fit holds (four doubles each: about 3 GB).
    public static let maxClassRows = 100_000_000

    public static let table = ParameterTable([
        ParameterDefinition(name: "objective", aliases: ["objective_type", "app", "application", "loss"],
                            kind: .choice(GBDTObjective.names), defaultValue: "regression",
                            summary: "regression (L2), regression_l1, huber, poisson, cross_entropy, binary or multiclass",
                            refused: GBDTObjective.refused),
        ParameterDefinition(name: "num_class", aliases: ["num_classes"], kind: .int(1...GBDTParameters.maxClasses), defaultValue: "1",
                            summary: "classes of objective multiclass (1: the largest label + 1)"),
        ParameterDefinition(name: "is_unbalance", aliases: ["unbalance", "unbalanced_sets"], kind: .bool, defaultValue: "false",
                            summary: "binary: weight the classes to balance their counts"),
        ParameterDefinition(name: "scale_pos_weight", kind: .double(0...Double.infinity, exclusiveLower: true), defaultValue: "1.0",
                            summary: "binary: weight of the positive class"),
        ParameterDefinition(name: "metric", aliases: ["metrics", "metric_types"], kind: .choices(GBDTMetric.names), defaultValue: "",
                            summary: "validation metric(s); early stopping watches the first (default: the objective's loss)",
                            refused: GBDTMetric.refused),
        ParameterDefinition(name: "boosting", aliases: ["boosting_type", "boost"], kind: .choice(["gbdt", "gbrt"]), defaultValue: "gbdt",
                            summary: "gradient boosting (the only kind tunekit trains)",
                            refused: ["dart": "DART (dropout of trees) is not implemented; use gbdt",
                                      "goss": "GOSS row sampling is not implemented; use gbdt with bagging_fraction and bagging_freq",
                                      "rf": "random-forest mode is not implemented; use gbdt",
                                      "random_forest": "random-forest mode is not implemented; use gbdt"]),
        ParameterDefinition(name: "verbosity", aliases: ["verbose"], kind: .int(Int.min...Int.max), defaultValue: "1",
                            summary: "accepted for LightGBM scripts; tunekit's output does not depend on it"),
        ParameterDefinition(name: "num_iterations", aliases: ["num_iteration", "n_iter", "num_tree", "num_trees", "num_round", "num_rounds", "num_boost_round", "n_estimators", "max_iter"],
                            kind: .int(1...1_000_000), defaultValue: "100", summary: "boosting rounds"),
        ParameterDefinition(name: "learning_rate", aliases: ["shrinkage_rate", "eta"], kind: .double(0...Double.infinity, exclusiveLower: true),
                            defaultValue: "0.1", summary: "shrinkage of each tree"),
        ParameterDefinition(name: "num_leaves", aliases: ["num_leaf", "max_leaves", "max_leaf", "max_leaf_nodes"],
                            kind: .int(2...131_072), defaultValue: "31", summary: "maximum leaves per tree"),
        ParameterDefinition(name: "max_depth", kind: .int(Int.min...Int.max), defaultValue: "-1", summary: "depth limit, ≤ 0 for none"),
        ParameterDefinition(name: "min_data_in_leaf", aliases: ["min_data_per_leaf", "min_data", "min_child_samples", "min_samples_leaf"],
                            kind: .int(0...Int.max), defaultValue: "20", summary: "minimum rows in a leaf"),
        ParameterDefinition(name: "min_sum_hessian_in_leaf", aliases: ["min_sum_hessian_per_leaf", "min_sum_hessian", "min_hessian", "min_child_weight"],
                            kind: .double(0...Double.infinity), defaultValue: "0.001", summary: "minimum hessian sum in a leaf"),
        ParameterDefinition(name: "min_gain_to_split", aliases: ["min_split_gain"], kind: .double(0...Double.infinity),
                            defaultValue: "0", summary: "minimum gain of a split"),
        ParameterDefinition(name: "lambda_l1", aliases: ["reg_alpha", "l1_regularization"], kind: .double(0...Double.infinity),
                            defaultValue: "0", summary: "L1 penalty on leaf values"),
        ParameterDefinition(name: "lambda_l2", aliases: ["reg_lambda", "lambda", "l2_regularization"], kind: .double(0...Double.infinity),
                            defaultValue: "0", summary: "L2 penalty on leaf values"),
        ParameterDefinition(name: "feature_fraction", aliases: ["sub_feature", "colsample_bytree"], kind: .double(0...1, exclusiveLower: true),
                            defaultValue: "1.0", summary: "fraction of features sampled per tree"),
        ParameterDefinition(name: "bagging_fraction", aliases: ["sub_row", "subsample", "bagging"], kind: .double(0...1, exclusiveLower: true),
                            defaultValue: "1.0", summary: "fraction of rows sampled every bagging_freq rounds"),
        ParameterDefinition(name: "bagging_freq", aliases: ["subsample_freq"], kind: .int(0...Int.max), defaultValue: "0",
                            summary: "resample rows every k rounds (0 = no bagging)"),
        ParameterDefinition(name: "seed", aliases: ["random_seed", "random_state"], kind: .int(0...Int.max), defaultValue: "0",
                            summary: "master seed for bagging and feature sampling"),
        ParameterDefinition(name: "max_bin", aliases: ["max_bins"], kind: .int(2...255), defaultValue: "255", summary: "histogram bins per feature"),
        ParameterDefinition(name: "alpha", aliases: ["huber_delta"], kind: .double(0...Double.infinity, exclusiveLower: true), defaultValue: "0.9",
                            summary: "Huber loss δ"),
        ParameterDefinition(name: "poisson_max_delta_step", kind: .double(0...Double.infinity, exclusiveLower: true), defaultValue: "0.7",
                            summary: "Poisson hessian safeguard"),
        ParameterDefinition(name: "early_stopping_rounds", aliases: ["early_stopping_round", "early_stopping", "n_iter_no_change"],
                            kind: .int(0...Int.max), defaultValue: "0", summary: "stop after k rounds without validation improvement"),
        ParameterDefinition(name: "max_cat_to_onehot", kind: .int(1...Int.max), defaultValue: "4",
                            summary: "categorical features with at most this many bins split one category against the rest"),
        ParameterDefinition(name: "max_cat_threshold", kind: .int(1...Int.max), defaultValue: "32",
                            summary: "most categories on the left of a categorical split"),
        ParameterDefinition(name: "cat_l2", kind: .double(0...Double.infinity), defaultValue: "10.0",
                            summary: "extra L2 penalty of categorical splits"),
        ParameterDefinition(name: "cat_smooth", kind: .double(0...Double.infinity), defaultValue: "10.0",
                            summary: "smoothing of category statistics; categories with fewer rows are not split off"),
        ParameterDefinition(name: "min_data_per_group", kind: .int(1...Int.max), defaultValue: "100",
                            summary: "minimum rows per categorical group"),
        ParameterDefinition(name: "use_quantized_grad", kind: .bool, defaultValue: "false",
                            summary: "quantized training: gradients rounded to a few integer levels, histograms of integer sums"),
        ParameterDefinition(name: "num_grad_quant_bins", kind: .int(2...127), defaultValue: "4",
                            summary: "levels of quantized gradients and hessians (use_quantized_grad)"),
        ParameterDefinition(name: "quant_train_renew_leaf", kind: .bool, defaultValue: "false",
                            summary: "recompute leaf values from the unrounded gradients (use_quantized_grad)"),
        ParameterDefinition(name: "stochastic_rounding", kind: .bool, defaultValue: "true",
                            summary: "round quantized gradients stochastically, else to the nearest level (use_quantized_grad)"),
        ParameterDefinition(name: "num_threads", aliases: ["num_thread", "nthread", "nthreads", "n_jobs"], kind: .int(0...1024),
                            defaultValue: "0", summary: "threads, 0 = one per core"),
    ])

    init(_ resolved: ResolvedParameters) {
        func int(_ name: String) -> Int { Int(resolved.values[name] ?? "") ?? 0 }
        objective = GBDTObjective(name: resolved.values["objective"] ?? "") ?? .regression
        numClass = int("num_class")
        isUnbalance = resolved.values["is_unbalance"] == "true"
        scalePosWeight = resolved.double("scale_pos_weight")
        metrics = (resolved.values["metric"] ?? "").split(separator: ",").compactMap { GBDTMetric(name: String($0)) }
        numIterations = int("num_iterations")
        learningRate = resolved.double("learning_rate")
        numLeaves = int("num_leaves")
        maxDepth = int("max_depth")
        minDataInLeaf = int("min_data_in_leaf")
        minSumHessianInLeaf = resolved.double("min_sum_hessian_in_leaf")
        minGainToSplit = resolved.double("min_gain_to_split")
        lambdaL1 = resolved.double("lambda_l1")
        lambdaL2 = resolved.double("lambda_l2")
        featureFraction = resolved.double("feature_fraction")
        baggingFraction = resolved.double("bagging_fraction")
        baggingFrequency = int("bagging_freq")
        seed = UInt64(int("seed"))
        maxBin = int("max_bin")
        huberDelta = resolved.double("alpha")
        poissonMaxDeltaStep = resolved.double("poisson_max_delta_step")
        earlyStoppingRounds = int("early_stopping_rounds")
        maxCatToOnehot = int("max_cat_to_onehot")
        maxCatThreshold = int("max_cat_threshold")
        catL2 = resolved.double("cat_l2")
        catSmooth = resolved.double("cat_smooth")
        minDataPerGroup = int("min_data_per_group")
        useQuantizedGrad = resolved.values["use_quantized_grad"] == "true"
        numGradQuantBins = int("num_grad_quant_bins")
        quantTrainRenewLeaf = resolved.values["quant_train_renew_leaf"] == "true"
        stochasticRounding = resolved.values["stochastic_rounding"] == "true"
        let threads = int("num_threads")
        numThreads = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
    }
}

/// The loss being minimised; each produces gradients and hessians of the raw score.
public enum GBDTObjective: String, Sendable, Codable {
    case regression, regressionL1 = "regression_l1", huber, poisson, crossEntropy = "cross_entropy", binary, multiclass

    /// Accepted names, with LightGBM's aliases.
    static let names = ["regression", "regression_l2", "l2", "mean_squared_error", "mse", "rmse", "regression_l1", "l1", "mae",
                        "mean_absolute_error", "huber", "poisson", "cross_entropy", "xentropy", "binary", "multiclass", "softmax"]

    /// LightGBM's objectives tunekit does not train, with the reason.
    static let refused: [String: String] = {
        var refused: [String: String] = [:]
        for name in ["multiclassova", "multiclass_ova", "ova", "ovr"] {
            refused[name] = "one-vs-all multiclass is not implemented; use multiclass (softmax)"
        }
        for name in ["quantile", "fair", "gamma", "tweedie", "mape", "mean_absolute_percentage_error", "cross_entropy_lambda",
                     "xentlambda", "lambdarank", "rank_xendcg", "xendcg", "xe_ndcg", "xe_ndcg_mart", "xendcg_mart", "custom"] {
            refused[name] = "not implemented; objectives: regression, regression_l1, huber, poisson, cross_entropy, binary, multiclass"
        }
        return refused
    }()

    /// The objective for a name or LightGBM alias.
    init?(name: String) {
        switch name {
        case "regression", "regression_l2", "l2", "mean_squared_error", "mse", "rmse": self = .regression
        case "regression_l1", "l1", "mae", "mean_absolute_error": self = .regressionL1
        case "huber": self = .huber
        case "poisson": self = .poisson
        case "cross_entropy", "xentropy": self = .crossEntropy
        case "binary": self = .binary
        case "multiclass", "softmax": self = .multiclass
        default: return nil
        }
    }
}
