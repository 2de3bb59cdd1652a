import ExperimentModel
import Foundation
public import StrictJSON

/// `GetEarlyStoppingRulesRequest`: the experiment, its trials, and the address of Katib's DB manager (unused here:
/// trials carry their `observationLog` instead).
public struct GetEarlyStoppingRulesRequest: Sendable, Equatable {
    public var experiment: KatibExperiment
    public var trials: [KatibTrial]
    public var dbManagerAddress: String

    public init(experiment: KatibExperiment, trials: [KatibTrial], dbManagerAddress: String = "") {
        self.experiment = experiment
        self.trials = trials
        self.dbManagerAddress = dbManagerAddress
    }
}

/// `EarlyStoppingRule`: stop a trial when its metric compares as `comparison` with `value` from `startStep` on.
public struct KatibEarlyStoppingRule: Sendable, Encodable, Equatable {
    public var name: String
    public var value: String
    /// `LESS` (maximised objectives) or `GREATER` (minimised).
    public var comparison: String
    public var startStep: Int

    public init(name: String, value: String, comparison: String, startStep: Int) {
        self.name = name
        self.value = value
        self.comparison = comparison
        self.startStep = startStep
    }
}

/// `GetEarlyStoppingRulesReply`.
public struct GetEarlyStoppingRulesReply: Sendable, Encodable, Equatable {
    public var earlyStoppingRules: [KatibEarlyStoppingRule]

    public init(earlyStoppingRules: [KatibEarlyStoppingRule]) { self.earlyStoppingRules = earlyStoppingRules }
}

/// `ValidateEarlyStoppingSettingsRequest`.
public struct ValidateEarlyStoppingSettingsRequest: Sendable, Equatable {
    public var earlyStopping: KatibAlgorithm

    public init(earlyStopping: KatibAlgorithm) { self.earlyStopping = earlyStopping }
}

/// `SetTrialStatusRequest`.
public struct SetTrialStatusRequest: Sendable, Equatable {
    public var trialName: String

    public init(trialName: String) { self.trialName = trialName }
}

extension GetEarlyStoppingRulesRequest: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init(experiment: KatibExperiment(), trials: [])
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("experiment") {
                experiment = try cursor.decode()
            } else if key.is("trials") {
                trials = try cursor.list()
            } else if key.is("dbManagerAddress") {
                dbManagerAddress = try cursor.string()
            } else {
                try cursor.skip()
            }
        }
    }
}

extension ValidateEarlyStoppingSettingsRequest: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init(earlyStopping: KatibAlgorithm())
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("earlyStopping") { earlyStopping = try cursor.decode() } else { try cursor.skip() }
        }
    }
}

extension SetTrialStatusRequest: JSONCursorDecodable {
    public init(from cursor: inout JSONCursor) throws(JSONError) {
        self.init(trialName: "")
        try cursor.object { (cursor, key) throws(JSONError) in
            if key.is("trialName") { trialName = try cursor.string() } else { try cursor.skip() }
        }
    }
}

extension KatibJSON {
    /// Decodes any of the EarlyStopping API's requests, with the same errors as the Suggestion API's.
    public static func decode(_ type: GetEarlyStoppingRulesRequest.Type, from data: Data) throws(KatibStatus) -> GetEarlyStoppingRulesRequest {
        try decodeRequest(type, data)
    }

    public static func decode(
        _ type: ValidateEarlyStoppingSettingsRequest.Type, from data: Data
    ) throws(KatibStatus) -> ValidateEarlyStoppingSettingsRequest {
        try decodeRequest(type, data)
    }

    public static func decode(_ type: SetTrialStatusRequest.Type, from data: Data) throws(KatibStatus) -> SetTrialStatusRequest {
        try decodeRequest(type, data)
    }
}
