import Foundation
import Logging
import NIOCore
import NIOPosix
import PlyEngine
import PlyServer
@testable import PlyStore
import PlyTesting
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Testing

enum TestDatabase {
    static var urlText: String? { ProcessInfo.processInfo.environment["PLY_TEST_DATABASE_URL"] }
    static var isConfigured: Bool { urlText != nil }

    static func url() throws -> DatabaseURL {
        let text = try #require(urlText, "PLY_TEST_DATABASE_URL is not set; run Scripts/test")
        return try DatabaseURL(text)
    }

    /// A new, empty database in the same cluster, for tests whose server must be alone
    /// with its data: the deadline poller ends every overdue match it finds, so two servers
    /// sharing a database would end each other's matches.
    static func fresh() async throws -> DatabaseURL {
        var url = try url()
        let name = "ply_t_\(UInt32.random(in: 0...UInt32.max))"
        let logger = Logger(label: "ply.test.createdb")
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            _ = try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            group.cancelAll()
        }
        url.database = name
        return url
    }
}

extension TestDatabase {
    /// Runs `body` with a fresh, migrated database and a running client on it.
    static func withMigratedClient(
        _ label: String, _ body: (DatabaseURL, PostgresClient, Logger) async throws -> Void
    ) async throws {
        let url = try await fresh()
        let logger = Logger(label: label)
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await Migrator.migrate(client, migrations: try Migration.bundled(), logger: logger)
            try await body(url, client, logger)
            group.cancelAll()
        }
    }
}

/// A real `ply serve` in this process: real listener on a free port, real PostgreSQL. It is
/// `PlyTesting.PlyTestServer` (the fixture studios use), in the test database's own schema so
/// the tests can read the tables with SQL, with what the suite adds: the server's log kept in
/// memory for a failing test to show, and a stop that fails the test instead of hanging.
final class TestServer: Sendable {
    let server: PlyTestServer
    var port: Int { server.port }
    /// The HTTP/WebSocket port, when the test asked for one (`server.httpPort = 0`).
    var httpPort: Int? { server.httpPort }
    /// What the service group logged, at debug level: which services started and stopped.
    private let lifecycle: MemoryLog
    /// What the server logged, from debug up.
    private let log: MemoryLog

    /// The server's last log lines (debug and up), for a failing expectation to show.
    func recentLog(_ count: Int = 60) -> String { log.tail(count) }

    static let jwtSecret = "test-secret-for-identity-tokens-0123456789"
    static let jwtAudience = "ply-tests"
    static let jwtIssuer = "https://login.example.test"

    static func start(
        database: DatabaseURL? = nil, clock: PlyTestClock? = nil, _ configure: (inout PlyApp) -> Void = { _ in }
    ) async throws -> TestServer {
        // Printed from warning up (or PLY_TEST_LOG_LEVEL); kept in memory from debug up, for
        // a failing test to show (`recentLog`).
        let level = ProcessInfo.processInfo.environment["PLY_TEST_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        let memory = MemoryLog()
        let lifecycle = MemoryLog()
        var options = PlyTestServer.Options()
        options.useDatabaseSchema = true
        options.clock = clock
        options.logger = Logger(label: "ply.test") { label in
            var printed = StreamLogHandler.standardOutput(label: label)
            printed.logLevel = level
            return MultiplexLogHandler([printed, memory.handler(label: label, level: min(level, .debug))])
        }
        options.lifecycleLogger = Logger(label: "ply.test.lifecycle") { lifecycle.handler(label: $0, level: .debug) }
        let server = try await PlyTestServer.start(database: try database ?? TestDatabase.url(), options: options) { app in
            app.engine.identity = IdentityConfiguration(hs256Secret: jwtSecret, issuers: [jwtIssuer], audience: jwtAudience)
            configure(&app)
        }
        return TestServer(server: server, lifecycle: lifecycle, log: memory)
    }

    private init(server: PlyTestServer, lifecycle: MemoryLog, log: MemoryLog) {
        self.server = server
        self.lifecycle = lifecycle
        self.log = log
    }

    /// Graceful shutdown, as on SIGTERM; returns when the server has stopped. A server that
    /// has not stopped within `limit` fails the test with what its service group logged (a
    /// stop that waits forever would otherwise hang the whole run, as no time limit can
    /// cancel it).
    func stop(within limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let server = self.server
        do {
            try await FirstAnswer<Void>.race(
                within: limit, on: MultiThreadedEventLoopGroup.singleton.any(), atDeadline: { _ in StopTimedOut() }
            ) { _ in try await server.stop() }
        } catch is StopTimedOut {
            Issue.record(
                """
                the server did not stop within \(limit); its service group logged:
                \(lifecycle.tail(40))
                and the server:
                \(log.tail(60))
                """, sourceLocation: sourceLocation)
            throw TestFailure("the server did not stop within \(limit)")
        }
        if log.lines.contains(where: { $0.contains("shutdown time limit reached") }) {
            Issue.record(
                "the server's stop reached its time limit (something it waited for never ended); it logged:\n\(log.tail(60))",
                sourceLocation: sourceLocation)
        }
    }

    func client() async throws -> TestClient {
        try await TestClient.connect(port: port)
    }

    /// A client that has logged in with a fresh device.
    func player(_ label: String = "dev") async throws -> (TestClient, LoggedIn) {
        let c = try await client()
        let me = try await c.authDevice("\(label)-\(UUID().uuidString)")
        return (c, me)
    }
}

/// Log lines kept in memory (for a failing test to show what the server did).
final class MemoryLog: Sendable {
    private let kept = Mutex<[String]>([])
    var lines: [String] { kept.withLock { $0 } }
    func append(_ line: String) { kept.withLock { $0.append(line) } }

    /// The last `count` lines, one per line.
    func tail(_ count: Int = 60) -> String { lines.suffix(count).joined(separator: "\n") }

    /// A handler that writes here from `level` up.
    func handler(label: String, level: Logger.Level) -> Handler { Handler(log: self, label: label, logLevel: level) }

    struct Handler: LogHandler {
        let log: MemoryLog
        let label: String
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
            let meta = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            log.append("\(Date().formatted(.iso8601)) \(event.level) \(label): \(event.message) \(meta)")
        }
    }
}

private struct StopTimedOut: Error {}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
