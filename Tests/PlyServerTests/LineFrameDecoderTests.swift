import NIOCore
import NIOEmbedded
import PlyLines
import PlyServer
import Testing

@Suite struct LineFrameDecoderTests {
    func channel(limit: Int = 16, unterminated: Int = 64) throws -> EmbeddedChannel {
        let c = EmbeddedChannel()
        try c.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(LineFrameDecoder(maximumLineBytes: limit, maximumUnterminatedBytes: unterminated)))
        return c
    }

    func frames(_ c: EmbeddedChannel) throws -> [String] {
        var out: [String] = []
        while let f = try c.readInbound(as: LineFrame.self) {
            switch f {
            case .line(let b): out.append(String(buffer: b))
            case .tooLong: out.append("<too long>")
            }
        }
        return out
    }

    @Test func splitsLinesAcrossReads() throws {
        let c = try channel()
        try c.writeInbound(ByteBuffer(string: "PING\nHE"))
        try c.writeInbound(ByteBuffer(string: "LP\r\n\nX"))
        #expect(try frames(c) == ["PING", "HELP\r", ""], "the session drops \\r; empty lines pass through")
        try c.writeInbound(ByteBuffer(string: "Y\n"))
        #expect(try frames(c) == ["XY"])
    }

    @Test func aLongLineIsReportedOnceAndTheRestSkipped() throws {
        let c = try channel()
        try c.writeInbound(ByteBuffer(string: String(repeating: "a", count: 20)))
        try c.writeInbound(ByteBuffer(string: String(repeating: "b", count: 20) + "\nOK\n"))
        #expect(try frames(c) == ["<too long>", "OK"])
        // Exactly the limit is fine, with or without \r.
        try c.writeInbound(ByteBuffer(string: String(repeating: "c", count: 16) + "\r\n"))
        #expect(try frames(c) == [String(repeating: "c", count: 16) + "\r"])
        try c.writeInbound(ByteBuffer(string: String(repeating: "d", count: 17) + "\n"))
        #expect(try frames(c) == ["<too long>"])
    }

    @Test func tooMuchWithoutANewlineIsAnError() throws {
        let c = try channel()
        try c.writeInbound(ByteBuffer(string: String(repeating: "z", count: 40)))
        #expect(throws: LineFrameDecoder.UnterminatedLine.self) {
            try c.writeInbound(ByteBuffer(string: String(repeating: "z", count: 40)))
        }
    }

    /// At the end of input a last line without a newline still counts (the decoder's
    /// `decodeLast` is the one NIO calls: its `seenEOF` label once did not match, and NIO's
    /// default dropped the line).
    @Test func theLastLineNeedsNoNewline() throws {
        let c = try channel()
        try c.writeInbound(ByteBuffer(string: "PING\nQUIT"))
        #expect(try frames(c) == ["PING"])
        c.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try frames(c) == ["QUIT"])
    }

    /// Input that ends while the gate is shut is handed to the gate whole, with the framing's
    /// state, and framed from there once the gate opens.
    @Test func inputEndingBehindAShutGateIsHeldForLater() throws {
        let gate = LineGate()
        let c = EmbeddedChannel()
        try c.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(LineFrameDecoder(maximumLineBytes: 16, maximumUnterminatedBytes: 64, gate: gate)))
        gate.shut()
        try c.writeInbound(ByteBuffer(string: "ONE\nTWO\n" + String(repeating: "x", count: 20) + "\nLAST"))
        #expect(try frames(c) == [])
        c.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try frames(c) == [])
        var held = try #require(gate.heldAtEnd)
        var out: [String] = []
        let emit = { (f: LineFrame) in
            switch f {
            case .line(let b): out.append(String(buffer: b))
            case .tooLong: out.append("<too long>")
            }
        }
        // Still shut: nothing is framed.
        #expect(try held.decoder.splitLast(&held.bytes, emit: emit) == false)
        gate.open()
        #expect(try held.decoder.splitLast(&held.bytes, emit: emit) == true)
        #expect(out == ["ONE", "TWO", "<too long>", "LAST"])
        #expect(held.bytes.readableBytes == 0)
    }
}
