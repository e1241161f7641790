import Foundation
import Logging
import NIOCore
import PlyEngine
import PlyServer
import PlyStore
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

/// A real `ply serve` in this process: real listener on a free port, real PostgreSQL.
final class TestServer: Sendable {
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static let jwtSecret = "test-secret-for-identity-tokens-0123456789"
    static let jwtAudience = "ply-tests"
    static let jwtIssuer = "https://login.example.test"

    static func start(database: DatabaseURL? = nil, _ configure: (inout PlyApp) -> Void = { _ in }) async throws -> TestServer {
        var logger = Logger(label: "ply.test")
        logger.logLevel = ProcessInfo.processInfo.environment["PLY_TEST_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        var app = PlyApp(database: try database ?? TestDatabase.url(), logger: logger)
        app.server.port = 0
        app.engine.passwordCost = .init(rounds: 1 << 10, blockSize: 8, parallelism: 1)
        app.engine.identity = IdentityConfiguration(
            hs256Secret: jwtSecret, issuers: [jwtIssuer], audience: jwtAudience)
        configure(&app)
        let bound = AsyncStream<Int>.makeStream()
        let groupBox = AsyncStream<ServiceGroup>.makeStream()
        let runningApp = app
        let task = Task {
            defer {
                bound.continuation.finish()
                groupBox.continuation.finish()
            }
            try await runningApp.run(
                signals: [],
                onBound: { address in
                    bound.continuation.yield(address.port ?? 0)
                    bound.continuation.finish()
                },
                onGroup: { g in
                    groupBox.continuation.yield(g)
                    groupBox.continuation.finish()
                })
        }
        var groups = groupBox.stream.makeAsyncIterator()
        var ports = bound.stream.makeAsyncIterator()
        guard let group = await groups.next(), let port = await ports.next(), port > 0 else {
            task.cancel()
            _ = try await task.value
            throw TestFailure("the server did not start")
        }
        return TestServer(port: port, group: group, task: task)
    }

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.task = task
    }

    /// Graceful shutdown, as on SIGTERM; returns when the server has stopped.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
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

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
