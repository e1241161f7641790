import Logging
import NIOCore
import NIOWebSocket
import PlyEngine

/// A WebSocket connection (`GET /ws`) as a session of the same protocol: each text frame is
/// one request line, each reply and event leaves as one text frame. Every limit of the line
/// port applies: a frame over the line limit answers `ERR too_long`, requests read ahead
/// beyond `maximumPipelinedRequests` stop the reading, the idle and login time limits close
/// the connection. A binary frame closes it with code 1003 (unacceptable data).
final class WebSocketSessionHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let server: LineServer
    private let remote: String
    private var session: PlayerSession?
    private var context: ChannelHandlerContext?
    private var handshake: Scheduled<Void>?
    private var readingPaused = false
    private var readWanted = false
    private var flushScheduled = false
    private var closing = false

    init(server: LineServer, remote: String) {
        self.server = server
        self.remote = remote
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // The session starts on the loop's next turn, once the upgrade has finished (NIO adds
        // this handler before it removes its own upgrade handler), so the greeting is the
        // first frame after the upgrade response.
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute { bound.value.start() }
    }

    private func start() {
        guard session == nil, let context, !closing else { return }
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        @Sendable func onLoop(_ body: @escaping @Sendable () -> Void) {
            if loop.inEventLoop { body() } else { loop.execute(body) }
        }
        let outbound = Outbound(
            send: { line in onLoop { bound.value.write(line) } },
            close: { onLoop { bound.value.close(code: .normalClosure) } })
        let flow = InboundFlow(
            maximumQueued: server.configuration.maximumPipelinedRequests,
            pause: { onLoop { bound.value.readingPaused = true } },
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

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            guard let session else { return }
            var data = frame.unmaskedData
            if data.readableBytes > server.configuration.maximumLineBytes {
                let limit = server.configuration.maximumLineBytes
                session.assumeIsolated { $0.receiveTooLong(limit: limit) }
                return
            }
            // One frame is one line: a newline inside it would smuggle in a second request.
            if let nl = data.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                data.moveWriterIndex(to: nl)
            }
            session.assumeIsolated { $0.receive(line: data.readableBytesView) }
            if handshake != nil, session.assumeIsolated({ $0.isAuthenticated }) {
                handshake?.cancel()
                handshake = nil
            }
        case .binary:
            close(code: .unacceptableData)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            close(code: .normalClosure)
        default:
            break  // pongs, continuations of frames the client split (not used by Ply's clients)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshake?.cancel()
        handshake = nil
        if let session {
            self.session = nil
            // The connection's place in the limits is released by `HTTPConnectionBudget`.
            Task { await session.end() }
        }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            readingPaused = true
            if let session { session.assumeIsolated { $0.quiesce() } } else { close(code: .goingAway) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        server.logger.debug("websocket connection ended", metadata: ["error": "\(error)"])
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

    private func resumeReading() {
        readingPaused = false
        if readWanted, let context {
            readWanted = false
            context.read()
        }
    }

    // MARK: writing, one flush per turn of the loop

    private func write(_ line: String) {
        guard let context, !closing else { return }
        var text = line
        if text.last == "\n" { text.removeLast() }
        let frame = WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: text))
        context.write(wrapOutboundOut(frame), promise: nil)
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

    /// Sends a close frame after the frames already written, then closes.
    private func close(code: WebSocketErrorCode) {
        guard let context, !closing else { return }
        closing = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in channel.close(promise: nil) }
    }
}
