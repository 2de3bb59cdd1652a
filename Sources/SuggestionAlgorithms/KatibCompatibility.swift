public import ExperimentModel

/// What Katib's own suggestion services would say about an experiment that tunekit accepts: the settings each Katib
/// backend takes (docs/katib-compat.md §1 and §4), so an experiment that runs here also runs on a cluster.
public enum KatibCompatibility {
    /// Katib algorithm names tunekit does not implement, with the Katib service that serves them and why.
    public static let unimplemented: [String: String] = [
        "pbt": "its PBT service; population-based training needs checkpoint volumes shared between trials",
        "enas": "its NAS service; neural architecture search", "darts": "its NAS service; neural architecture search",
    ]

    /// The service Katib's default configuration routes each algorithm to, and the settings that service accepts.
    static let backends: [String: (service: String, settings: Set<String>)] = [
        "random": ("hyperopt", ["random_state"]),
        "tpe": ("hyperopt", ["random_state", "gamma", "prior_weight", "n_EI_candidates"]),
        "grid": ("Optuna", ["random_state"]),
        "multivariate-tpe": ("Optuna", ["n_startup_trials", "n_ei_candidates", "random_state"]),
        "bayesianoptimization": ("scikit-optimize", ["base_estimator", "n_initial_points", "acq_func", "acq_optimizer", "random_state"]),
        "cmaes": ("goptuna", ["restart_strategy", "sigma", "random_state"]),
        "sobol": ("goptuna", ["random_state"]),
        "hyperband": ("hyperband", Hyperband.stateSettings.union(["r_l", "resource_name", "eta"])),
    ]

    /// Which Katib service answers the algorithm's ValidateAlgorithmSettings and GetSuggestions.
    public enum Backend: String, Sendable, CaseIterable {
        /// Katib's default katib-config: its hyperopt, Optuna, scikit-optimize, goptuna and hyperband services.
        case katib
        /// tunekit registered in katib-config (deploy/katib/config/katib-config.yaml): tunekit answers every algorithm it implements.
        case tunekit
    }

    /// Katib's service for an algorithm under its default katib-config (nil for names it has none for).
    public static func katibService(for algorithm: String) -> String? {
        backends[algorithm]?.service ?? unimplemented[algorithm].map { _ in algorithm == "pbt" ? "PBT" : "NAS" }
    }

    /// Problems the experiment would meet on Katib that it does not meet here; empty when it is portable.
    public static func problems(_ experiment: Experiment, backend: Backend = .katib) -> [String] {
        var problems: [String] = []
        if let stopping = experiment.earlyStopping, stopping.algorithmName != MedianStop.algorithmName {
            problems.append(
                "earlyStopping \(stopping.algorithmName) is a tunekit extension; Katib's only early-stopping algorithm is medianstop")
        }
        let name = experiment.algorithm.algorithmName
        guard backend == .katib, let backend = backends[name] else { return problems }
        for setting in experiment.algorithm.algorithmSettings where !backend.settings.contains(setting.name) {
            problems.append(
                "algorithm \(name): setting \(setting.name) is a tunekit extension; Katib routes \(name) to its \(backend.service) service, which fails the experiment with \"unknown setting \(setting.name) for algorithm \(name)\"")
        }
        if backend.service == "Optuna" {
            for parameter in experiment.parameters where [.normal, .logNormal].contains(parameter.feasibleSpace.distribution) {
                problems.append(
                    "parameter \(parameter.name): Katib's Optuna service (\(name)) supports only uniform and logUniform distributions, not \(parameter.feasibleSpace.distribution.rawValue)")
            }
        }
        return problems
    }
}
