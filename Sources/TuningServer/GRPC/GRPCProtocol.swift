import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// gRPC over HTTP/2 (github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md), unary and server-streaming calls: a
/// POST with `Content-Type: application/grpc[+proto]` whose body is one length-prefixed message, answered with 200,
/// length-prefixed reply messages and the call's status in the trailers (`grpc-status`, `grpc-message`).
enum GRPCProtocol {
    static let statusField = HTTPField.Name("grpc-status")!
    static let messageField = HTTPField.Name("grpc-message")!
    static let encodingField = HTTPField.Name("grpc-encoding")!
    static let acceptEncodingField = HTTPField.Name("grpc-accept-encoding")!
    static let timeoutField = HTTPField.Name("grpc-timeout")!
    static let supportedEncodings = "gzip,identity"

    /// Whether a request is a gRPC call (`application/grpc`, optionally `+proto` or `;…`).
    static func isGRPC(_ fields: HTTPFields) -> Bool {
        guard let contentType = fields[.contentType]?.lowercased() else { return false }
        return contentType == "application/grpc" || contentType.hasPrefix("application/grpc+")
            || contentType.hasPrefix("application/grpc;")
    }

    /// Whether the request's codec is protobuf (the only one served; `+json` and others are refused).
    static func isProtobuf(_ fields: HTTPFields) -> Bool {
        let contentType = fields[.contentType]?.lowercased().split(separator: ";").first.map(String.init) ?? ""
        return contentType == "application/grpc" || contentType == "application/grpc+proto"
    }

    /// The request's `grpc-timeout` (1–8 digits and a unit H, M, S, m, u or n); nil when absent.
    static func timeout(_ fields: HTTPFields) throws(ConnectProtocol.Failure) -> Duration? {
        guard let text = fields[timeoutField] else { return nil }
        let digits = text.utf8.dropLast()
        guard (1...8).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }),
              let value = Int64(String(decoding: digits, as: UTF8.self)), let unit = text.last
        else { throw ConnectProtocol.Failure(.invalidArgument, "grpc-timeout must be 1 to 8 digits and a unit, got '\(text)'") }
        switch unit {
        case "H": return .seconds(value * 3600)
        case "M": return .seconds(value * 60)
        case "S": return .seconds(value)
        case "m": return .milliseconds(value)
        case "u": return .microseconds(value)
        case "n": return .nanoseconds(value)
        default: throw ConnectProtocol.Failure(.invalidArgument, "grpc-timeout has an unknown unit '\(unit)' in '\(text)'")
        }
    }

    /// Reads the request's single length-prefixed message, refusing a declared length over `limit` before reading it,
    /// a second message, a truncated one, and compression the request did not declare; gzip messages are inflated
    /// within `limit`.
    static func readMessage(_ request: Request, limit: Int, reservation: BodyReservation? = nil) async throws -> Data {
        let encoding = request.headers[encodingField]?.lowercased() ?? "identity"
        guard encoding == "identity" || encoding == "gzip" else {
            throw ConnectProtocol.Failure(
                .unimplemented, "grpc-encoding '\(encoding)' is not supported; use \(supportedEncodings)")
        }
        var buffer = ByteBuffer()
        var declared: (compressed: Bool, length: Int)?
        do {
            for try await part in request.body {
                var part = part
                guard reservation?.reserve(part.readableBytes) ?? true else { throw SuggestionEndpoints.budgetSpent }
                buffer.writeBuffer(&part)
                if declared == nil, buffer.readableBytes >= 5 {
                    let flag = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self)!
                    let length = Int(buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self)!)
                    guard flag <= 1 else {
                        throw ConnectProtocol.Failure(.invalidArgument, "the message's compressed flag is \(flag); it must be 0 or 1")
                    }
                    guard length <= limit else {
                        throw ConnectProtocol.Failure(
                            .resourceExhausted, "the request message of \(length) bytes exceeds the limit of \(limit) bytes")
                    }
                    declared = (flag == 1, length)
                }
                if let declared, buffer.readableBytes > 5 + declared.length {
                    throw ConnectProtocol.Failure(.invalidArgument, "a unary call takes one request message; more were sent")
                }
            }
        } catch let failure as ConnectProtocol.Failure {
            throw failure
        } catch {
            throw ConnectProtocol.Failure(.canceled, "the request body could not be read: \(error)")
        }
        guard let declared, buffer.readableBytes == 5 + declared.length else {
            throw ConnectProtocol.Failure(
                .invalidArgument, buffer.readableBytes == 0
                    ? "the call has no request message" : "the request message is truncated")
        }
        let message = Data(buffer.readableBytesView.dropFirst(5))
        guard declared.compressed else { return message }
        guard encoding == "gzip" else {
            throw ConnectProtocol.Failure(.`internal`, "the message is marked compressed but grpc-encoding is identity")
        }
        do {
            return try GzipBody.inflate(message, limit: limit)
        } catch .tooLarge {
            throw ConnectProtocol.Failure(.resourceExhausted, "the inflated request message exceeds the limit of \(limit) bytes")
        } catch .corrupt(let reason) {
            throw ConnectProtocol.Failure(.invalidArgument, "the gzip request message could not be inflated: \(reason)")
        }
    }

    /// One uncompressed length-prefixed message.
    static func frame(_ message: Data) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(5 + message.count)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(message.count))
        buffer.writeBytes(message)
        return buffer
    }

    /// The trailers of a finished call.
    static func trailers(_ failure: ConnectProtocol.Failure?) -> HTTPFields {
        var fields = HTTPFields()
        fields[statusField] = String(failure?.code.grpcStatus ?? 0)
        if let failure { fields[messageField] = percentEncoded(failure.message) }
        return fields
    }

    /// A unary reply: response headers, the message, status OK.
    static func reply(_ message: Data) -> Response {
        let framed = frame(message)
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await writer.write(framed)
            try await writer.finish(trailers(nil))
        })
    }

    /// A failed call: response headers and the status in the trailers, no message.
    static func error(_ failure: ConnectProtocol.Failure) -> Response {
        Response(status: .ok, headers: headers, body: ResponseBody { writer in try await writer.finish(trailers(failure)) })
    }

    /// Every reply's headers; `grpc-accept-encoding` also answers a refused `grpc-encoding`.
    static var headers: HTTPFields { [.contentType: "application/grpc", acceptEncodingField: supportedEncodings] }

    /// `grpc-message` encoding: bytes outside printable ASCII, and `%`, as `%XX` of their UTF-8.
    static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if byte >= 0x20, byte <= 0x7E, byte != 0x25 {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }
}

extension ConnectProtocol.Code {
    /// gRPC's numeric status code.
    var grpcStatus: Int {
        switch self {
        case .canceled: 1
        case .unknown: 2
        case .invalidArgument: 3
        case .deadlineExceeded: 4
        case .notFound: 5
        case .alreadyExists: 6
        case .permissionDenied: 7
        case .resourceExhausted: 8
        case .failedPrecondition: 9
        case .aborted: 10
        case .outOfRange: 11
        case .unimplemented: 12
        case .`internal`: 13
        case .unavailable: 14
        case .dataLoss: 15
        case .unauthenticated: 16
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
