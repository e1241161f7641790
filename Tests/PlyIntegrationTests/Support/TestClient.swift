import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import PlyJSON
import PlyLines
import Synchronization
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
    let channel: any Channel
    fileprivate let lines: LineQueue

    /// `source`: the local address to connect from (another loopback address looks like
    /// another client to the server's per-address limits); `tls`: speak TLS, checking the
    /// server's certificate against the address.
    static func connect(
        port: Int, host: String = "127.0.0.1", source: String? = nil, tls: NIOSSLContext? = nil, expectHello: Bool = true
    ) async throws -> TestClient {
        let lines = LineQueue()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let channel = try await bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                    try channel.pipeline.syncOperations.addHandlers(
                        LineReader.handlers(
                            maximumLineBytes: 1 << 22, onLine: { lines.push($0) }, onClose: { lines.close() }))
                }
            }
            .connect(host: host, port: port).get()
        let c = TestClient(channel: channel, lines: lines)
        if expectHello {
            let hello = try await c.nextLine()
            #expect(hello.hasPrefix("EVENT hello "), "first line was \(hello)")
        }
        return c
    }

    private init(channel: any Channel, lines: LineQueue) {
        self.channel = channel
        self.lines = lines
    }

    func sendRaw(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
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
            throw TestFailure("\(line.prefix(200)) -> \(r.prefix(200))")
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

    /// Whether the server closed the connection (within the time).
    func isClosed(within: Duration = .seconds(5)) async -> Bool {
        await lines.waitClosed(timeout: within)
    }

    func close() async {
        try? await channel.close()
    }

    deinit { channel.close(promise: nil) }
}

/// Lines received, waiting for a test to take them.
final class LineQueue: Sendable {
    private struct State {
        var lines: [String] = []
        var closed = false
    }
    private let state = Mutex(State())

    func push(_ line: String) { state.withLock { $0.lines.append(line) } }
    func close() { state.withLock { $0.closed = true } }

    func pop(timeout: Duration, where match: @Sendable (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (found, closed, unread): (String?, Bool, [String]) = state.withLock { s in
                if let i = s.lines.firstIndex(where: match) { return (s.lines.remove(at: i), s.closed, []) }
                return (nil, s.closed, s.lines)
            }
            if let found { return found }
            if closed { throw TestFailure("connection closed; unread lines: \(unread.map { $0.prefix(200) })") }
            if ContinuousClock.now >= deadline { throw TestFailure("timed out; unread lines: \(unread.map { $0.prefix(200) })") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    func waitClosed(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.closed }) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return state.withLock { $0.closed }
    }
}

extension TestClient {
    /// Waits until the server shows `player` offline (its last connection's close has been
    /// handled), as seen by this client's `PROFILE <player>`.
    func waitOffline(_ player: String, within: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            if try await ok("PROFILE \(player)")["online"]?.boolValue == false { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("\(player) still online")
    }

    /// Waits until every lazy write the server has taken is in the database (`STATS`
    /// `pending_lazy_writes`, which counts a flush in flight, is 0): before a check that
    /// something was not written.
    func waitLazyWritesFlushed(within: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            if try await ok("STATS")["pending_lazy_writes"]?.intValue == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("lazy writes still pending")
    }
}

extension TestClient {
    /// The next event of a type about one match, skipping that type's events of others.
    func event(_ type: String, of match: String, timeout: Duration = .seconds(10)) async throws -> JSONObject {
        let line = try await lines.pop(timeout: timeout) { $0.hasPrefix("EVENT \(type) {\"match\":\"\(match)\"") }
        return try JSONValue.parseObject(String(line.dropFirst("EVENT \(type) ".count)))
    }
}
