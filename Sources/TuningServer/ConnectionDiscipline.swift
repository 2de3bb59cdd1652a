import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Deadlines and closing rules Hummingbird leaves out, for one HTTP/1.1 connection or one HTTP/2 stream:
/// - (HTTP/1.1) a request's header must be complete `headerTimeout` after its first byte arrived (a client trickling
///   one header byte every few seconds otherwise holds the connection forever; the idle timeout never fires while
///   bytes arrive);
/// - its body must be complete `bodyTimeout` after the header (else the connection, or the HTTP/2 stream, is closed:
///   a trickled body would hold its share of the server's body-byte budget forever);
/// - (HTTP/1.1) a response sent before the request's body was read (413, 429, 503, a refusal of the header) says
///   `Connection: close` and the connection is closed once it is written, instead of reading (and discarding) a body
///   that may never end; `Expect: 100-continue` is answered with `100 Continue`.
/// Sits after the HTTP codec; on an HTTP/1.1 connection `handlerAdded` puts a byte watcher at the front of the
/// pipeline, which starts the header deadline when the first byte of a request arrives.
final class ConnectionDiscipline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// nil on an HTTP/2 stream: its header arrives in frames the HTTP/2 handler bounds.
    private let headerTimeout: TimeAmount?
    private let bodyTimeout: TimeAmount
    private var awaitingHead = true
    private var bodyComplete = true
    private var closeAfterResponse = false
    private var deadline: Scheduled<Void>?

    /// An HTTP/1.1 connection's discipline.
    init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
    }

    /// An HTTP/2 stream's: the body deadline only (`Connection` is not an HTTP/2 header; closing ends the stream).
    init(streamBodyTimeout: TimeAmount) {
        headerTimeout = nil
        bodyTimeout = streamBodyTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard headerTimeout != nil else { return }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        try? context.pipeline.syncOperations.addHandler(
            ByteWatcher { bound.value.handler.bytesArrived(context: bound.value.context) }, position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    /// The first bytes of a request start its header deadline.
    private func bytesArrived(context: ChannelHandlerContext) {
        guard awaitingHead, deadline == nil, let headerTimeout else { return }
        arm(headerTimeout, context: context)
    }

    private func arm(_ timeout: TimeAmount, context: ChannelHandlerContext) {
        deadline?.cancel()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) { bound.value.close(promise: nil) }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            awaitingHead = false
            bodyComplete = false
            arm(bodyTimeout, context: context)
            if headerTimeout != nil, head.headerFields[.expect]?.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        case .body:
            break
        case .end:
            bodyComplete = true
            awaitingHead = true
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where headerTimeout != nil && (!bodyComplete || head.headerFields[.connection] == "close"):
            closeAfterResponse = true
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where closeAfterResponse:
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        default:
            context.write(data, promise: promise)
        }
    }

    /// Tells the discipline that bytes arrived, before any decoding.
    private final class ByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        private let onBytes: () -> Void

        init(onBytes: @escaping () -> Void) { self.onBytes = onBytes }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            onBytes()
            context.fireChannelRead(data)
        }
    }
}

/// Counts open connections; beyond `limit`, a new one is answered 503 with `Connection: close` and closed at once, so a
/// flood of idle or slow connections cannot use up the process's file descriptors (health probes then fail to connect
/// at all).
final class ConnectionLimit: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) { self.limit = max(1, limit) }

    var current: Int { open.load(ordering: .relaxed) }

    /// Counts `channel` until it closes; false (and the channel refused and closed) when the limit is reached.
    func admit(_ channel: any Channel) -> Bool {
        let count = open.wrappingAdd(1, ordering: .relaxed).newValue
        channel.closeFuture.whenComplete { _ in self.open.wrappingSubtract(1, ordering: .relaxed) }
        guard count > limit else { return true }
        let body = #"{"error":"too many open connections; retry later"}"#
        let reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\nRetry-After: 1\r\n\r\n" + body
        channel.writeAndFlush(ByteBuffer(string: reply)).whenComplete { _ in channel.close(promise: nil) }
        return false
    }
}
