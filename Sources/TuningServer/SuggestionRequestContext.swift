import Hummingbird
import Logging
import NIOCore

/// Hummingbird's per-request context plus the request id that logs, errors and the `X-Request-Id` header share.
struct SuggestionRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's `X-Request-Id`, else Hummingbird's id, else a random one (a log handler may drop metadata).
    var requestID: String
    /// The connection (an HTTP/2 stream's own channel): its close future tells a long-lived stream the client left.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
        requestID = source.logger[metadataKey: "hb.request.id"]?.description
            ?? String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }
}
