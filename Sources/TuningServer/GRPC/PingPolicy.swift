import NIOCore
import NIOHTTP2

/// The HTTP/2 PING policy of the h2c connections. gRPC clients ping while data flows (grpcio's and grpc-go's
/// bandwidth-delay probes, several a second on loopback) and for keepalive; gRFC A8 servers forgive such pings
/// because they reset their strike count whenever they send data. Hummingbird's connection manager never resets it
/// and closes the connection (GOAWAY too_many_pings) on the third ping within 30 s, dropping gRPC calls mid-flight,
/// so this handler, placed before it, takes the PINGs itself (NIOHTTP2 has already acknowledged them) and guards
/// against a flood instead: more than `burst` pings in `window` closes the connection with ENHANCE_YOUR_CALM.
final class PingPolicy: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let burst: Int
    private let window: TimeAmount
    private var recent: [NIODeadline] = []
    private var closing = false

    init(burst: Int = 200, window: TimeAmount = .seconds(10)) {
        self.burst = burst
        self.window = window
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
}
