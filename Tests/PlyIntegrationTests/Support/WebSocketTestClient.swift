import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket
import PlyJSON
import Synchronization
import Testing

/// A WebSocket client for tests: upgrades `GET /ws`, sends one line per text frame, and
/// keeps the frames it receives as lines (events apart from replies, as `TestClient` does).
final class WebSocketTestClient: Sendable {
    let channel: any Channel
    let lines: LineQueue

    static func connect(port: Int, host: String = "127.0.0.1") async throws -> WebSocketTestClient {
        let lines = LineQueue()
        let box = CodeBox()
        let upgraded = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        UpgradeReader(collector: FrameCollector(lines: lines, closeCode: box), upgraded: upgraded))
                }
            }
            .connect(host: host, port: port).get()
        let request =
            "GET /ws HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        try await upgraded.futureResult.get()
        let c = WebSocketTestClient(channel: channel, lines: lines, box: box)
        let hello = try await c.lines.pop(timeout: .seconds(10), where: { _ in true })
        #expect(hello.hasPrefix("EVENT hello "), "first frame was \(hello)")
        return c
    }

    /// Reads the server's `101 Switching Protocols`, then puts the WebSocket framing in its
    /// place and hands it what came after the response.
    private final class UpgradeReader: ChannelInboundHandler, RemovableChannelHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let collector: FrameCollector
        let upgraded: EventLoopPromise<Void>
        // Touched only on the channel's event loop.
        nonisolated(unsafe) var received = ByteBuffer()

        init(collector: FrameCollector, upgraded: EventLoopPromise<Void>) {
            self.collector = collector
            self.upgraded = upgraded
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            received.writeBuffer(&incoming)
            let view = received.readableBytesView
            guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
            let head = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
            guard head.hasPrefix("HTTP/1.1 101") else {
                upgraded.fail(TestFailure("no upgrade: \(head.prefix(80))"))
                context.close(promise: nil)
                return
            }
            received.moveReaderIndex(to: end.upperBound)
            let rest = received
            do {
                let pipeline = context.pipeline.syncOperations
                try pipeline.addHandler(WebSocketFrameEncoder())
                try pipeline.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 22)))
                try pipeline.addHandler(collector)
                upgraded.succeed()
                // What came after the response goes on to the framing, before this leaves.
                if rest.readableBytes > 0 { context.fireChannelRead(NIOAny(rest)) }
                pipeline.removeHandler(self, promise: nil)
            } catch {
                upgraded.fail(error)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            upgraded.fail(TestFailure("closed before the upgrade"))
            context.fireChannelInactive()
        }
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

    func sendFrame(_ opcode: WebSocketOpcode, _ bytes: [UInt8]) async throws {
        let frame = WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: ByteBuffer(bytes: bytes))
        try await channel.writeAndFlush(frame)
    }

    func send(_ line: String) async throws { try await sendFrame(.text, Array(line.utf8)) }

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
