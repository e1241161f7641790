import NIOCore

/// What the framing hands to a connection: a line, or word that one was too long.
public enum LineFrame: Sendable {
    /// A line without its `\n` (a `\r` before it is left for the session to drop).
    case line(ByteBuffer)
    /// A line went over the limit; its bytes up to the next newline are discarded.
    case tooLong
}

/// Whether the connection takes more lines now; confined to the connection's event loop.
/// While it is shut, the framing splits off no more lines and leaves the bytes in its
/// buffer: a client that sends more than the read-ahead limit in one burst has the rest
/// wait as bytes (at most one read's worth) instead of as queued requests.
public final class LineGate {
    public private(set) var isOpen = true
    /// Set when the input ended while the gate was shut: what is left to frame.
    public var heldAtEnd: HeldInput?
    /// Called when the gate opens, for framing that holds whole lines itself (a WebSocket's
    /// frames, decoded a read at a time) to hand them on.
    public var onOpen: (() -> Void)?
    public init() {}

    public func shut() { isOpen = false }

    public func open() {
        isOpen = true
        onOpen?()
    }
}

/// Splits bytes into lines with a bound on length, before any Swift string is built. A line
/// over `maximumLineBytes` is reported once and skipped up to its newline, keeping the
/// connection; `maximumUnterminatedBytes` without a newline at all is an error that closes it.
/// With a `gate`, no line is split off while the gate is shut.
public struct LineFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = LineFrame

    public let maximumLineBytes: Int
    public let maximumUnterminatedBytes: Int
    /// Bytes of the current over-long line thrown away so far; nil when not discarding.
    private var discarded: Int?
    /// Bytes of the buffer already searched for a newline.
    private var scanned = 0

    public struct UnterminatedLine: Error {}

    let gate: LineGate?

    public init(maximumLineBytes: Int = 8192, maximumUnterminatedBytes: Int = 1 << 20, gate: LineGate? = nil) {
        self.maximumLineBytes = maximumLineBytes
        self.maximumUnterminatedBytes = maximumUnterminatedBytes
        self.gate = gate
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        try split(&buffer) { context.fireChannelRead(NIOAny($0)) }
    }

    /// Splits off at most one frame and hands it to `emit`: `.continue` when there may be
    /// another, `.needMoreData` when the buffer holds no whole line (or the gate is shut).
    public mutating func split(_ buffer: inout ByteBuffer, emit: (LineFrame) -> Void) throws -> DecodingState {
        if let gate, !gate.isOpen { return .needMoreData }
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
                emit(.tooLong)
                return .continue
            }
            let line = buffer.readSlice(length: lineWithCR)!
            buffer.moveReaderIndex(forwardBy: 1)
            emit(.line(line))
            return .continue
        }
        if buffer.readableBytes > maximumLineBytes + 1 {
            // Report once, then skip up to the newline.
            discarded = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            scanned = 0
            emit(.tooLong)
            guard discarded! < maximumUnterminatedBytes else { throw UnterminatedLine() }
            return .needMoreData
        }
        scanned = buffer.readableBytes
        return .needMoreData
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        let done = try splitLast(&buffer) { context.fireChannelRead(NIOAny($0)) }
        // The gate is shut (now or since before): the bytes held back go to the gate, with
        // this decoder's state, for the connection to frame once its session catches up.
        if !done, let gate, buffer.readableBytes > 0 {
            gate.heldAtEnd = HeldInput(decoder: self, bytes: buffer.readSlice(length: buffer.readableBytes)!)
        }
        return .needMoreData
    }

    /// Splits every line left at the end of input, while the gate stays open; a last line
    /// without a newline still counts as a line. Returns whether all of `buffer` was framed.
    @discardableResult
    public mutating func splitLast(_ buffer: inout ByteBuffer, emit: (LineFrame) -> Void) throws -> Bool {
        while try split(&buffer, emit: emit) == .continue {}
        if let gate, !gate.isOpen { return false }
        if discarded == nil, buffer.readableBytes > 0 {
            emit(.line(buffer.readSlice(length: buffer.readableBytes)!))
        }
        return true
    }
}

/// Input that arrived before the client closed its sending side but had not been framed yet
/// (the gate was shut), with the framing's state at that point.
public struct HeldInput {
    public var decoder: LineFrameDecoder
    public var bytes: ByteBuffer
}
