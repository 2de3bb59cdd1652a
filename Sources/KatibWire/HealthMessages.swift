public import SwiftProtobuf

// gRPC's standard health-checking messages (package grpc.health.v1, which Katib vendors as
// pkg/apis/manager/health/health.proto), written out by hand: two one-field messages do not warrant the generator.

/// `grpc.health.v1.HealthCheckRequest`: the service asked about (`""` = the whole server).
public struct HealthCheckRequest: Sendable {
    public var service = ""
    public var unknownFields = SwiftProtobuf.UnknownStorage()

    public init() {}
}

/// `grpc.health.v1.HealthCheckResponse`.
public struct HealthCheckResponse: Sendable {
    /// `HealthCheckResponse.ServingStatus` (SERVICE_UNKNOWN is used by Watch only).
    public enum ServingStatus: Int, Sendable {
        case unknown = 0
        case serving = 1
        case notServing = 2
        case serviceUnknown = 3
    }

    public var status = ServingStatus.unknown
    public var unknownFields = SwiftProtobuf.UnknownStorage()

    public init() {}

    public init(status: ServingStatus) { self.status = status }
}

extension HealthCheckRequest: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    public static let protoMessageName = "grpc.health.v1.HealthCheckRequest"
    public static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}service\0")

    public mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            if fieldNumber == 1 { try decoder.decodeSingularStringField(value: &service) }
        }
    }

    public func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if !service.isEmpty { try visitor.visitSingularStringField(value: service, fieldNumber: 1) }
        try unknownFields.traverse(visitor: &visitor)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.service == rhs.service && lhs.unknownFields == rhs.unknownFields }
}

extension HealthCheckResponse: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    public static let protoMessageName = "grpc.health.v1.HealthCheckResponse"
    public static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}status\0")

    public mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            guard fieldNumber == 1 else { continue }
            var raw: Int32 = 0
            try decoder.decodeSingularInt32Field(value: &raw)
            status = ServingStatus(rawValue: Int(raw)) ?? .unknown
        }
    }

    public func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if status != .unknown { try visitor.visitSingularInt32Field(value: Int32(status.rawValue), fieldNumber: 1) }
        try unknownFields.traverse(visitor: &visitor)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.status == rhs.status && lhs.unknownFields == rhs.unknownFields }
}
