import Foundation
import NIOCore
import NIOPosix
import PlyJSON
import Testing

struct LoggedIn: Sendable {
    var player: String
    var session: String
    var deviceID: String
    var new: Bool
}

/// A line client over a real TCP connection, for tests: send lines, read lines, with
/// events kept apart from replies.
final class TestClient: Sendable {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private let lines: LineQueue

    static func connect(port: Int, host: String = "127.0.0.1") async throws -> TestClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let c = TestClient(channel: channel)
        let hello = try await c.nextLine()
        #expect(hello.hasPrefix("EVENT hello "), "first line was \(hello)")
        return c
    }

    private init(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        self.channel = channel
        lines = LineQueue()
        let lines = self.lines
        Task {
            var pending: [UInt8] = []
            do {
                for try await buffer in channel.inbound {
                    pending.append(contentsOf: buffer.readableBytesView)
                    while let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        await lines.push(String(decoding: pending[..<nl], as: UTF8.self))
                        pending.removeSubrange(...nl)
                    }
                }
            } catch {}
            await lines.close()
        }
    }

    func sendRaw(_ bytes: [UInt8]) async throws {
        try await channel.channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    func send(_ line: String) async throws {
        try await sendRaw(Array((line + "\n").utf8))
    }

    /// The next line of any kind.
    func nextLine(timeout: Duration = .seconds(10)) async throws -> String {
        try await lines.pop(timeout: timeout, where: { _ in true })
    }

    /// The next reply (`OK`/`ERR`, with or without a tag), leaving events queued.
    func reply(timeout: Duration = .seconds(10)) async throws -> String {
        try await lines.pop(timeout: timeout, where: { !$0.hasPrefix("EVENT ") })
    }

    /// The next event of a type, as JSON.
    func event(_ type: String, timeout: Duration = .seconds(10)) async throws -> JSONObject {
        let line = try await lines.pop(timeout: timeout, where: { $0.hasPrefix("EVENT \(type) ") })
        return try JSONValue.parseObject(String(line.dropFirst("EVENT \(type) ".count)))
    }

    /// Whether an event of that type arrives within the time.
    func hasEvent(_ type: String, within: Duration) async -> Bool {
        (try? await lines.pop(timeout: within, where: { $0.hasPrefix("EVENT \(type) ") })) != nil
    }

    /// Sends a request and returns its reply line.
    @discardableResult
    func call(_ line: String) async throws -> String {
        try await send(line)
        return try await reply()
    }

    /// Sends a request that must succeed and returns its JSON (or null for bare `OK`).
    @discardableResult
    func ok(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let r = try await call(line)
        guard r == "OK" || r.hasPrefix("OK ") else {
            Issue.record("\(line.prefix(200)) -> \(r.prefix(200))", sourceLocation: sourceLocation)
            throw TestFailure("\(line) -> \(r)")
        }
        return r == "OK" ? .null : try JSONValue(parsing: String(r.dropFirst(3)))
    }

    /// Sends a request that must fail with `code`; returns the message.
    @discardableResult
    func err(_ line: String, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let r = try await call(line)
        #expect(r.hasPrefix("ERR \(code) "), "\(line.prefix(200)) -> \(r.prefix(200)), expected ERR \(code)", sourceLocation: sourceLocation)
        return String(r.dropFirst("ERR \(code) ".count))
    }

    func authDevice(_ id: String) async throws -> LoggedIn {
        let o = try await ok("AUTH DEVICE \(id)")
        return LoggedIn(
            player: try #require(o["player"]?.stringValue), session: try #require(o["session"]?.stringValue),
            deviceID: id, new: o["new"]?.boolValue ?? false)
    }

    /// Whether the server closed the connection (reads until end, within the time).
    func isClosed(within: Duration = .seconds(5)) async -> Bool {
        await lines.waitClosed(timeout: within)
    }

    func close() async {
        try? await channel.channel.close()
    }
}

/// Lines received, waiting for a test to take them.
actor LineQueue {
    private var lines: [String] = []
    private var closed = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func push(_ line: String) {
        lines.append(line)
        wake()
    }

    func close() {
        closed = true
        wake()
    }

    private func wake() {
        let w = waiters
        waiters = []
        for c in w { c.resume() }
    }

    private func waitForChange() async {
        await withCheckedContinuation { waiters.append($0) }
    }

    func pop(timeout: Duration, where match: @Sendable (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        let ticker = Task { [weak self] in
            while !Task.isCancelled && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(50))
                await self?.tick()
            }
        }
        defer { ticker.cancel() }
        while true {
            if let i = lines.firstIndex(where: match) { return lines.remove(at: i) }
            if closed { throw TestFailure("connection closed; unread lines: \(lines)") }
            if ContinuousClock.now >= deadline { throw TestFailure("timed out; unread lines: \(lines)") }
            await waitForChange()
        }
    }

    func waitClosed(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        let ticker = Task { [weak self] in
            while !Task.isCancelled && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(50))
                await self?.tick()
            }
        }
        defer { ticker.cancel() }
        while !closed && ContinuousClock.now < deadline { await waitForChange() }
        return closed
    }

    private func tick() { wake() }
}
