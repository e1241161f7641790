import NIOCore
import NIOWebSocket

/// A client connection to `GET /ws`: `WebSocketUpgrade` sends the upgrade request and, on
/// `101 Switching Protocols`, puts the frame codec and `then` in its place (by default
/// `WebSocketLines`, so the handlers after it read and write lines as on the line port: a
/// text frame in is a line with its `\n`, a line out is a masked text frame).
public final class WebSocketUpgrade: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer

    private let host: String
    private let upgraded: EventLoopPromise<Void>
    private let then: [any ChannelHandler]
    private var received = ByteBuffer()

    public init(host: String, upgraded: EventLoopPromise<Void>, then: [any ChannelHandler] = [WebSocketLines()]) {
        self.host = host
        self.upgraded = upgraded
        self.then = then
    }

    public func channelActive(context: ChannelHandlerContext) {
        let request =
            "GET /ws HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        received.writeBuffer(&incoming)
        let view = received.readableBytesView
        guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
        guard view.starts(with: Array("HTTP/1.1 101".utf8)) else {
            upgraded.fail(ChannelError.inappropriateOperationForState)
            context.close(promise: nil)
            return
        }
        received.moveReaderIndex(to: end.upperBound)
        let rest = received
        do {
            let pipeline = context.pipeline.syncOperations
            for handler in then.reversed() { try pipeline.addHandler(handler, position: .after(self)) }
            try pipeline.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 22)), position: .after(self))
            try pipeline.addHandler(WebSocketFrameEncoder(), position: .after(self))
            // Upgraded, even if what came after the response closes the connection at once
            // (a standby's `ERR` and close frame).
            upgraded.succeed()
            // What came after the response goes on to the framing, before this leaves.
            if rest.readableBytes > 0 { context.fireChannelRead(NIOAny(rest)) }
            pipeline.removeHandler(self, promise: nil)
        } catch {
            upgraded.fail(error)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        upgraded.fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }
}

/// Text frames in as lines (each with its `\n`), lines out as masked text frames.
public final class WebSocketLines: ChannelDuplexHandler {
    public typealias InboundIn = WebSocketFrame
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = WebSocketFrame

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var line = frame.unmaskedData
            line.writeInteger(UInt8(ascii: "\n"))
            context.fireChannelRead(wrapInboundOut(line))
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = unwrapOutboundIn(data)
        // One frame per line, without its newline.
        while let nl = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let line = buffer.readSlice(length: nl - buffer.readerIndex)!
            buffer.moveReaderIndex(forwardBy: 1)
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: line)), promise: nil)
        }
        promise?.succeed()
    }
}
