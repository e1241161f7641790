import NIOCore

/// Splits what the server sends into lines, on the channel's event loop, and hands each to
/// `onLine` as it completes. A server that sends more than `maximumLineBytes` without a
/// newline is not speaking the protocol, so the connection is closed rather than letting
/// the buffer grow.
final class LineChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let maximumLineBytes: Int
    private let onLine: @Sendable (Substring) -> Void
    private let onClose: @Sendable () -> Void
    private var cumulation: ByteBuffer?
    /// Bytes of `cumulation` already searched for a newline.
    private var scanned = 0

    init(maximumLineBytes: Int, onLine: @escaping @Sendable (Substring) -> Void, onClose: @escaping @Sendable () -> Void) {
        self.maximumLineBytes = maximumLineBytes
        self.onLine = onLine
        self.onClose = onClose
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if cumulation == nil {
            cumulation = incoming
        } else {
            cumulation!.writeBuffer(&incoming)
        }
        while let line = nextLine() { onLine(line[...]) }
        if let c = cumulation {
            if c.readableBytes == 0 {
                cumulation = nil
            } else if c.readableBytes > maximumLineBytes {
                context.close(promise: nil)
            }
        }
    }

    private func nextLine() -> String? {
        guard var buffer = cumulation else { return nil }
        let view = buffer.readableBytesView
        guard let nl = view[(view.startIndex + scanned)...].firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = view.count
            return nil
        }
        scanned = 0
        let line = buffer.readString(length: nl - view.startIndex) ?? ""
        buffer.moveReaderIndex(forwardBy: 1)
        cumulation = buffer
        return line
    }

    func channelInactive(context: ChannelHandlerContext) {
        onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
