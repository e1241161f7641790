import Foundation
import Logging
import NIOCore
import NIOPosix
import PlyEngine
import PlyStore
import PostgresNIO
import ServiceLifecycle
import UnixSignals

/// Everything `ply serve` runs, assembled: the database client, the engine and the
/// listener in one service group. Services stop in reverse order, so the listener stops
/// first and the database client last.
public struct PlyApp: Sendable {
    public var server = ServerConfiguration()
    public var engine = EngineConfiguration()
    public var database: DatabaseURL
    /// Port of the Prometheus endpoint (`GET /metrics`); nil keeps it off.
    public var metricsPort: Int?
    public var logger: Logger
    /// What the service group logs as it starts and stops its services (by default `logger`).
    /// Tests keep it at debug level in memory, to show which service a stop waits for.
    public var lifecycleLogger: Logger?
    /// Longest a graceful stop may take: past it the services are cancelled, which closes
    /// the connections still open (their requests waiting on PostgreSQL are abandoned, as a
    /// crash would) so the process exits. Nil: no limit.
    public var shutdownTimeLimit: Duration? = .seconds(defaultShutdownSeconds)
    public static let defaultShutdownSeconds = 30
    /// Longest the services may take to end once cancelled (after `shutdownTimeLimit`); past
    /// it the process stops with a fatal error rather than hang. Nil: no limit (tests, which
    /// report a stop that does not end instead).
    public var cancellationTimeLimit: Duration?
    /// Drops `database.schema` with everything in it once the server has stopped (`ply serve
    /// --drop-schema-on-exit`), for throwaway runs; without a schema it does nothing.
    public var dropSchemaOnExit = false
    /// The primary lease (`PrimaryLease`): with it, this server writes only while it holds
    /// the lease, waits for it at start, and a standby takes over when it dies. Nil: no lease,
    /// as for several test servers sharing one database on purpose.
    public var lease: LeaseConfiguration?
    /// The clock of matches (turn deadlines, reminders, the times stored with moves); nil:
    /// the system's. Tests move a clock of their own (`PlyTestClock`) instead of sleeping.
    public var clock: (@Sendable () -> Date)?

    public init(database: DatabaseURL, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Runs until a signal (or `signals: []` and a graceful shutdown from `onGroup`).
    public func run(
        signals: [UnixSignal] = [.sigterm, .sigint],
        onBound: @escaping @Sendable (SocketAddress) -> Void = { _ in },
        onHTTPBound: @escaping @Sendable (SocketAddress) -> Void = { _ in },
        onGroup: @Sendable (ServiceGroup) -> Void = { _ in },
        onEngine: @Sendable (Engine) -> Void = { _ in }
    ) async throws {
        // The metrics backend first: the engine and the writer record as they go.
        _ = MetricsService.registry
        let client = PostgresClient(configuration: database.clientConfiguration(), backgroundLogger: logger)
        let fence = Fence()
        let storage = Storage.postgres(
            client: client, lanes: database.connectionConfiguration(), configuration: self.engine, fence: fence,
            logger: logger)
        guard let writer = storage.databaseWriter else { preconditionFailure("PostgreSQL storage has a writer") }
        let leaseService = lease.map {
            LeaseService(
                lease: PrimaryLease(client: client, holder: $0.holder, timing: $0.timing, logger: self.logger),
                fence: fence, logger: self.logger, unreachable: { await writer.databaseUnreachable($0) })
        }
        let engine = try await Engine(
            storage: storage, configuration: self.engine, logger: logger, now: clock ?? { Date() })
        onEngine(engine)
        let logger = self.logger
        let (schemaReady, ready) = AsyncStream<Void>.makeStream()
        let listener = LineServer(
            configuration: server, engine: engine, logger: logger, standby: lease?.standby ?? false,
            prepare: {
                try await Migrator.migrate(client, migrations: try Migration.bundled(), schema: database.schema, logger: logger)
                if let leaseService { try await cancelWhenGracefulShutdown { try await leaseService.take() } }
                ready.finish()
            },
            onBound: onBound, onHTTPBound: onHTTPBound)
        var configuration = ServiceGroupConfiguration(
                services: [
                    .init(service: client),
                    // Losing the lease stops the server as a signal would (the open requests are
                    // answered, fenced), then `run` throws `LeaseLost`.
                ] + (leaseService.map { [.init(service: $0, failureTerminationBehavior: .gracefullyShutdownGroup)] } ?? []) + [
                    .init(service: WriterService(writer: writer)),
                    .init(service: MetricsService(engine: engine, port: metricsPort, host: server.host, logger: logger)),
                    .init(service: MaintenanceService(engine: engine, schemaReady: schemaReady)),
                    .init(service: LoopLagService(lag: engine.loopLag, group: MultiThreadedEventLoopGroup.singleton)),
                    .init(service: listener, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: signals,
                cancellationSignals: [],
                logger: lifecycleLogger ?? logger)
        configuration.maximumGracefulShutdownDuration = shutdownTimeLimit
        configuration.maximumCancellationDuration = cancellationTimeLimit
        let group = ServiceGroup(configuration: configuration)
        onGroup(group)
        let outcome: Result<Void, any Error>
        do {
            try await group.run()
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await engine.shutdown()
        if dropSchemaOnExit, let schema = database.schema {
            do {
                try await Migrator.dropSchema(schema, database: database, logger: logger)
                logger.info("schema dropped", metadata: ["schema": "\(schema)"])
            } catch {
                logger.error("could not drop the schema", metadata: ["schema": "\(schema)", "error": "\(error)"])
            }
        }
        try outcome.get()
    }
}
