import NIOCore

/// What the framing hands to a connection: a line, or word that one was too long.
public enum LineFrame: Sendable {
    /// A line without its `\n` (a `\r` before it is left for the session to drop).
    case line(ByteBuffer)
    /// A line went over the limit; its bytes up to the next newline are discarded.
    case tooLong
}

/// Splits bytes into lines with a bound on length, before any Swift string is built. A line
/// over `maximumLineBytes` is reported once and skipped up to its newline, keeping the
/// connection; `maximumUnterminatedBytes` without a newline at all is an error that closes it.
public struct LineFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = LineFrame

    public let maximumLineBytes: Int
    public let maximumUnterminatedBytes: Int
    /// Bytes of the current over-long line thrown away so far; nil when not discarding.
    private var discarded: Int?
    /// Bytes of the buffer already searched for a newline.
    private var scanned = 0

    public struct UnterminatedLine: Error {}

    public init(maximumLineBytes: Int = 8192, maximumUnterminatedBytes: Int = 1 << 20) {
        self.maximumLineBytes = maximumLineBytes
        self.maximumUnterminatedBytes = maximumUnterminatedBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if let d = discarded {
            if let nl = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                buffer.moveReaderIndex(to: nl + 1)
                discarded = nil
                return .continue
            }
            let total = d + buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            guard total < maximumUnterminatedBytes else { throw UnterminatedLine() }
            discarded = total
            return .needMoreData
        }
        let view = buffer.readableBytesView
        let searchFrom = view.startIndex + scanned
        if let nl = view[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) {
            scanned = 0
            var length = nl - view.startIndex
            let lineWithCR = length
            if length > 0 && view[nl - 1] == UInt8(ascii: "\r") { length -= 1 }
            if length > maximumLineBytes {
                buffer.moveReaderIndex(forwardBy: lineWithCR + 1)
                context.fireChannelRead(wrapInboundOut(.tooLong))
                return .continue
            }
            let line = buffer.readSlice(length: lineWithCR)!
            buffer.moveReaderIndex(forwardBy: 1)
            context.fireChannelRead(wrapInboundOut(.line(line)))
            return .continue
        }
        if buffer.readableBytes > maximumLineBytes + 1 {
            // Report once, then skip up to the newline.
            discarded = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            scanned = 0
            context.fireChannelRead(wrapInboundOut(.tooLong))
            guard discarded! < maximumUnterminatedBytes else { throw UnterminatedLine() }
            return .needMoreData
        }
        scanned = buffer.readableBytes
        return .needMoreData
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seeEOF: Bool) throws -> DecodingState {
        // A last line without a newline still counts as a line.
        while try decode(context: context, buffer: &buffer) == .continue {}
        if discarded == nil, buffer.readableBytes > 0 {
            let line = buffer.readSlice(length: buffer.readableBytes)!
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        return .needMoreData
    }
}
