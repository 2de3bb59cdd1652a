public import ExperimentModel

/// The registered algorithms by Katib name: what the runner builds its algorithm from. KatibWire adds Katib's
/// Suggestion API over them (`validate`, `getSuggestions`), which `tunekit suggest` and the server call.
public enum SuggestionService {
    /// Every algorithm tunekit implements, by Katib name.
    public static let algorithms: [any SuggestionAlgorithm.Type] = [
        RandomSearch.self, GridSearch.self, TPESearch.self, MultivariateTPESearch.self, BayesianOptimization.self,
        CMAES.self, SobolSearch.self, Hyperband.self, BOHB.self,
    ]

    /// Supported `algorithmName` values.
    public static var supportedNames: [String] { algorithms.map { $0.algorithmName } }

    /// How much work the named algorithm's suggestions take; nil for a name tunekit does not implement.
    public static func cost(ofAlgorithm name: String) -> SuggestionCost? {
        algorithms.first { $0.algorithmName == name }?.cost
    }

    /// Builds the experiment's algorithm, validating its settings (`ValidateAlgorithmSettings`).
    public static func makeAlgorithm(for experiment: Experiment) throws(SuggestionError) -> any SuggestionAlgorithm {
        let name = experiment.algorithm.algorithmName
        guard let type = algorithms.first(where: { $0.algorithmName == name }) else {
            if let service = KatibCompatibility.unimplemented[name] {
                throw SuggestionError(
                    "\(name) is a Katib algorithm (\(service)) that tunekit does not implement; tunekit implements \(supportedNames.joined(separator: ", "))")
            }
            throw SuggestionError(
                "unknown algorithm name \(name); supported: \(supportedNames.joined(separator: ", "))")
        }
        return try type.init(experiment: experiment)
    }

    /// The seed an experiment runs with: `random_state` when set, else `fallback` (drawn at the edge).
    public static func seed(for experiment: Experiment, fallback: UInt64) -> UInt64 {
        experiment.algorithm.setting("random_state").flatMap { UInt64($0.trimmingSpaces) } ?? fallback
    }
}
