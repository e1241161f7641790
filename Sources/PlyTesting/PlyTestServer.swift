import Foundation
import Logging
import NIOCore
import PlyClient
import PlyEngine
import PlyJSON
import PlyServer
import PlyStore
import ServiceLifecycle
import Synchronization

/// A real Ply server inside a test process: the listener on a free port, PostgreSQL at the
/// given URL, all of its tables in a fresh schema of its own, so test runs that share a
/// database never see each other's players or matches. The schema is dropped on `stop()`
/// unless `Options.keepSchema` asks to keep it (to look at the rows after a failure).
///
/// ```swift
/// let server = try await PlyTestServer.start(databaseURL: "postgres://ply@127.0.0.1/ply")
/// let table = try await server.match()   // two logged-in clients, the first to move
/// try await table.first.move(match: table.id, ply: 1, move: "f5")
/// try await server.stop()
/// ```
///
/// With `Options.clock` the server's matches read a clock the test moves:
/// `advanceClock(by:)` passes a turn deadline without sleeping, and the deadline poll runs
/// at once.
public final class PlyTestServer: Sendable {
    /// The server settings a test tends to change; the rest are `ply serve`'s defaults.
    public struct Options: Sendable {
        /// The schema to use (created if missing); nil: `ply_test_` and a random suffix.
        public var schema: String?
        /// Keeps the schema after `stop()`.
        public var keepSchema = false
        /// Seconds after which unused matches and players leave memory (`--idle-seconds`).
        public var idleSeconds: Double?
        /// Connections silent this long are closed (`--idle-timeout-seconds`).
        public var idleTimeout: Duration?
        /// Connections not logged in this long are closed (`--handshake-timeout-seconds`).
        public var handshakeTimeout: Duration?
        /// How often overdue turns are looked for (seconds).
        public var deadlinePollSeconds: Double?
        /// The operators' token (`--admin-token`); nil: no `AUTH ADMIN`.
        public var adminToken: String?
        /// Open challenges one player may have at once (`--max-open-challenges`).
        public var maximumOpenChallenges: Int?
        /// Accounts one address may create per hour; 0 (the default here) turns the limit off.
        public var newAccountsPerAddress = 0
        /// Where the server logs; by default nowhere.
        public var logger = Logger(label: "ply.test-server", factory: { _ in SwiftLogNoOpLogHandler() })
        /// Where the service group logs its services starting and stopping; nil: `logger`.
        public var lifecycleLogger: Logger?
        /// The clock of matches (deadlines, reminders, stored times); nil: the system's.
        public var clock: PlyTestClock?
        /// The HTTP/WebSocket port (`--http-port`; 0: a free one); nil: none.
        public var httpPort: Int?
        /// Runs in the database's own schema (the URL's, else `public`) instead of a fresh one,
        /// and keeps it: for a suite that reads the tables with SQL of its own.
        public var useDatabaseSchema = false

        public init() {}
    }

    /// The line port, on 127.0.0.1.
    public let port: Int
    /// The HTTP/WebSocket port, when `Options.httpPort` asked for one.
    public let httpPort: Int?
    /// The schema holding this server's tables (`public` with `useDatabaseSchema` and a URL
    /// that names none).
    public let schema: String
    /// The clock of matches, when `Options.clock` gave one.
    public let clock: PlyTestClock?
    private let engine: Engine
    private let database: DatabaseURL
    private let keepSchema: Bool
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// Starts a server and returns once it accepts connections (migrations applied).
    public static func start(databaseURL: String, options: Options = Options()) async throws -> PlyTestServer {
        try await start(database: DatabaseURL(databaseURL), options: options)
    }

    /// Starts a server on `database`; `configure` may set any other setting of `ply serve`
    /// (`PlyApp`'s server and engine configurations) after `options` are applied.
    public static func start(
        database: DatabaseURL, options: Options = Options(), configure: (inout PlyApp) -> Void = { _ in }
    ) async throws -> PlyTestServer {
        var database = database
        var keepSchema = options.keepSchema
        if options.useDatabaseSchema {
            keepSchema = true
        } else {
            let schema = options.schema ?? "ply_test_\(UInt32.random(in: 0...UInt32.max))"
            guard DatabaseURL.isSchemaName(schema) else { throw PlyTestServerError("\(schema) is not a valid schema name") }
            database.schema = schema
        }
        var app = PlyApp(database: database, logger: options.logger)
        app.lifecycleLogger = options.lifecycleLogger
        app.server.port = 0
        app.server.host = "127.0.0.1"
        app.server.httpPort = options.httpPort
        if let t = options.idleTimeout { app.server.idleTimeout = t }
        if let t = options.handshakeTimeout { app.server.handshakeTimeout = t }
        app.engine.newAccountsPerAddress = options.newAccountsPerAddress
        // Password hashing at full cost would make every test that links an email slow.
        app.engine.passwordCost = .init(rounds: 1 << 10, blockSize: 8, parallelism: 1)
        if let s = options.idleSeconds { app.engine.idleSeconds = s }
        if let s = options.deadlinePollSeconds { app.engine.deadlinePollSeconds = s }
        if let n = options.maximumOpenChallenges { app.engine.maximumOpenChallenges = n }
        app.engine.adminToken = options.adminToken
        if let clock = options.clock { app.clock = { clock.now } }
        app.dropSchemaOnExit = !keepSchema
        // A test reports a stop that hangs; the process must not die for it.
        app.cancellationTimeLimit = nil
        configure(&app)

        let bound = AsyncStream<Int>.makeStream()
        let groups = AsyncStream<ServiceGroup>.makeStream()
        let engines = AsyncStream<Engine>.makeStream()
        let httpBound = Mutex<Int?>(nil)
        let running = app
        let task = Task {
            defer {
                bound.continuation.finish()
                groups.continuation.finish()
                engines.continuation.finish()
            }
            try await running.run(
                signals: [],
                onBound: { address in
                    bound.continuation.yield(address.port ?? 0)
                    bound.continuation.finish()
                },
                onHTTPBound: { address in httpBound.withLock { $0 = address.port } },
                onGroup: { g in
                    groups.continuation.yield(g)
                    groups.continuation.finish()
                },
                onEngine: { e in
                    engines.continuation.yield(e)
                    engines.continuation.finish()
                })
        }
        var engineIterator = engines.stream.makeAsyncIterator()
        var groupIterator = groups.stream.makeAsyncIterator()
        var portIterator = bound.stream.makeAsyncIterator()
        guard let engine = await engineIterator.next(), let group = await groupIterator.next(),
            let port = await portIterator.next(), port > 0
        else {
            task.cancel()
            // The server's own error (a database it cannot reach, a failed migration) says more.
            try await task.value
            throw PlyTestServerError("the server did not start")
        }
        return PlyTestServer(
            port: port, httpPort: httpBound.withLock { $0 }, schema: database.schema ?? "public", clock: options.clock, engine: engine,
            database: database, keepSchema: keepSchema, group: group, task: task)
    }

    private init(
        port: Int, httpPort: Int?, schema: String, clock: PlyTestClock?, engine: Engine, database: DatabaseURL,
        keepSchema: Bool, group: ServiceGroup, task: Task<Void, any Error>
    ) {
        self.port = port
        self.httpPort = httpPort
        self.schema = schema
        self.clock = clock
        self.engine = engine
        self.database = database
        self.keepSchema = keepSchema
        self.group = group
        self.task = task
    }

    /// Moves the matches' clock on by `seconds` (`Options.clock` must be set) and runs the
    /// deadline poll at once: a turn whose deadline is now past ends in `timeout`, a due
    /// reminder goes out, before this returns. Returns how many matches the poll acted on.
    @discardableResult
    public func advanceClock(by seconds: Double) async throws -> Int {
        guard let clock else { throw PlyTestServerError("advanceClock needs Options.clock") }
        clock.advance(by: seconds)
        return try await engine.pollDeadlines()
    }

    /// Stops the server gracefully (as on SIGTERM) and, unless kept, drops its schema.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// A connected client, not logged in.
    public func client() async throws -> PlyClient {
        try await PlyClient.connect(host: "127.0.0.1", port: port)
    }

    /// A connected client logged in as a new player (a fresh device id starting with `label`).
    public func player(_ label: String = "player") async throws -> PlyClient {
        let client = try await client()
        do {
            _ = try await client.authDevice("\(label)-\(UUID().uuidString)")
        } catch {
            await client.close()
            throw error
        }
        return client
    }

    /// Two new players and a match of `game` between them that has started: `first` sent
    /// the challenge with `settings` and `second` accepted it. With the default settings
    /// (`{"side":"first"}`) `first` moves first.
    public func match(_ game: String = "reversi", settings: String = #"{"side":"first"}"#) async throws -> PlyTestMatch {
        let first = try await player("\(game)-first")
        let second = try await player("\(game)-second")
        guard let opponent = second.player else { throw PlyTestServerError("the second player has no id") }
        let reply = try await first.callObject("CHALLENGE \(opponent) \(game) \(settings)")
        guard let id = reply["match"]?.stringValue else { throw PlyTestServerError("CHALLENGE answered \(reply)") }
        try await second.call("ACCEPT \(id)")
        return PlyTestMatch(id: id, first: first, second: second)
    }
}

/// A started match between two logged-in clients (`PlyTestServer.match`).
public struct PlyTestMatch: Sendable {
    public var id: String
    /// The challenger.
    public var first: PlyClient
    /// The one who accepted.
    public var second: PlyClient

    /// Closes both connections.
    public func close() async {
        await first.close()
        await second.close()
    }
}

public struct PlyTestServerError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A clock a test moves by hand, read by a `PlyTestServer`'s matches (`Options.clock`). It
/// starts at the time it is made (or `start`) and moves only when told.
public final class PlyTestClock: Sendable {
    private let current: Mutex<Date>

    public init(start: Date = Date()) {
        current = Mutex(start)
    }

    public var now: Date { current.withLock { $0 } }

    /// Moves the clock on by `seconds`.
    public func advance(by seconds: Double) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
