import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOHTTP2

/// HTTP/1.1 and HTTP/2 cleartext ("h2c with prior knowledge", how gRPC clients and Kubernetes' gRPC probe dial a
/// plain-text port) on one listening port. The connection's first bytes decide: the HTTP/2 connection preface selects
/// Hummingbird's HTTP/2 channel, anything else its HTTP/1.1 channel; both hand requests to the same responder.
struct CleartextHTTPChannel: HTTPChannelHandler {
    enum Negotiated: Sendable {
        case http1(HTTP1Channel.Value)
        case http2(HTTP2Channel.Value)
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    private let http1: HTTP1Channel
    private let http2: HTTP2Channel
    /// A connection that has not sent enough bytes to tell the protocols apart within this time is closed.
    private let firstBytesTimeout: TimeAmount
    /// An HTTP/2 connection told to go away is closed this long after, whatever the client does.
    private let goAwayGrace: TimeAmount
    /// Open connections; over its limit a new one is refused.
    private let connections: ConnectionLimit
    var responder: Responder { http1.responder }

    init(
        responder: @escaping Responder, http1: HTTP1Channel.Configuration, http2: HTTP2Channel.Configuration,
        firstBytesTimeout: TimeAmount, connections: ConnectionLimit
    ) {
        self.connections = connections
        self.http1 = HTTP1Channel(responder: responder, configuration: http1)
        self.http2 = HTTP2Channel(responder: responder, configuration: http2)
        self.firstBytesTimeout = firstBytesTimeout
        self.goAwayGrace = TimeAmount(http2.gracefulCloseTimeout ?? .seconds(30))
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let goAwayGrace = self.goAwayGrace
        let negotiated = channel.eventLoop.makePromise(of: Negotiated.self)
        guard connections.admit(channel) else {
            negotiated.fail(ChannelError.inputClosed)
            return channel.eventLoop.makeSucceededFuture(Value(negotiated: negotiated.futureResult, channel: channel))
        }
        let sniffer = PrefaceSniffer(timeout: firstBytesTimeout) { isHTTP2 in
            let configured: EventLoopFuture<Negotiated> = isHTTP2
                ? http2.setup(channel: channel, logger: logger).flatMapThrowing { connection in
                    let framing = try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self)
                    try channel.pipeline.syncOperations.addHandler(
                        PingPolicy(goAwayGrace: goAwayGrace), position: .after(framing))
                    return .http2(connection)
                }
                : http1.setup(channel: channel, logger: logger).map { .http1($0) }
            configured.cascade(to: negotiated)
            return configured.map { _ in () }
        } onClose: {
            negotiated.fail(ChannelError.inputClosed)
        }
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(sniffer)
            return Value(negotiated: negotiated.futureResult, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http1(let connection): await http1.handle(value: connection, logger: logger)
            case .http2(let connection): await http2.handle(value: connection, logger: logger)
            }
        } catch {
            logger.debug("connection closed before its protocol was known: \(error)")
        }
    }
}

/// Holds a new connection's first bytes until they show whether it speaks HTTP/2 (they begin with the 24-byte client
/// connection preface) or HTTP/1.1 (they differ from it somewhere), has the pipeline configured for that protocol,
/// then replays the held bytes into it and removes itself.
final class PrefaceSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// RFC 9113 §3.4: every HTTP/2 connection starts with these bytes.
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private enum State {
        case sniffing
        case configuring
        case done
    }

    private var state = State.sniffing
    private var held: ByteBuffer?
    private var deadline: Scheduled<Void>?
    private let timeout: TimeAmount
    private let configure: (Bool) -> EventLoopFuture<Void>
    private let onClose: () -> Void

    init(timeout: TimeAmount, configure: @escaping (Bool) -> EventLoopFuture<Void>, onClose: @escaping () -> Void) {
        self.timeout = timeout
        self.configure = configure
        self.onClose = onClose
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            guard case .sniffing = bound.value.handler.state else { return }
            bound.value.context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .done = state {
            context.fireChannelRead(data)
            return
        }
        var incoming = unwrapInboundIn(data)
        if held == nil { held = incoming } else { held!.writeBuffer(&incoming) }
        guard case .sniffing = state, let held, let isHTTP2 = Self.decide(held) else { return }
        state = .configuring
        deadline?.cancel()
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        configure(isHTTP2).whenComplete { result in
            let (handler, context) = bound.value
            switch result {
            case .success: handler.replay(context: context)
            case .failure: context.close(promise: nil)
            }
        }
    }

    /// Passes the held bytes to the handlers just configured, then leaves the pipeline.
    private func replay(context: ChannelHandlerContext) {
        state = .done
        if let bytes = held {
            held = nil
            context.fireChannelRead(wrapInboundOut(bytes))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .done = state { context.fireChannelReadComplete() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A server shutting down closes connections that have not yet sent a request.
        if event is ChannelShouldQuiesceEvent, case .sniffing = state {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        if case .sniffing = state { onClose() }
        context.fireChannelInactive()
    }

    /// True for the HTTP/2 preface, false once the bytes differ from it, nil while they are still a prefix of it.
    static func decide(_ bytes: ByteBuffer) -> Bool? {
        let prefix = bytes.readableBytesView.prefix(preface.count)
        guard prefix.elementsEqual(preface.prefix(prefix.count)) else { return false }
        return prefix.count == preface.count ? true : nil
    }
}
