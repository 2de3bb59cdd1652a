import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// Request body bytes held by the server at once, across every request: bodies are read into memory before they are
/// decoded, so without a budget 250 clients each sending an 8 MB body hold 2 GB before any of them is refused.
final class ByteBudget: Sendable {
    let capacity: Int
    private let used = Mutex(0)

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var inUse: Int { used.withLock { $0 } }

    /// Takes `bytes` when they fit; false (nothing taken) when they do not.
    func reserve(_ bytes: Int) -> Bool {
        used.withLock { used in
            guard bytes <= capacity - used else { return false }
            used += bytes
            return true
        }
    }

    func release(_ bytes: Int) {
        used.withLock { $0 -= bytes }
    }
}

/// What one request holds of the budget; given back when the request is done with its body (on deinit).
final class BodyReservation: Sendable {
    private let budget: ByteBudget
    private let held = Mutex(0)

    init(_ budget: ByteBudget) { self.budget = budget }

    func reserve(_ bytes: Int) -> Bool {
        guard budget.reserve(bytes) else { return false }
        held.withLock { $0 += bytes }
        return true
    }

    deinit { budget.release(held.withLock { $0 }) }
}

/// Why a body could not be read.
enum BodyReadFailure: Error {
    /// Larger than the per-request limit (declared in `Content-Length`, or as it arrived).
    case tooLarge
    /// The server holds as many body bytes as its budget allows.
    case busy
    /// The client went away, or the stream broke.
    case broken(any Error)
    /// A gzip body that could not be inflated: zlib's reason.
    case corrupt(String)
}

extension Request {
    /// The whole body, at most `limit` bytes, each piece counted against `reservation` as it arrives; a declared
    /// `Content-Length` over the limit is refused before anything is read.
    mutating func collectBody(upTo limit: Int, reservation: BodyReservation) async throws(BodyReadFailure) -> Data {
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit { throw .tooLarge }
        var data = Data()
        do {
            for try await piece in body {
                guard piece.readableBytes <= limit - data.count else { throw BodyReadFailure.tooLarge }
                guard reservation.reserve(piece.readableBytes) else { throw BodyReadFailure.busy }
                data.append(contentsOf: piece.readableBytesView)
            }
        } catch let failure as BodyReadFailure {
            throw failure
        } catch {
            throw .broken(error)
        }
        return data
    }

    /// `collectBody`, then inflated within `limit` when `gzipped` (the inflated bytes counted against `reservation`
    /// too).
    mutating func readBody(upTo limit: Int, gzipped: Bool, reservation: BodyReservation) async throws(BodyReadFailure) -> Data {
        let body = try await collectBody(upTo: limit, reservation: reservation)
        guard gzipped else { return body }
        let inflated: Data
        do {
            inflated = try GzipBody.inflate(body, limit: limit)
        } catch let failure {
            switch failure {
            case .tooLarge: throw .tooLarge
            case .corrupt(let reason): throw .corrupt(reason)
            }
        }
        guard reservation.reserve(inflated.count) else { throw .busy }
        return inflated
    }
}
