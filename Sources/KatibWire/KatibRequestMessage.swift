import ExperimentModel
public import Foundation

/// A Katib request message readable in both of the Suggestion API's encodings: protobuf JSON (`KatibJSON`) and binary
/// protobuf (`KatibProtobuf`). The Connect and gRPC layers decode every method through `init(_:json:)`.
public protocol KatibRequestMessage: Sendable {
    static func decode(json data: Data) throws(KatibStatus) -> Self
    /// `trialLimit`: most trials a message may carry; messages with trials count them before decoding any.
    static func decode(protobuf data: Data, trialLimit: Int) throws(KatibStatus) -> Self
}

extension KatibRequestMessage {
    /// Decodes `data` as JSON (`json` true) or binary protobuf.
    public init(_ data: Data, json: Bool, trialLimit: Int) throws(KatibStatus) {
        self = json ? try Self.decode(json: data) : try Self.decode(protobuf: data, trialLimit: trialLimit)
    }
}

extension GetSuggestionsRequest: KatibRequestMessage {
    public static func decode(json data: Data) throws(KatibStatus) -> Self { try KatibJSON.decode(Self.self, from: data) }
    public static func decode(protobuf data: Data, trialLimit: Int) throws(KatibStatus) -> Self { try KatibProtobuf.decode(Self.self, from: data) }
}

extension ValidateAlgorithmSettingsRequest: KatibRequestMessage {
    public static func decode(json data: Data) throws(KatibStatus) -> Self { try KatibJSON.decode(Self.self, from: data) }
    public static func decode(protobuf data: Data, trialLimit: Int) throws(KatibStatus) -> Self { try KatibProtobuf.decode(Self.self, from: data) }
}

extension GetEarlyStoppingRulesRequest: KatibRequestMessage {
    public static func decode(json data: Data) throws(KatibStatus) -> Self { try KatibJSON.decode(Self.self, from: data) }
    public static func decode(protobuf data: Data, trialLimit: Int) throws(KatibStatus) -> Self {
        try KatibProtobuf.decode(Self.self, from: data, trialLimit: trialLimit)
    }
}

extension ValidateEarlyStoppingSettingsRequest: KatibRequestMessage {
    public static func decode(json data: Data) throws(KatibStatus) -> Self { try KatibJSON.decode(Self.self, from: data) }
    public static func decode(protobuf data: Data, trialLimit: Int) throws(KatibStatus) -> Self { try KatibProtobuf.decode(Self.self, from: data) }
}

extension SetTrialStatusRequest: KatibRequestMessage {
    public static func decode(json data: Data) throws(KatibStatus) -> Self { try KatibJSON.decode(Self.self, from: data) }
    public static func decode(protobuf data: Data, trialLimit: Int) throws(KatibStatus) -> Self { try KatibProtobuf.decode(Self.self, from: data) }
}
