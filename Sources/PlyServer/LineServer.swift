import Logging
import NIOCore
import NIOPosix
import PlyEngine
import ServiceLifecycle
import Synchronization

/// The TCP listener: one child task per connection, each feeding its lines to a
/// `PlayerSession`. On graceful shutdown it stops accepting, lets every connection finish
/// the requests it has already sent, and closes them.
public final class LineServer: Service {
    let configuration: ServerConfiguration
    let engine: Engine
    let logger: Logger
    let onBound: @Sendable (SocketAddress) -> Void
    /// Runs before the listener binds (migrations): nothing is accepted until it is done.
    let prepare: @Sendable () async throws -> Void
    let budget: Mutex<ConnectionBudget>

    public init(
        configuration: ServerConfiguration, engine: Engine, logger: Logger,
        prepare: @escaping @Sendable () async throws -> Void = {},
        onBound: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.engine = engine
        self.logger = logger
        self.prepare = prepare
        self.onBound = onBound
        budget = Mutex(
            ConnectionBudget(
                maximumTotal: configuration.maximumConnections,
                maximumPerAddress: configuration.maximumConnectionsPerAddress))
    }

    public func run() async throws {
        try await prepare()
        let configuration = self.configuration
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(
                .writeBufferWaterMark,
                value: .init(low: min(32 * 1024, configuration.maximumOutboundBytes / 2), high: configuration.maximumOutboundBytes))
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let idle = TimeAmount.nanoseconds(Int64(configuration.idleTimeout.components.seconds) * 1_000_000_000
                        + configuration.idleTimeout.components.attoseconds / 1_000_000_000)
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                    try channel.pipeline.syncOperations.addHandler(CloseWhenIdle())
                    try channel.pipeline.syncOperations.addHandler(CloseSlowReader())
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(
                            LineFrameDecoder(
                                maximumLineBytes: configuration.maximumLineBytes,
                                maximumUnterminatedBytes: configuration.maximumUnterminatedBytes),
                            maximumBufferSize: configuration.maximumUnterminatedBytes + 65536))
                    let high = max(2, configuration.maximumPipelinedRequests)
                    return try NIOAsyncChannel<LineFrame, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: max(1, high / 2), highWatermark: high)))
                }
            }
        if let address = listener.channel.localAddress {
            logger.info("listening", metadata: ["address": "\(address)"])
            onBound(address)
        }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await listener.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            listener.channel.close(promise: nil)
        }
        logger.info("listener stopped")
    }

    /// One connection. Errors end this connection only, never the server.
    func serve(_ connection: NIOAsyncChannel<LineFrame, ByteBuffer>) async {
        let channel = connection.channel
        let remote = channel.remoteAddress?.ipAddress ?? "unknown"
        if let refusal = budget.withLock({ $0.admit(remote) }) {
            let why = refusal == .serverFull ? "the server is full" : "too many connections from your address"
            try? await channel.writeAndFlush(ByteBuffer(string: "ERR rate_limited \(why); retry later\n"))
            try? await channel.close()
            logger.info("connection refused", metadata: ["remote": "\(remote)", "why": "\(why)"])
            return
        }
        defer { budget.withLock { $0.release(remote) } }
        let outbound = Outbound(
            send: { line in channel.writeAndFlush(ByteBuffer(string: line), promise: nil) },
            close: { channel.close(promise: nil) })
        let session = PlayerSession(engine: engine, outbound: outbound, remoteAddress: remote)
        session.hello()
        let handshake = configuration.handshakeTimeout
        let handshakeWatch = Task {
            try await Task.sleep(for: handshake)
            if await !session.isAuthenticated {
                outbound.send("ERR unauthenticated no login within \(handshake.components.seconds) seconds; closing\n")
                outbound.close()
            }
        }
        defer { handshakeWatch.cancel() }
        do {
            try await withGracefulShutdownHandler {
                try await connection.executeThenClose { inbound, _ in
                    for try await frame in inbound {
                        switch frame {
                        case .line(let buffer):
                            await session.handle(line: Array(buffer.readableBytesView))
                        case .tooLong:
                            await session.lineTooLong(limit: configuration.maximumLineBytes)
                        }
                        if await session.wantsClose { break }
                        // Once logged in, the handshake watch has nothing left to do; ending
                        // it early frees its task for the life of an idle session.
                        if !handshakeWatch.isCancelled, await session.isAuthenticated { handshakeWatch.cancel() }
                    }
                    // Replies already queued leave before the close.
                    try? await channel.writeAndFlush(ByteBuffer()).get()
                }
            } onGracefulShutdown: {
                // No new requests; the ones already read are answered first.
                channel.close(mode: .input, promise: nil)
            }
        } catch is LineFrameDecoder.UnterminatedLine {
            logger.info("connection closed: line without end", metadata: ["remote": "\(remote)"])
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
        await session.disconnected()
    }
}

/// Disconnects a client that lets replies pile up unread: once the queued bytes pass the
/// high water mark the channel turns unwritable, and the connection is closed before the
/// server's memory grows.
final class CloseSlowReader: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if !context.channel.isWritable {
            context.close(promise: nil)
        }
        context.fireChannelWritabilityChanged()
    }
}

/// Closes a connection that has been silent for the read timeout.
final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? IdleStateHandler.IdleStateEvent, e == .read {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
