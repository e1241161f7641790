import NIOCore
import NIOPosix
import NIOSSL
import NIOWebSocket
import PlyClient
import PlyStore

/// `ply bench ping`: one-line request, one-line reply round trips, one in flight per
/// connection. It sends `PING` and counts any line back except `EVENT ...`, so it measures
/// a Ply server (`OK`) and redis-server's inline `PING` (`+PONG`) the same way.
public enum PingBench {
    public struct Options: Sendable {
        public var target: BenchTarget
        public var connections: Int
        public var duration: Duration
        /// TLS to the server (its port must speak TLS); nil: plain TCP.
        public var tls: TLSConfiguration?
        /// Over a WebSocket (`GET /ws` on the server's HTTP port) instead of the line port.
        public var webSocket: Bool

        public init(
            target: BenchTarget, connections: Int, duration: Duration, tls: TLSConfiguration? = nil, webSocket: Bool = false
        ) {
            self.tls = tls
            self.webSocket = webSocket
            self.target = target
            self.connections = connections
            self.duration = duration
        }
    }

    public struct Result: Sendable {
        public var requests: Int
        public var seconds: Double
        public var latency: LatencySummary

        public var report: BenchReport {
            BenchReport(
                title: "ping",
                figures: [
                    ("requests", Double(requests)), ("seconds", seconds),
                    ("rps", seconds > 0 ? Double(requests) / seconds : nil),
                    ("p50_ms", latency.p50), ("p99_ms", latency.p99), ("max_ms", latency.max),
                ])
        }
    }

    public static func run(_ options: Options, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> Result
    {
        // Connect everything first, so the timed part is all round trips.
        var connections: [(any Channel, EventLoopFuture<LatencySamples>)] = []
        var upgrades: [EventLoopFuture<Void>] = []
        let webSocket = options.webSocket
        let tls = try options.tls.map { try NIOSSLContext(configuration: $0) }
        let host = options.target.host
        do {
            for _ in 0..<options.connections {
                let loop = group.next()
                let done = loop.makePromise(of: LatencySamples.self)
                let upgraded = loop.makePromise(of: Void.self)
                if webSocket { upgrades.append(upgraded.futureResult) } else { upgraded.succeed() }
                let channel = try await ClientBootstrap(group: loop)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            if let tls {
                                let name = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
                                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: name))
                            }
                            if webSocket {
                                try channel.pipeline.syncOperations.addHandler(WebSocketUpgrade(host: host, upgraded: upgraded))
                            }
                            try channel.pipeline.syncOperations.addHandler(PingHandler(done: done))
                        }
                    }
                    .connect(host: options.target.host, port: options.target.port).get()
                connections.append((channel, done.futureResult))
            }
        } catch {
            for (channel, _) in connections { try? await channel.close() }
            throw error
        }
        for u in upgrades { try await u.get() }
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = NIODeadline.now() + .nanoseconds(Int64(LatencySamples.milliseconds(options.duration) * 1e6))
        for (channel, _) in connections {
            channel.pipeline.fireUserInboundEventTriggered(PingHandler.Start(deadline: deadline))
        }
        var samples = LatencySamples()
        for (_, done) in connections {
            samples.merge(try await done.get())
        }
        let seconds = LatencySamples.milliseconds(clock.now - start) / 1000
        return Result(requests: samples.count, seconds: seconds, latency: samples.summary())
    }
}

/// Drives one connection on its event loop: the next `PING` leaves as soon as a reply line
/// arrives, so the figures are the server's and the network's, not a scheduler's.
final class PingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    struct Start: Sendable { var deadline: NIODeadline }

    private let done: EventLoopPromise<LatencySamples>
    private var samples = LatencySamples()
    private var deadline: NIODeadline?
    private var sentAt: NIODeadline?
    /// The first bytes of the line being read, enough to tell `EVENT ` lines apart.
    private var prefix: [UInt8] = []
    private var finished = false
    private static let eventPrefix = Array("EVENT ".utf8)
    private static let ping = ByteBuffer(string: "PING\n")

    init(done: EventLoopPromise<LatencySamples>) {
        self.done = done
        prefix.reserveCapacity(6)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let start = event as? Start else { return context.fireUserInboundEventTriggered(event) }
        deadline = start.deadline
        send(context: context)
    }

    private func send(context: ChannelHandlerContext) {
        sentAt = .now()
        context.writeAndFlush(wrapOutboundOut(Self.ping), promise: nil)
    }

    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        for byte in buffer.readableBytesView {
            guard byte == UInt8(ascii: "\n") else {
                if prefix.count < 6 { prefix.append(byte) }
                continue
            }
            let isEvent = prefix == Self.eventPrefix
            prefix.removeAll(keepingCapacity: true)
            guard !isEvent, let sent = sentAt, let deadline else { continue }
            let now = NIODeadline.now()
            samples.record(milliseconds: Double(now.uptimeNanoseconds - sent.uptimeNanoseconds) / 1e6)
            sentAt = nil
            if now < deadline {
                send(context: context)
            } else {
                finish()
                context.close(promise: nil)
                return
            }
        }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        done.succeed(samples)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
