import Foundation
import Logging
import NIOCore
import NIOPosix
import PlyJSON
import PlyProtocol
import Synchronization
import Testing

@testable import PlyEngine
@testable import PlyStore

/// A clock the tests move by hand: the matches' `now` (deadlines, stamps) and the memory
/// storage's.
final class TestClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))

    var now: Date { time.withLock { $0 } }

    func advance(by seconds: TimeInterval) { time.withLock { $0 += seconds } }
}

/// An engine on `MemoryStorage`, driven in-process through `PlayerSession`s: real protocol
/// lines in and out, no socket and no database.
struct InProcessEngine {
    let engine: Engine
    let store: MemoryStorage
    let clock: TestClock

    static func start(_ configure: (inout EngineConfiguration) -> Void = { _ in }) async throws -> InProcessEngine {
        let clock = TestClock()
        let store = MemoryStorage(now: { clock.now })
        var configuration = EngineConfiguration()
        configure(&configuration)
        let engine = try await Engine(
            storage: store.storage, configuration: configuration, logger: Logger(label: "ply.test.engine"),
            now: { clock.now })
        return InProcessEngine(engine: engine, store: store, clock: clock)
    }

    /// Runs `body` on a fresh engine and shuts the engine down after it.
    static func with<T>(
        _ configure: (inout EngineConfiguration) -> Void = { _ in }, _ body: (InProcessEngine) async throws -> T
    ) async throws -> T {
        let e = try await start(configure)
        do {
            let result = try await body(e)
            await e.engine.shutdown()
            return result
        } catch {
            await e.engine.shutdown()
            throw error
        }
    }

    /// A new connection, greeted as the server greets one.
    func connect() async -> TestConnection {
        await TestConnection(engine: engine)
    }

    /// A connection logged in with a device id; returns it with its player id and session
    /// token.
    func login(_ device: String) async throws -> (TestConnection, player: String, session: String) {
        let c = await connect()
        let reply = try await c.ok("AUTH DEVICE \(device)")
        return (c, try #require(reply?["player"]?.stringValue), try #require(reply?["session"]?.stringValue))
    }
}

/// One connection's session with the lines it was sent, read in order: each request awaits
/// its reply; the events that arrive meanwhile are kept for `event(_:)`.
actor TestConnection {
    let session: PlayerSession
    private var incoming: AsyncStream<String>.Iterator
    private var events: [PlyEvent] = []
    /// The highest event number this connection was sent.
    private(set) var lastSeq = 0
    private(set) var closed = false

    init(engine: Engine) async {
        let (stream, lines) = AsyncStream<String>.makeStream()
        let outbound = Outbound(send: { lines.yield($0) }, close: { lines.finish() })
        session = PlayerSession(
            engine: engine, outbound: outbound, remoteAddress: "192.0.2.1",
            executor: MultiThreadedEventLoopGroup.singleton.next().executor,
            flow: InboundFlow(maximumQueued: 64, pause: {}, resume: {}))
        incoming = stream.makeAsyncIterator()
        session.hello()
        _ = try? await event("hello")
    }

    /// The next line from the server, parsed; nil once the connection closed.
    private func nextLine() async throws -> ServerLine? {
        var it = incoming
        let line = await it.next(isolation: self)
        incoming = it
        guard let line else {
            closed = true
            return nil
        }
        let parsed = try ServerLine(parsing: line.dropLast())
        if case .event(let e) = parsed, let seq = e.seq { lastSeq = max(lastSeq, seq) }
        return parsed
    }

    /// Sends one request line and returns its reply.
    func send(_ line: String) async throws -> PlyReply {
        await session.receive(line: Array(line.utf8))
        while let next = try await nextLine() {
            switch next {
            case .reply(_, let reply): return reply
            case .event(let e): events.append(e)
            }
        }
        throw ConnectionClosed(request: line)
    }

    /// Sends a request that must succeed; returns its reply's body.
    @discardableResult
    func ok(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue? {
        let reply = try await send(line)
        guard case .ok(let body) = reply else {
            Issue.record("\(line) -> \(reply)", sourceLocation: sourceLocation)
            throw UnexpectedReply(request: line, reply: reply)
        }
        return body
    }

    /// Sends a request that must fail; returns its error code.
    func error(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let reply = try await send(line)
        guard case .error(let code, _) = reply else {
            Issue.record("\(line) -> \(reply), expected an error", sourceLocation: sourceLocation)
            throw UnexpectedReply(request: line, reply: reply)
        }
        return code
    }

    /// The first event of `type` not yet taken, waiting for it if none came yet.
    func event(_ type: String, match: String? = nil) async throws -> PlyEvent {
        func fits(_ e: PlyEvent) -> Bool { e.type == type && (match == nil || e.body["match"]?.stringValue == match) }
        if let i = events.firstIndex(where: fits) { return events.remove(at: i) }
        while let next = try await nextLine() {
            switch next {
            case .event(let e) where fits(e): return e
            case .event(let e): events.append(e)
            case .reply(_, let r): throw UnexpectedReply(request: "(waiting for EVENT \(type))", reply: r)
            }
        }
        throw ConnectionClosed(request: "(waiting for EVENT \(type))")
    }

    /// Events of `type` received so far and not taken.
    func received(_ type: String) -> [PlyEvent] { events.filter { $0.type == type } }

    /// The connection closes, as when its socket does.
    func close() async { await session.end() }

    struct ConnectionClosed: Error { var request: String }
    struct UnexpectedReply: Error { var request: String; var reply: PlyReply }
}
