import NIOCore
import NIOEmbedded
import NIOWebSocket
import PlyLines
@testable import PlyServer
import Testing

/// The WebSocket framing holds the session's read-ahead gate as the line framing does:
/// text frames decoded while the gate is shut wait, in order, until it opens.
@Suite struct WebSocketLineCodecTests {
    func lines(_ c: EmbeddedChannel) throws -> [String] { try LineFrameDecoderTests().frames(c) }

    func text(_ s: String) -> WebSocketFrame { WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: s)) }

    @Test func framesWaitBehindAShutGate() throws {
        let gate = LineGate()
        let c = EmbeddedChannel()
        try c.pipeline.syncOperations.addHandler(WebSocketLineCodec(maximumLineBytes: 16, gate: gate))
        try c.writeInbound(text("ONE"))
        #expect(try lines(c) == ["ONE"])
        gate.shut()
        for s in ["TWO", String(repeating: "x", count: 17), "THREE\nSMUGGLED"] { try c.writeInbound(text(s)) }
        #expect(try lines(c) == [], "nothing passes a shut gate")
        gate.open()
        #expect(try lines(c) == ["TWO", "<too long>", "THREE"], "in order, once it opens")
        try c.writeInbound(text("FOUR"))
        #expect(try lines(c) == ["FOUR"])
        _ = try c.finish()
    }

    /// A session that falls behind again while the held lines go on stops them there.
    @Test func handingOnStopsWhenTheGateShutsAgain() throws {
        let gate = LineGate()
        let c = EmbeddedChannel()
        try c.pipeline.syncOperations.addHandler(WebSocketLineCodec(maximumLineBytes: 8, gate: gate))
        final class ShutAfterTwo: ChannelInboundHandler {
            typealias InboundIn = LineFrame
            let gate: LineGate
            var seen = 0
            init(_ gate: LineGate) { self.gate = gate }
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                seen += 1
                if seen == 2 { gate.shut() }
                context.fireChannelRead(data)
            }
        }
        try c.pipeline.syncOperations.addHandler(ShutAfterTwo(gate))
        gate.shut()
        for s in ["A", "B", "C", "D"] { try c.writeInbound(text(s)) }
        gate.open()
        #expect(try lines(c) == ["A", "B"])
        gate.open()
        #expect(try lines(c) == ["C", "D"])
        _ = try c.finish()
    }
}
