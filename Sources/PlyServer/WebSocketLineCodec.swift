import NIOCore
import NIOWebSocket
import PlyLines

/// Puts a WebSocket (`GET /ws`) in front of the same `SessionHandler` as the line port: a
/// text frame in is a line (`LineFrame`, `tooLong` past the line limit), a line out is a text
/// frame. So every limit and timeout of the line port holds. A binary frame closes the
/// connection with code 1003 (unacceptable data), a broken fragmented message (a new message
/// before the last one ended, too many or too small fragments) with 1002 (protocol error);
/// a close from the session sends a close frame (1000) first. Fragments arrive here joined
/// (`NIOWebSocketFrameAggregator` in front). While the session's `LineGate` is shut (it is
/// behind by the read-ahead limit) the lines of frames already decoded wait here, as a line
/// port's wait as bytes, and go on when it opens; reading stops meanwhile, so what waits is
/// at most one read's worth.
final class WebSocketLineCodec: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = LineFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private let maximumLineBytes: Int
    private var closeSent = false
    private let gate: LineGate
    /// Lines that came while the gate was shut.
    private var held = CircularBuffer<LineFrame>()
    private var context: ChannelHandlerContext?

    init(maximumLineBytes: Int, gate: LineGate) {
        self.maximumLineBytes = maximumLineBytes
        self.gate = gate
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        gate.onOpen = { [weak self] in self?.handOn() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        gate.onOpen = nil
        self.context = nil
    }

    /// Hands on the lines held, for as long as the gate stays open.
    private func handOn() {
        guard let context else { return }
        while gate.isOpen, let line = held.popFirst() { context.fireChannelRead(wrapInboundOut(line)) }
    }

    private func take(_ line: LineFrame, context: ChannelHandlerContext) {
        if gate.isOpen && held.isEmpty {
            context.fireChannelRead(wrapInboundOut(line))
        } else {
            held.append(line)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var line = frame.unmaskedData
            guard line.readableBytes <= maximumLineBytes else { return take(.tooLong, context: context) }
            // One frame is one line: a newline inside it would smuggle in a second request.
            if let nl = line.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) { line.moveWriterIndex(to: nl) }
            take(.line(line), context: context)
        case .binary:
            sendClose(context, .unacceptableData, promise: nil)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break  // pongs
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOWebSocketFrameAggregator.Error {
            sendClose(context, .protocolError, promise: nil)
        } else {
            context.fireErrorCaught(error)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = unwrapOutboundIn(data)
        if buffer.readableBytesView.last == UInt8(ascii: "\n") { buffer.moveWriterIndex(to: buffer.writerIndex - 1) }
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, !closeSent else { return context.close(mode: mode, promise: promise) }
        sendClose(context, .normalClosure, promise: promise)
    }

    /// A close frame after the frames already written, then the connection closes.
    private func sendClose(_ context: ChannelHandlerContext, _ code: WebSocketErrorCode, promise: EventLoopPromise<Void>?) {
        guard !closeSent else { return }
        closeSent = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
            .whenComplete { _ in channel.close(promise: promise) }
    }
}
