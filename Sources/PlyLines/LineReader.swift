import NIOCore

/// The far end of `LineFrameDecoder` for a peer that only reads: every whole line as a
/// `String` (a `\r` before the newline dropped) to `onLine`, on the channel's event loop and
/// in order; a line over the limit, or bytes that never end a line, close the connection,
/// since a peer that sends them is not speaking the protocol. Clients, the load generator
/// and the tests frame what the server sends with it, as the server frames what they send.
public final class LineReader: ChannelInboundHandler {
    public typealias InboundIn = LineFrame

    private let onLine: @Sendable (String) -> Void
    private let onClose: @Sendable () -> Void

    public init(onLine: @escaping @Sendable (String) -> Void, onClose: @escaping @Sendable () -> Void = {}) {
        self.onLine = onLine
        self.onClose = onClose
    }

    /// The handlers to add to a pipeline: the framing with its limit, then this reader.
    public static func handlers(
        maximumLineBytes: Int, onLine: @escaping @Sendable (String) -> Void, onClose: @escaping @Sendable () -> Void = {}
    ) -> [any ChannelHandler] {
        [
            ByteToMessageHandler(LineFrameDecoder(maximumLineBytes: maximumLineBytes, maximumUnterminatedBytes: maximumLineBytes + 2)),
            LineReader(onLine: onLine, onClose: onClose),
        ]
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .line(var buffer):
            if buffer.readableBytesView.last == UInt8(ascii: "\r") { buffer.moveWriterIndex(to: buffer.writerIndex - 1) }
            onLine(buffer.readString(length: buffer.readableBytes) ?? "")
        case .tooLong:
            context.close(promise: nil)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        onClose()
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
