public import ExperimentModel
import Foundation
import StrictJSON

/// JSON coding of Katib messages with proto3 JSON rules.
public enum KatibJSON {
    /// Decodes a `GetSuggestionsRequest`; a malformed body becomes an error saying where it failed (line and column
    /// for bad JSON, the field path for a wrong shape).
    public static func decode(_ type: GetSuggestionsRequest.Type, from data: Data) throws(KatibStatus) -> GetSuggestionsRequest {
        try decodeRequest(type, data)
    }

    /// Decodes a `ValidateAlgorithmSettingsRequest`, with the same errors.
    public static func decode(
        _ type: ValidateAlgorithmSettingsRequest.Type, from data: Data
    ) throws(KatibStatus) -> ValidateAlgorithmSettingsRequest {
        try decodeRequest(type, data)
    }

    static func decodeRequest<T: JSONCursorDecodable>(_ type: T.Type, _ data: Data) throws(KatibStatus) -> T {
        do {
            return try JSONCursor.decode(type, from: data)
        } catch {
            throw .invalidArgument("malformed request JSON: \(error)")
        }
    }

    /// `{"code":…,"message":…}`: a status as `tunekit suggest` prints it, and Connect's error body.
    public static func encode(_ status: KatibStatus) -> Data { errorBody(code: status.code.rawValue, message: status.message) }

    /// An error body with any code name (Connect's lowercase ones too).
    public static func errorBody(code: String, message: String) -> Data {
        JSONWriter.document(capacity: 64 + message.utf8.count) {
            $0.object {
                $0.member("code") { $0.string(code) }
                $0.member("message") { $0.string(message) }
            }
        }
    }
}

extension KatibExperiment {
    /// Converts to the validated experiment model (no trial template: requests do not carry one).
    public func toExperiment() throws(ExperimentModelError) -> Experiment {
        var specs: [ParameterSpec] = []
        for (index, wire) in spec.parameterSpecs.parameters.enumerated() {
            guard let type = ParameterType(katibName: wire.parameterType.name) else {
                throw .invalidParameter(
                    name: wire.name.isEmpty ? "#\(index)" : wire.name,
                    message: "unknown parameterType '\(wire.parameterType.name)'; use DOUBLE, INT, DISCRETE or CATEGORICAL")
            }
            guard let distribution = Distribution(katibName: wire.feasibleSpace.distribution.name) else {
                throw .invalidParameter(
                    name: wire.name, message: "unknown distribution '\(wire.feasibleSpace.distribution.name)'")
            }
            let space = wire.feasibleSpace
            specs.append(ParameterSpec(
                name: wire.name, parameterType: type,
                feasibleSpace: FeasibleSpace(
                    min: space.min.isEmpty ? nil : space.min, max: space.max.isEmpty ? nil : space.max,
                    step: space.step.isEmpty ? nil : space.step, list: space.list, distribution: distribution)))
        }
        guard let type = ObjectiveType(katibName: spec.objective.type.name) else {
            throw .invalidField(path: "experiment.spec.objective.type", line: nil,
                                message: "unknown objective type '\(spec.objective.type.name)'")
        }
        let objective = Objective(
            type: type, goal: spec.objective.goal == 0 ? nil : spec.objective.goal,
            objectiveMetricName: spec.objective.objectiveMetricName.isEmpty ? "objective" : spec.objective.objectiveMetricName,
            additionalMetricNames: spec.objective.additionalMetricNames)
        let maxTrials = spec.maxTrialCount > 0 ? spec.maxTrialCount : nil
        let parallel = spec.parallelTrialCount > 0 ? spec.parallelTrialCount : 1
        return try Experiment(
            name: name, objective: objective,
            algorithm: AlgorithmSpec(
                algorithmName: spec.algorithm.algorithmName, algorithmSettings: spec.algorithm.algorithmSettings),
            parameters: specs, parallelTrialCount: maxTrials.map { Swift.min(parallel, $0) } ?? parallel,
            maxTrialCount: maxTrials)
    }
}

extension KatibTrial {
    /// The trial as a history record; an unknown condition string counts as UNKNOWN.
    public var record: TrialRecord {
        TrialRecord(
            name: name, assignments: spec.parameterAssignments.assignments,
            condition: TrialCondition(katibName: status.condition.name) ?? .unknown,
            metrics: status.observation.metrics)
    }
}
