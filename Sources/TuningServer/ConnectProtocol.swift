import Foundation
import HTTPTypes
import KatibWire
import SuggestionAlgorithms

/// The unary form of the Connect protocol (connectrpc.com/docs/protocol): a POST to `/<package>.<Service>/<Method>`
/// whose body is the request message in the codec `Content-Type` names, answered with 200 and the reply in the same
/// codec, or with an error status and a JSON error body `{"code": "invalid_argument", "message": "…"}`.
enum ConnectProtocol {
    /// The message encodings: protobuf JSON and binary protobuf.
    enum Codec: Sendable {
        case json
        case proto

        /// The codec a request's `Content-Type` names (parameters such as `charset=utf-8` ignored); nil for others.
        init?(contentType: String?) {
            guard let contentType else { return nil }
            let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            switch mediaType {
            case "application/json": self = .json
            case "application/proto": self = .proto
            default: return nil
            }
        }

        var contentType: String {
            switch self {
            case .json: "application/json"
            case .proto: "application/proto"
            }
        }
    }

    /// Connect's error codes (gRPC's, in snake_case) and the HTTP status each is sent with.
    enum Code: String, Sendable {
        case canceled, unknown, `internal`, unavailable, unimplemented, unauthenticated
        case invalidArgument = "invalid_argument"
        case deadlineExceeded = "deadline_exceeded"
        case notFound = "not_found"
        case alreadyExists = "already_exists"
        case permissionDenied = "permission_denied"
        case resourceExhausted = "resource_exhausted"
        case failedPrecondition = "failed_precondition"
        case aborted
        case outOfRange = "out_of_range"
        case dataLoss = "data_loss"

        /// The Connect code of a gRPC status name (`INVALID_ARGUMENT`, `CANCELLED`, …); `unknown` for others.
        init(grpcName: String) {
            self = grpcName == "CANCELLED" ? .canceled : Code(rawValue: grpcName.lowercased()) ?? .unknown
        }

        /// The HTTP status Connect's specification gives this code.
        var httpStatus: HTTPResponse.Status {
            switch self {
            case .canceled: HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
            case .unknown, .`internal`, .dataLoss: .internalServerError
            case .invalidArgument, .failedPrecondition, .outOfRange: .badRequest
            case .deadlineExceeded: .gatewayTimeout
            case .notFound: .notFound
            case .alreadyExists, .aborted: .conflict
            case .permissionDenied: .forbidden
            case .resourceExhausted: .tooManyRequests
            case .unimplemented: .notImplemented
            case .unavailable: .serviceUnavailable
            case .unauthenticated: .unauthorized
            }
        }
    }

    /// A failed call: its code and a message for the client.
    struct Failure: Error {
        let code: Code
        let message: String

        init(_ code: Code, _ message: String) {
            self.code = code
            self.message = message
        }

        /// A handler's or decoder's status (gRPC-named, as `tunekit suggest` prints it).
        init(_ status: KatibStatus) { self.init(Code(grpcName: status.code.rawValue), status.message) }

        /// Connect's error body.
        var body: Data { KatibJSON.errorBody(code: code.rawValue, message: message) }
    }

    /// The request's `Connect-Timeout-Ms`: nil when absent, an error when it is not 1–10 ASCII digits.
    static func timeout(_ fields: HTTPFields) throws(Failure) -> Duration? {
        guard let text = fields[timeoutHeader] else { return nil }
        guard (1...10).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let milliseconds = Int(text)
        else { throw Failure(.invalidArgument, "Connect-Timeout-Ms must be 1 to 10 digits, got '\(text)'") }
        return .milliseconds(milliseconds)
    }

    /// Checks the protocol version a Connect client sends (only 1 exists) and returns whether the body is gzip
    /// compressed; another `Content-Encoding` is unimplemented, with `Accept-Encoding` naming what is (Connect's rule).
    static func bodyIsGzipped(_ fields: HTTPFields) throws(Failure) -> Bool {
        if let version = fields[versionHeader], version != "1" {
            throw Failure(.invalidArgument, "Connect-Protocol-Version must be 1, got '\(version)'")
        }
        switch fields[.contentEncoding]?.lowercased() {
        case nil, "identity": return false
        case "gzip": return true
        case let other?: throw Failure(.unimplemented, "Content-Encoding '\(other)' is not supported; use gzip or identity")
        }
    }

    static let versionHeader = HTTPField.Name("Connect-Protocol-Version")!
    static let timeoutHeader = HTTPField.Name("Connect-Timeout-Ms")!
}

/// The request messages in either codec: one decode path for every method, the server's history limit applied.
extension KatibRequestMessage {
    init(_ body: Data, codec: ConnectProtocol.Codec) throws(KatibStatus) {
        try self.init(body, json: codec == .json, trialLimit: SuggestionLimits.historyTrials)
    }
}

/// The reply messages in either codec.
extension GetSuggestionsReply {
    func encoded(_ codec: ConnectProtocol.Codec) -> Data { codec == .json ? KatibJSON.encode(self) : KatibProtobuf.encode(self) }
}

extension GetEarlyStoppingRulesReply {
    func encoded(_ codec: ConnectProtocol.Codec) -> Data { codec == .json ? KatibJSON.encode(self) : KatibProtobuf.encode(self) }
}
