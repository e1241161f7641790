import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PlyEngine
import PlyLines
import ServiceLifecycle
import Synchronization

/// The TCP listener. Each connection is a NIO pipeline ending in a `SessionHandler`, which
/// hands its lines to a `PlayerSession` actor running on the connection's own event loop.
/// On graceful shutdown it stops accepting, lets every connection finish the requests it has
/// already sent, closes them, and returns once every session has ended.
public final class LineServer: Service {
    let configuration: ServerConfiguration
    let engine: Engine
    let logger: Logger
    let onBound: @Sendable (SocketAddress) -> Void
    /// Runs before the listener accepts play (migrations, the primary lease): nothing is
    /// accepted until it is done.
    let prepare: @Sendable () async throws -> Void
    /// A standby binds the line port before `prepare` and turns its connections away
    /// (`ERR unavailable standby`) until `prepare` has taken the lease.
    let standby: Bool
    let connections: LiveConnections
    /// The HTTP listener's address once bound (tests read its port).
    let onHTTPBound: @Sendable (SocketAddress) -> Void
    private let phaseValue = Atomic<Int>(Phase.starting.rawValue)
    /// Refused HTTPS connections waiting for their handshake to be told 503 (outside the
    /// connection limits, so they are counted here and held to `refusalsAwaitingHandshake`).
    let refusedInHandshake = Atomic<Int>(0)
    static let refusalsAwaitingHandshake = 64
    var phase: Phase {
        get { Phase(rawValue: phaseValue.load(ordering: .acquiring)) ?? .starting }
        set { phaseValue.store(newValue.rawValue, ordering: .releasing) }
    }

    public init(
        configuration: ServerConfiguration, engine: Engine, logger: Logger, standby: Bool = false,
        prepare: @escaping @Sendable () async throws -> Void = {},
        onBound: @escaping @Sendable (SocketAddress) -> Void = { _ in },
        onHTTPBound: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) {
        self.onHTTPBound = onHTTPBound
        self.configuration = configuration
        self.engine = engine
        self.logger = logger
        self.prepare = prepare
        self.standby = standby
        self.onBound = onBound
        connections = LiveConnections(
            budget: ConnectionBudget(
                maximumTotal: configuration.maximumConnections,
                maximumPerAddress: configuration.maximumConnectionsPerAddress))
    }

    public func run() async throws {
        // The HTTP port first, so `/healthz` answers `starting` while migrations run.
        var http: (any Channel)?
        if let port = configuration.httpPort {
            let channel = try await bindHTTP(port: port)
            if let address = channel.localAddress {
                logger.info("http listening", metadata: ["address": "\(address)"])
                onHTTPBound(address)
            }
            http = channel
        }
        var early: (any Channel)?
        if standby {
            phase = .standby
            early = try await bindLines()
        }
        do {
            try await prepare()
        } catch {
            try? await early?.close()
            try? await http?.close()
            // Stopped while waiting (a standby that never took over): a clean stop.
            if error is CancellationError, Task.isShuttingDownGracefully { return }
            throw error
        }
        let listener: any Channel
        if let early {
            listener = early
        } else {
            listener = try await bindLines()
        }
        phase = .running
        if let address = listener.localAddress {
            logger.info("listening", metadata: ["address": "\(address)"])
            onBound(address)
        }
        try await withGracefulShutdownHandler {
            try await listener.closeFuture.get()
        } onGracefulShutdown: {
            self.phase = .stopping
            listener.close(promise: nil)
        }
        phase = .stopping
        // No new play; the open connections answer what they have read, then close. Past
        // the shutdown time limit the group cancels this, and what is still open is closed.
        // The HTTP port stays open meanwhile, so a load balancer's health check reads
        // `503 shutting down` while the server drains.
        await connections.quiesceAll()
        try? await http?.close()
        if Task.isCancelled {
            logger.error("shutdown time limit reached; closed the connections still open")
        }
        logger.info("listener stopped")
    }

    /// Binds the line port; each connection's pipeline ends in a `SessionHandler`.
    private func bindLines() async throws -> any Channel {
        let configuration = self.configuration
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // A client that shuts its sending side (`nc -N`) still gets its replies.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(
                .writeBufferWaterMark,
                value: .init(low: min(32 * 1024, configuration.maximumOutboundBytes / 2), high: configuration.maximumOutboundBytes))
            // Requests are short lines: start reads small and let busy connections grow them.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let idle = TimeAmount(configuration.idleTimeout)
                    let pipeline = channel.pipeline.syncOperations
                    let gate = LineGate()
                    // TLS first: everything after it sees the lines in the clear. A client that
                    // does not speak TLS fails the handshake and is closed (SessionHandler's
                    // errorCaught).
                    if let tls = configuration.tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idle))
                    try pipeline.addHandler(CloseWhenIdle())
                    try pipeline.addHandler(CloseSlowReader())
                    try pipeline.addHandler(
                        ByteToMessageHandler(
                            LineFrameDecoder(
                                maximumLineBytes: configuration.maximumLineBytes,
                                maximumUnterminatedBytes: configuration.maximumUnterminatedBytes, gate: gate),
                            // Room for one read's worth held back behind a shut gate (4 x 64 KiB).
                            maximumBufferSize: configuration.maximumUnterminatedBytes + 5 * 65536))
                    try pipeline.addHandler(SessionHandler(server: self, gate: gate))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
    }
}

/// The open connections: the budget per address, and the channels to quiesce at shutdown.
final class LiveConnections: Sendable {
    private struct State {
        var budget: ConnectionBudget
        var channels: [ObjectIdentifier: any Channel] = [:]
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// Set at shutdown: a connection accepted just before the listener closed, but
        /// admitted after the others were told to quiesce, is turned away (it would keep the
        /// stop waiting until it left).
        var quiescing = false
        /// Set when the wait for the sessions to end was cancelled (shutdown time limit).
        var abandoned = false
    }

    enum Refusal: Equatable {
        case budget(ConnectionBudget.Refusal)
        case shuttingDown
    }
    private let state: Mutex<State>

    init(budget: ConnectionBudget) {
        state = Mutex(State(budget: budget))
    }

    /// Admits a connection, or says why it is refused.
    func admit(_ channel: any Channel, from address: String) -> Refusal? {
        state.withLock { state in
            if state.quiescing { return .shuttingDown }
            if let refusal = state.budget.admit(address) { return .budget(refusal) }
            state.channels[ObjectIdentifier(channel)] = channel
            return nil
        }
    }

    /// A connection's session has ended.
    func release(_ channel: any Channel, from address: String) {
        let done = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.budget.release(address)
            state.channels[ObjectIdentifier(channel)] = nil
            guard state.channels.isEmpty else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in done { waiter.resume() }
    }

    /// Tells every connection to stop reading and close after its replies, and waits until
    /// every session has ended. Cancelled, it closes the connections still open and returns.
    func quiesceAll() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let channels = state.withLock { state -> [any Channel]? in
                    state.quiescing = true
                    guard !state.channels.isEmpty, !state.abandoned else { return nil }
                    state.waiters.append(waiter)
                    return Array(state.channels.values)
                }
                guard let channels else { return waiter.resume() }
                for channel in channels {
                    channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
                }
            }
        } onCancel: {
            let (open, waiters) = state.withLock { state in
                state.abandoned = true
                defer { state.waiters = [] }
                return (Array(state.channels.values), state.waiters)
            }
            for channel in open { channel.close(promise: nil) }
            for waiter in waiters { waiter.resume() }
        }
    }
}

/// The end of each connection's pipeline: greets, feeds lines to the session, writes its
/// lines with one flush per event-loop turn, and holds reads while the session is behind.
/// The line port and WebSocket connections (behind `WebSocketLineCodec`) both end in it.
final class SessionHandler: ChannelDuplexHandler {
    typealias InboundIn = LineFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: LineServer
    /// Shut while the session is behind, so the framing splits off no more lines.
    private let gate: LineGate
    private var session: PlayerSession?
    private var context: ChannelHandlerContext?
    private var remote = "unknown"
    private var handshake: Scheduled<Void>?
    private var readingPaused = false
    private var readWanted = false
    private var flushScheduled = false
    /// The connection already has its place in the limits (the HTTP port's budget took it
    /// before the WebSocket upgrade) and is active when this handler is added.
    private let admitted: Bool

    init(server: LineServer, gate: LineGate = LineGate(), admitted: Bool = false) {
        self.server = server
        self.gate = gate
        self.admitted = admitted
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        guard admitted else { return }
        // Added after an upgrade: the session starts on the loop's next turn, once the
        // upgrade has finished, so the greeting is the first frame after its response.
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute { bound.value.start() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        start()
    }

    /// Takes the connection into the limits (unless it has its place) and starts its session.
    private func start() {
        guard session == nil, let context else { return }
        let channel = context.channel
        remote = ClientAddress.key(channel.remoteAddress)
        if server.phase == .standby {
            // The contract's exact line: clients try their next address.
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "ERR unavailable standby\n")), promise: nil)
            context.close(promise: nil)
            return
        }
        if !admitted, let refusal = server.connections.admit(channel, from: remote) {
            let (code, why) =
                switch refusal {
                case .budget(.serverFull): ("rate_limited", "the server is full")
                case .budget(.addressFull): ("rate_limited", "too many connections from your address")
                case .shuttingDown: ("unavailable", "the server is shutting down")
                }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "ERR \(code) \(why); retry later\n")), promise: nil)
            context.close(promise: nil)
            server.logger.info("connection refused", metadata: ["remote": "\(remote)", "why": "\(why)"])
            return
        }
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        @Sendable func onLoop(_ body: @escaping @Sendable () -> Void) {
            if loop.inEventLoop { body() } else { loop.execute(body) }
        }
        let outbound = Outbound(
            // Written in place when already on the loop (a reply, or an event from an actor on
            // it): no closure is made for a line that does not travel.
            send: { line in
                if loop.inEventLoop { bound.value.write(line) } else { loop.execute { bound.value.write(line) } }
            },
            close: { onLoop { bound.value.close() } })
        let flow = InboundFlow(
            maximumQueued: server.configuration.maximumPipelinedRequests,
            pause: { onLoop { bound.value.pauseReading() } },
            resume: { onLoop { bound.value.resumeReading() } })
        let session = PlayerSession(
            engine: server.engine, outbound: outbound, remoteAddress: remote, executor: loop.executor, flow: flow)
        self.session = session
        session.hello()
        let seconds = server.configuration.handshakeTimeout.components.seconds
        handshake = loop.scheduleTask(in: .seconds(seconds)) {
            session.assumeIsolated { $0.handshakeExpired(after: seconds) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        take(unwrapInboundIn(data))
    }

    private func take(_ frame: LineFrame) {
        guard let session else { return }
        switch frame {
        case .line(let buffer):
            session.assumeIsolated { $0.receive(line: buffer.readableBytesView) }
            if handshake != nil, session.assumeIsolated({ $0.isAuthenticated }) {
                handshake?.cancel()
                handshake = nil
            }
        case .tooLong:
            let limit = server.configuration.maximumLineBytes
            session.assumeIsolated { $0.receiveTooLong(limit: limit) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshake?.cancel()
        handshake = nil
        if let session {
            self.session = nil
            let server = self.server, channel = context.channel, remote = self.remote, admitted = self.admitted
            Task {
                await session.end()
                // A WebSocket's place is released by the HTTP port's budget.
                if !admitted { server.connections.release(channel, from: remote) }
            }
        }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            readingPaused = true
            if let session { session.assumeIsolated { $0.quiesce() } } else { context.close(promise: nil) }
        } else if let e = event as? ChannelEvent, e == .inputClosed {
            // The client sent its last request: answer every line it sent, then close. Lines
            // held back behind a shut gate are framed once the session catches up.
            if gate.heldAtEnd == nil { endOfInput() }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is LineFrameDecoder.UnterminatedLine {
            server.logger.info("connection closed: line without end", metadata: ["remote": "\(remote)"])
        } else {
            server.logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
        context.close(promise: nil)
    }

    // MARK: reading, held while the session is behind

    func read(context: ChannelHandlerContext) {
        if readingPaused {
            readWanted = true
        } else {
            context.read()
        }
    }

    private func pauseReading() {
        readingPaused = true
        gate.shut()
    }

    private func resumeReading() {
        readingPaused = false
        gate.open()
        // Lines held back in the framing's buffer go first: an empty read makes it decode.
        context?.pipeline.syncOperations.fireChannelRead(NIOAny(ByteBuffer()))
        frameHeldInput()
        // The lines handed on may have put the session behind again: then reading waits too.
        if readWanted, !readingPaused, let context {
            readWanted = false
            context.read()
        }
    }

    /// Frames the lines left when the client ended its input behind a shut gate, as far as
    /// the gate lets it; once they are all in, the input is over.
    private func frameHeldInput() {
        guard var held = gate.heldAtEnd else { return }
        gate.heldAtEnd = nil
        do {
            if try held.decoder.splitLast(&held.bytes, emit: { take($0) }) {
                endOfInput()
            } else {
                gate.heldAtEnd = held  // the session fell behind again: the rest waits
            }
        } catch {
            context.map { errorCaught(context: $0, error: error) }
        }
    }

    /// No more requests will come: answer the ones taken, then close.
    private func endOfInput() {
        if let session { session.assumeIsolated { $0.quiesce() } } else { context?.close(promise: nil) }
    }

    // MARK: writing, one flush per turn of the loop

    private func write(_ line: String) {
        guard let context else { return }
        context.write(wrapOutboundOut(context.channel.allocator.buffer(string: line)), promise: nil)
        if !flushScheduled {
            flushScheduled = true
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.execute { bound.value.flush() }
        }
    }

    private func flush() {
        flushScheduled = false
        context?.flush()
    }

    /// Closes once the lines already written have been handed to the socket.
    private func close() {
        guard let context else { return }
        flushScheduled = false
        context.flush()
        context.close(promise: nil)
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
