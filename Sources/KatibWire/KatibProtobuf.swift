import ExperimentModel
public import Foundation
import SwiftProtobuf

/// Katib's messages in the protobuf binary encoding (`application/proto`): decoded with swift-protobuf into the
/// generated `Api_V1_Beta1_*` types, then converted to the same request values the JSON reader produces, so both
/// encodings reach the algorithms identically. Replies go the other way.
public enum KatibProtobuf {
    public static func decode(_ type: GetSuggestionsRequest.Type, from data: Data) throws(KatibStatus) -> GetSuggestionsRequest {
        let wire: Api_V1_Beta1_GetSuggestionsRequest = try message(data)
        return GetSuggestionsRequest(
            experiment: KatibExperiment(wire.experiment), trials: wire.trials.map(KatibTrial.init),
            currentRequestNumber: Int(wire.currentRequestNumber), totalRequestNumber: Int(wire.totalRequestNumber))
    }

    public static func decode(
        _ type: ValidateAlgorithmSettingsRequest.Type, from data: Data
    ) throws(KatibStatus) -> ValidateAlgorithmSettingsRequest {
        let wire: Api_V1_Beta1_ValidateAlgorithmSettingsRequest = try message(data)
        return ValidateAlgorithmSettingsRequest(experiment: KatibExperiment(wire.experiment))
    }

    /// More than `trialLimit` trials are refused after counting them, before any is decoded.
    public static func decode(
        _ type: GetEarlyStoppingRulesRequest.Type, from data: Data, trialLimit: Int = .max
    ) throws(KatibStatus) -> GetEarlyStoppingRulesRequest {
        if let fields = TopLevelFields(data, keepingAtMost: 0), fields.trialCount > trialLimit {
            throw .invalidArgument("the request carries \(fields.trialCount) trials; the limit is \(trialLimit)")
        }
        let wire: Api_V1_Beta1_GetEarlyStoppingRulesRequest = try message(data)
        return GetEarlyStoppingRulesRequest(
            experiment: KatibExperiment(wire.experiment), trials: wire.trials.map(KatibTrial.init),
            dbManagerAddress: wire.dbManagerAddress)
    }

    public static func decode(
        _ type: ValidateEarlyStoppingSettingsRequest.Type, from data: Data
    ) throws(KatibStatus) -> ValidateEarlyStoppingSettingsRequest {
        let wire: Api_V1_Beta1_ValidateEarlyStoppingSettingsRequest = try message(data)
        return ValidateEarlyStoppingSettingsRequest(
            earlyStopping: KatibAlgorithm(name: wire.earlyStopping.algorithmName, settings: wire.earlyStopping.algorithmSettings.map {
                AlgorithmSetting(name: $0.name, value: $0.value)
            }))
    }

    public static func decode(_ type: SetTrialStatusRequest.Type, from data: Data) throws(KatibStatus) -> SetTrialStatusRequest {
        let wire: Api_V1_Beta1_SetTrialStatusRequest = try message(data)
        return SetTrialStatusRequest(trialName: wire.trialName)
    }

    public static func encode(_ reply: GetSuggestionsReply) -> Data {
        var wire = Api_V1_Beta1_GetSuggestionsReply()
        wire.parameterAssignments = reply.parameterAssignments.map { trial in
            var assignments = Api_V1_Beta1_GetSuggestionsReply.ParameterAssignments()
            assignments.assignments = trial.assignments.map { parameterAssignment($0.name, $0.value) }
            assignments.trialName = trial.trialName ?? ""
            assignments.labels = trial.labels ?? [:]
            return assignments
        }
        if let algorithm = reply.algorithm {
            wire.algorithm.algorithmName = algorithm.algorithmName
            wire.algorithm.algorithmSettings = algorithm.algorithmSettings.map {
                var setting = Api_V1_Beta1_AlgorithmSetting()
                setting.name = $0.name
                setting.value = $0.value
                return setting
            }
        }
        return serialized(wire)
    }

    public static func encode(_ reply: GetEarlyStoppingRulesReply) -> Data {
        var wire = Api_V1_Beta1_GetEarlyStoppingRulesReply()
        wire.earlyStoppingRules = reply.earlyStoppingRules.map { rule in
            var encoded = Api_V1_Beta1_EarlyStoppingRule()
            encoded.name = rule.name
            encoded.value = rule.value
            encoded.comparison = Api_V1_Beta1_ComparisonType(name: rule.comparison)
            encoded.startStep = Int32(clamping: rule.startStep)
            return encoded
        }
        return serialized(wire)
    }

    /// The empty reply of the Validate methods and SetTrialStatus (zero bytes).
    public static let emptyReply = Data()

    private static func message<M: SwiftProtobuf.Message>(_ data: Data) throws(KatibStatus) -> M {
        do {
            return try M(serializedBytes: data)
        } catch {
            throw .invalidArgument("malformed request protobuf (\(M.protoMessageName)): \(error)")
        }
    }

    private static func serialized(_ message: some SwiftProtobuf.Message) -> Data {
        // Serialising a message whose required fields are all set (proto3 has none) cannot fail.
        (try? message.serializedBytes()) ?? Data()
    }

    private static func parameterAssignment(_ name: String, _ value: String) -> Api_V1_Beta1_ParameterAssignment {
        var assignment = Api_V1_Beta1_ParameterAssignment()
        assignment.name = name
        assignment.value = value
        return assignment
    }
}

/// A proto enum value as the text the JSON reader keeps: empty for the zero value (what an absent JSON field gives),
/// Katib's name for the other known values, the number for unknown ones.
private func enumText(_ value: some SwiftProtobuf.Enum, names: [String]) -> ProtoEnum {
    let number = value.rawValue
    if number == 0 { return "" }
    return ProtoEnum(stringLiteral: names.indices.contains(number) ? names[number] : String(number))
}

extension KatibExperiment {
    init(_ wire: Api_V1_Beta1_Experiment) {
        let spec = wire.spec
        self.init(
            name: wire.name,
            spec: KatibExperimentSpec(
                parameterSpecs: .init(parameters: spec.parameterSpecs.parameters.map(KatibParameterSpec.init)),
                objective: KatibObjective(
                    type: enumText(spec.objective.type, names: ["UNKNOWN", "MINIMIZE", "MAXIMIZE"]),
                    goal: spec.objective.goal, objectiveMetricName: spec.objective.objectiveMetricName,
                    additionalMetricNames: spec.objective.additionalMetricNames),
                algorithm: KatibAlgorithm(
                    name: spec.algorithm.algorithmName,
                    settings: spec.algorithm.algorithmSettings.map { AlgorithmSetting(name: $0.name, value: $0.value) }),
                earlyStopping: spec.hasEarlyStopping
                    ? KatibAlgorithm(
                        name: spec.earlyStopping.algorithmName,
                        settings: spec.earlyStopping.algorithmSettings.map { AlgorithmSetting(name: $0.name, value: $0.value) })
                    : nil,
                parallelTrialCount: Int(spec.parallelTrialCount), maxTrialCount: Int(spec.maxTrialCount)))
    }
}

extension KatibAlgorithm {
    fileprivate init(name: String, settings: [AlgorithmSetting]) {
        self.init(algorithmName: name, algorithmSettings: settings)
    }
}

extension KatibParameterSpec {
    init(_ wire: Api_V1_Beta1_ParameterSpec) {
        let space = wire.feasibleSpace
        self.init(
            name: wire.name,
            parameterType: enumText(wire.parameterType, names: ["UNKNOWN_TYPE", "DOUBLE", "INT", "DISCRETE", "CATEGORICAL"]),
            feasibleSpace: FeasibleSpace(
                max: space.max, min: space.min, list: space.list, step: space.step,
                distribution: enumText(
                    space.distribution, names: ["DISTRIBUTION_UNSPECIFIED", "UNIFORM", "LOG_UNIFORM", "NORMAL", "LOG_NORMAL"])))
    }
}

extension KatibTrial {
    init(_ wire: Api_V1_Beta1_Trial) {
        self.init(
            name: wire.name,
            spec: Spec(parameterAssignments: .init(assignments: wire.spec.parameterAssignments.assignments.map {
                ParameterAssignment(name: $0.name, value: $0.value)
            })),
            status: Status(
                condition: enumText(wire.status.condition, names: [
                    "CREATED", "RUNNING", "SUCCEEDED", "KILLED", "FAILED", "METRICSUNAVAILABLE", "EARLYSTOPPED", "UNKNOWN",
                ]),
                observation: .init(metrics: wire.status.observation.metrics.map { MetricValue(name: $0.name, value: $0.value) })),
            observationLog: wire.hasObservationLog
                ? wire.observationLog.metricLogs.map { MetricValue(name: $0.metric.name, value: $0.metric.value) } : nil)
    }
}

extension Api_V1_Beta1_ComparisonType {
    /// `LESS`/`GREATER`/`EQUAL` as the early-stopping rules spell them.
    fileprivate init(name: String) {
        self = switch name {
        case "EQUAL": .equal
        case "LESS": .less
        case "GREATER": .greater
        default: .unknownComparison
        }
    }
}
