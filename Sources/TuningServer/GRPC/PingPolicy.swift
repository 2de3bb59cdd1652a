import NIOCore
import NIOHTTP2

/// The HTTP/2 connection rules Hummingbird's connection manager gets wrong for gRPC, in one handler placed before it.
///
/// PINGs: gRPC clients ping while data flows (grpcio's and grpc-go's bandwidth-delay probes, several a second on
/// loopback) and for keepalive; gRFC A8 servers forgive such pings because they reset their strike count whenever they
/// send data. Hummingbird's manager never resets it and closes the connection (GOAWAY too_many_pings) on the third
/// ping within 30 s, dropping gRPC calls mid-flight. So this handler takes the PINGs itself (NIOHTTP2 has already
/// acknowledged them) and guards against a flood instead: more than `burst` pings in `window` closes the connection
/// with ENHANCE_YOUR_CALM.
///
/// GOAWAY: the manager closes a connection it told to go away (idle timeout, server shutdown) only once the client
/// acknowledges the PING sent with the GOAWAY; a client that never does kept its connection, and the server's
/// shutdown, waiting forever. This handler closes the connection `goAwayGrace` after any GOAWAY is written.
final class PingPolicy: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let burst: Int
    private let window: TimeAmount
    private let goAwayGrace: TimeAmount
    private var recent: [NIODeadline] = []
    private var closing = false
    private var closeTimer: Scheduled<Void>?

    init(goAwayGrace: TimeAmount, burst: Int = 200, window: TimeAmount = .seconds(10)) {
        self.burst = burst
        self.window = window
        self.goAwayGrace = goAwayGrace
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        // Acknowledgements answer the server's own pings (the connection manager's graceful shutdown uses them).
        guard case .ping(_, ack: false) = frame.payload else {
            context.fireChannelRead(data)
            return
        }
        let now = NIODeadline.now()
        recent.removeAll { $0 + window < now }
        recent.append(now)
        guard recent.count > burst, !closing else { return }
        closing = true
        let goAway = HTTP2Frame(
            streamID: .rootStream,
            payload: .goAway(
                lastStreamID: .maxID, errorCode: .enhanceYourCalm,
                opaqueData: context.channel.allocator.buffer(string: "too_many_pings")))
        context.writeAndFlush(wrapOutboundOut(goAway), promise: nil)
        context.close(promise: nil)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .goAway = unwrapOutboundIn(data).payload, closeTimer == nil {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            closeTimer = context.eventLoop.scheduleTask(in: goAwayGrace) { bound.value.close(promise: nil) }
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeTimer?.cancel()
        context.fireChannelInactive()
    }
}
