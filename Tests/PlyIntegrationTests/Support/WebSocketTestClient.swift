import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket
import PlyBench
import PlyJSON
import Synchronization
import Testing

/// A WebSocket client for tests: upgrades `GET /ws`, sends one line per text frame, and
/// keeps the frames it receives as lines (events apart from replies, as `TestClient` does).
final class WebSocketTestClient: Sendable {
    let channel: any Channel
    let lines: LineQueue

    /// Upgrades a connection to `/ws` and (with `expectHello`) reads the greeting.
    static func connect(port: Int, host: String = "127.0.0.1", expectHello: Bool = true) async throws -> WebSocketTestClient {
        let lines = LineQueue()
        let box = CodeBox()
        let upgraded = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        WebSocketUpgrade(
                            host: "\(host):\(port)", upgraded: upgraded, then: [FrameCollector(lines: lines, closeCode: box)]))
                }
            }
            .connect(host: host, port: port).get()
        try await upgraded.futureResult.get()
        let c = WebSocketTestClient(channel: channel, lines: lines, box: box)
        guard expectHello else { return c }
        let hello = try await c.lines.pop(timeout: .seconds(10), where: { _ in true })
        #expect(hello.hasPrefix("EVENT hello "), "first frame was \(hello)")
        return c
    }

    /// The close code the server sent, once it did.
    private final class CodeBox: Sendable {
        let code = Mutex<WebSocketErrorCode?>(nil)
    }

    private let box: CodeBox
    private init(channel: any Channel, lines: LineQueue, box: CodeBox) {
        self.channel = channel
        self.lines = lines
        self.box = box
    }

    var receivedCloseCode: WebSocketErrorCode? { box.code.withLock { $0 } }

    func sendFrame(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true) async throws {
        let frame = WebSocketFrame(fin: fin, opcode: opcode, maskKey: .random(), data: ByteBuffer(bytes: bytes))
        try await channel.writeAndFlush(frame)
    }

    func send(_ line: String) async throws { try await sendFrame(.text, Array(line.utf8)) }

    /// Sends each line as a text frame, all in one write.
    func sendBurst(_ lines: [String]) {
        for line in lines {
            channel.write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: line)), promise: nil)
        }
        channel.flush()
    }

    func reply(timeout: Duration = .seconds(10)) async throws -> String {
        try await lines.pop(timeout: timeout, where: { !$0.hasPrefix("EVENT ") })
    }

    @discardableResult
    func ok(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        try await send(line)
        let r = try await reply()
        guard r == "OK" || r.hasPrefix("OK ") else {
            Issue.record("\(line.prefix(200)) -> \(r.prefix(200))", sourceLocation: sourceLocation)
            throw TestFailure("\(line.prefix(200)) -> \(r.prefix(200))")
        }
        return r == "OK" ? .null : try JSONValue(parsing: String(r.dropFirst(3)))
    }

    func event(_ type: String, timeout: Duration = .seconds(10)) async throws -> JSONObject {
        let line = try await lines.pop(timeout: timeout, where: { $0.hasPrefix("EVENT \(type) ") })
        return try JSONValue.parseObject(String(line.dropFirst("EVENT \(type) ".count)))
    }

    func isClosed(within: Duration = .seconds(5)) async -> Bool { await lines.waitClosed(timeout: within) }

    /// Collects text frames as lines and notes a close frame's code.
    private final class FrameCollector: ChannelInboundHandler, Sendable {
        typealias InboundIn = WebSocketFrame
        let lines: LineQueue
        let closeCode: CodeBox
        init(lines: LineQueue, closeCode: CodeBox) {
            self.lines = lines
            self.closeCode = closeCode
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text:
                lines.push(String(buffer: frame.unmaskedData))
            case .connectionClose:
                var data = frame.unmaskedData
                closeCode.code.withLock { $0 = data.readWebSocketErrorCode() }
                context.close(promise: nil)
            default:
                break
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            lines.close()
            context.fireChannelInactive()
        }
    }
}
