import ExperimentModel
public import SuggestionAlgorithms

/// Katib's EarlyStopping API (`ValidateEarlyStoppingSettings`, `GetEarlyStoppingRules`) over the registered rules.
extension EarlyStoppingService {
    /// `ValidateEarlyStoppingSettings`: succeeds silently or throws INVALID_ARGUMENT with Katib's message.
    public static func validate(_ request: ValidateEarlyStoppingSettingsRequest) throws(KatibStatus) {
        let spec = AlgorithmSpec(
            algorithmName: request.earlyStopping.algorithmName, algorithmSettings: request.earlyStopping.algorithmSettings)
        do { _ = try make(spec) } catch { throw .invalidArgument(error.message) }
    }

    /// `GetEarlyStoppingRules`: the rules for trials starting now. Each SUCCEEDED trial's curve is its
    /// `observationLog` (tunekit's extension; Katib's service reads it from its database), or else its final
    /// objective value as a single report.
    public static func rules(_ request: GetEarlyStoppingRulesRequest) throws(KatibStatus) -> GetEarlyStoppingRulesReply {
        guard let wire = request.experiment.spec.earlyStopping else {
            throw .invalidArgument("experiment.spec.earlyStopping is required")
        }
        guard request.trials.count <= SuggestionLimits.historyTrials else {
            throw .invalidArgument("the request carries \(request.trials.count) trials; the limit is \(SuggestionLimits.historyTrials)")
        }
        let algorithm: any EarlyStoppingAlgorithm
        do { algorithm = try make(AlgorithmSpec(algorithmName: wire.algorithmName, algorithmSettings: wire.algorithmSettings)) } catch {
            throw .invalidArgument(error.message)
        }
        let objective = request.experiment.spec.objective
        guard let type = ObjectiveType(katibName: objective.type.name) else {
            throw .invalidArgument("objective.type '\(objective.type.name)' is not MINIMIZE or MAXIMIZE")
        }
        // Its threshold changes at every report, which Katib's collector (one rule per metric, all rules ANDed) cannot
        // apply; and without observation logs it would compare first reports with final values.
        if wire.algorithmName == MedianPruner.algorithmName {
            throw .invalidArgument(
                "medianpruner is for tunekit's own runs (`tunekit tune`): its threshold changes at every report, which Katib's metrics collector cannot apply")
        }
        let metric = objective.objectiveMetricName
        let curves = request.trials.filter { $0.status.condition.name.uppercased() == "SUCCEEDED" || $0.status.condition.name == "2" }
            .map { trial -> ObjectiveCurve in
                if let log = trial.observationLog {
                    return log.filter { $0.name == metric }.compactMap { Double($0.value) }.filter(\.isFinite)
                }
                return trial.status.observation.metrics.filter { $0.name == metric }.compactMap { Double($0.value) }.filter(\.isFinite)
            }
        guard let rule = algorithm.rule(succeeded: curves, objective: type) else { return GetEarlyStoppingRulesReply(earlyStoppingRules: []) }
        // A threshold that overflowed (objective values near the largest double) has no value Katib can compare with.
        return GetEarlyStoppingRulesReply(earlyStoppingRules: rule.checkpoints.filter { $0.threshold.isFinite }.map {
            KatibEarlyStoppingRule(
                name: metric, value: String($0.threshold), comparison: type == .maximize ? "LESS" : "GREATER", startStep: $0.step)
        })
    }
}
