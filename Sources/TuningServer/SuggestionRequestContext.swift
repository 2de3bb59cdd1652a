import Hummingbird
import Logging

/// Hummingbird's per-request context plus the request id that logs, errors and the `X-Request-Id` header share.
struct SuggestionRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's `X-Request-Id`, else Hummingbird's id, else a random one (a log handler may drop metadata).
    var requestID: String

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        requestID = source.logger[metadataKey: "hb.request.id"]?.description
            ?? String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }
}
