import ArgumentParser
import Foundation
import Logging
import PlyEngine
import PlyServer
import PlyStore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the game server (applies schema migrations first).")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on (env PLY_HOST, default 127.0.0.1)")
    var host: String?

    @Option(help: "TCP port, 0 for any free one (env PLY_PORT, default 7420)")
    var port: Int?

    @Option(help: "Longest request line in bytes (env PLY_MAX_LINE_BYTES, default 8192)")
    var maxLineBytes: Int?

    @Option(help: "Close connections silent for this many seconds (env PLY_IDLE_TIMEOUT_SECONDS, default 300)")
    var idleTimeoutSeconds: Int?

    @Option(help: "Close connections not logged in after this many seconds (env PLY_HANDSHAKE_TIMEOUT_SECONDS, default 30)")
    var handshakeTimeoutSeconds: Int?

    @Option(help: "Open connections allowed in all (env PLY_MAX_CONNECTIONS, default 100000)")
    var maxConnections: Int?

    @Option(help: "Open connections allowed from one client address (env PLY_MAX_CONNECTIONS_PER_IP, default 5000)")
    var maxConnectionsPerIP: Int?

    @Option(help: "Requests read ahead per connection before the server stops reading (env PLY_MAX_PIPELINED, default 64)")
    var maxPipelined: Int?

    @Option(help: "Unread reply bytes after which a client is disconnected (env PLY_MAX_OUTBOUND_BYTES, default 1048576)")
    var maxOutboundBytes: Int?

    @Option(help: "Seconds after which unused matches and players leave memory (env PLY_IDLE_SECONDS, default 600)")
    var idleSeconds: Int?

    @Option(help: "Matches one connection may watch at once (env PLY_MAX_WATCHES, default 32)")
    var maxWatches: Int?

    @Option(help: "Automatch queues (game and settings) one player may wait in at once (env PLY_MAX_QUEUES, default 8)")
    var maxQueues: Int?

    @Option(help: "Chat lines (SAY) one connection may send per minute (env PLY_MAX_CHAT_PER_MINUTE, default 60)")
    var maxChatPerMinute: Int?

    @Option(help: "Open challenges one player may have at once (env PLY_MAX_OPEN_CHALLENGES, default 5)")
    var maxOpenChallenges: Int?

    @Option(help: "Invitations one player may have waiting for an answer (env PLY_MAX_INVITATIONS, default 20)")
    var maxInvitations: Int?

    @Option(help: "Seconds after which an open challenge nobody accepted expires (env PLY_OPEN_CHALLENGE_SECONDS, default 604800)")
    var openChallengeSeconds: Int?

    @Option(name: .customLong("new-accounts-per-ip"), help: "Accounts created from one client address per hour, 0 for no limit (env PLY_NEW_ACCOUNTS_PER_IP, default 100)")
    var newAccountsPerIP: Int?

    @Option(help: "Players one player may block (env PLY_MAX_BLOCKS, default 1000)")
    var maxBlocks: Int?

    @Option(help: "Reports one player may file per hour (env PLY_MAX_REPORTS_PER_HOUR, default 20)")
    var maxReportsPerHour: Int?

    @Option(help: "Enables operator connections (AUTH ADMIN <token>); at least 32 characters (env PLY_ADMIN_TOKEN)")
    var adminToken: String?

    @Option(help: "Longest a call to PostgreSQL (commit or read) may take before it fails with unavailable (env PLY_DATABASE_TIMEOUT_SECONDS, default 5)")
    var databaseTimeoutSeconds: Int?

    @Option(help: "Longest a graceful stop (SIGTERM) may take before open connections are closed and the server exits anyway (env PLY_SHUTDOWN_SECONDS, default 30)")
    var shutdownSeconds: Int?

    @Option(help: "Failed AUTH attempts allowed per connection (env PLY_AUTH_FAILURES_PER_CONNECTION, default 5)")
    var authFailuresPerConnection: Int?

    @Option(help: "Failed AUTH attempts per account in 15 minutes (env PLY_AUTH_FAILURES_PER_ACCOUNT, default 10)")
    var authFailuresPerAccount: Int?

    @Option(help: "Failed AUTH attempts per client IP in 15 minutes (env PLY_AUTH_FAILURES_PER_IP, default 50)")
    var authFailuresPerIP: Int?

    @Option(help: "Port for Prometheus metrics at GET /metrics; off unless given (env PLY_METRICS_PORT)")
    var metricsPort: Int?

    @Option(help: "grouped (group commit, the default) or per-move (one transaction per move, the baseline) (env PLY_DURABILITY)")
    var durability: String?

    @Option(help: "Group-commit transactions in flight at once (env PLY_COMMIT_CONCURRENCY, default 1)")
    var commitConcurrency: Int?

    @Option(help: "HS256 secret for identity tokens (env PLY_JWT_SECRET)")
    var jwtSecret: String?

    @Option(help: "JWKS file with public keys for identity tokens (env PLY_JWT_JWKS_FILE)")
    var jwtJWKSFile: String?

    @Option(help: "Accepted token issuers, comma-separated; empty accepts any (env PLY_JWT_ISSUERS)")
    var jwtIssuers: String?

    @Option(help: "Audience identity tokens must name (env PLY_JWT_AUDIENCE, default ply)")
    var jwtAudience: String?

    func run() async throws {
        let logger = try database.logger("ply")
        var app = PlyApp(database: try database.url(), logger: logger)
        app.server.host = host ?? Environment.value("PLY_HOST") ?? "127.0.0.1"
        app.server.port = try port ?? Environment.int("PLY_PORT") ?? 7420
        app.server.maximumLineBytes = try maxLineBytes ?? Environment.int("PLY_MAX_LINE_BYTES") ?? 8192
        app.server.idleTimeout = .seconds(try idleTimeoutSeconds ?? Environment.int("PLY_IDLE_TIMEOUT_SECONDS") ?? 300)
        app.server.handshakeTimeout = .seconds(
            try handshakeTimeoutSeconds ?? Environment.int("PLY_HANDSHAKE_TIMEOUT_SECONDS") ?? 30)
        app.server.maximumConnections = try maxConnections ?? Environment.int("PLY_MAX_CONNECTIONS") ?? 100_000
        app.server.maximumConnectionsPerAddress =
            try maxConnectionsPerIP ?? Environment.int("PLY_MAX_CONNECTIONS_PER_IP") ?? 5_000
        app.server.maximumPipelinedRequests = try maxPipelined ?? Environment.int("PLY_MAX_PIPELINED") ?? 64
        app.server.maximumOutboundBytes = try maxOutboundBytes ?? Environment.int("PLY_MAX_OUTBOUND_BYTES") ?? 1 << 20
        guard app.server.maximumConnections > 0, app.server.maximumConnectionsPerAddress > 0,
            app.server.maximumPipelinedRequests > 0, app.server.maximumOutboundBytes >= 4096
        else { throw ValidationError("connection limits must be positive (max-outbound-bytes at least 4096)") }
        guard (0...65535).contains(app.server.port) else { throw ValidationError("port must be 0 to 65535") }
        guard app.server.maximumLineBytes >= 64 else { throw ValidationError("max-line-bytes must be at least 64") }
        var engine = EngineConfiguration()
        engine.idleSeconds = Double(try idleSeconds ?? Environment.int("PLY_IDLE_SECONDS") ?? 600)
        engine.maximumWatchesPerConnection = try maxWatches ?? Environment.int("PLY_MAX_WATCHES") ?? engine.maximumWatchesPerConnection
        engine.maximumChatPerMinute = try maxChatPerMinute ?? Environment.int("PLY_MAX_CHAT_PER_MINUTE") ?? engine.maximumChatPerMinute
        engine.maximumQueuesPerPlayer = try maxQueues ?? Environment.int("PLY_MAX_QUEUES") ?? engine.maximumQueuesPerPlayer
        engine.maximumOpenChallenges =
            try maxOpenChallenges ?? Environment.int("PLY_MAX_OPEN_CHALLENGES") ?? engine.maximumOpenChallenges
        engine.maximumPendingInvitations =
            try maxInvitations ?? Environment.int("PLY_MAX_INVITATIONS") ?? engine.maximumPendingInvitations
        engine.openChallengeSeconds = Double(
            try openChallengeSeconds ?? Environment.int("PLY_OPEN_CHALLENGE_SECONDS") ?? Int(engine.openChallengeSeconds))
        engine.newAccountsPerAddress =
            try newAccountsPerIP ?? Environment.int("PLY_NEW_ACCOUNTS_PER_IP") ?? engine.newAccountsPerAddress
        engine.maximumBlocks = try maxBlocks ?? Environment.int("PLY_MAX_BLOCKS") ?? engine.maximumBlocks
        engine.maximumReportsPerHour =
            try maxReportsPerHour ?? Environment.int("PLY_MAX_REPORTS_PER_HOUR") ?? engine.maximumReportsPerHour
        guard engine.maximumOpenChallenges >= 0, engine.maximumPendingInvitations >= 0, engine.newAccountsPerAddress >= 0,
            engine.maximumBlocks >= 0, engine.maximumReportsPerHour >= 0
        else { throw ValidationError("challenge, account, block and report limits must not be negative") }
        guard engine.openChallengeSeconds >= 1 else { throw ValidationError("open-challenge-seconds must be positive") }
        if let token = adminToken ?? Environment.value("PLY_ADMIN_TOKEN"), !token.isEmpty {
            guard token.count >= AdminToken.minimumLength, !token.contains(" ") else {
                throw ValidationError("admin-token must be at least \(AdminToken.minimumLength) characters without spaces")
            }
            engine.adminToken = token
        }
        guard engine.maximumWatchesPerConnection >= 0, engine.maximumChatPerMinute >= 0, engine.maximumQueuesPerPlayer >= 0 else {
            throw ValidationError("max-watches, max-queues and max-chat-per-minute must not be negative")
        }
        let databaseTimeout = try databaseTimeoutSeconds ?? Environment.int("PLY_DATABASE_TIMEOUT_SECONDS") ?? 5
        guard databaseTimeout > 0 else { throw ValidationError("database-timeout-seconds must be positive") }
        engine.databaseTimeLimitSeconds = Double(databaseTimeout)
        engine.authFailuresPerConnection =
            try authFailuresPerConnection ?? Environment.int("PLY_AUTH_FAILURES_PER_CONNECTION") ?? engine.authFailuresPerConnection
        engine.authFailuresPerAccount =
            try authFailuresPerAccount ?? Environment.int("PLY_AUTH_FAILURES_PER_ACCOUNT") ?? engine.authFailuresPerAccount
        engine.authFailuresPerIP = try authFailuresPerIP ?? Environment.int("PLY_AUTH_FAILURES_PER_IP") ?? engine.authFailuresPerIP
        let durabilityText = durability ?? Environment.value("PLY_DURABILITY") ?? "grouped"
        guard let mode = Durability(rawValue: durabilityText) else {
            throw ValidationError("durability must be grouped or per-move")
        }
        engine.durability = mode
        engine.commitConcurrency = try commitConcurrency ?? Environment.int("PLY_COMMIT_CONCURRENCY") ?? 1
        guard (1...16).contains(engine.commitConcurrency) else { throw ValidationError("commit-concurrency must be 1 to 16") }
        engine.commitLanes = Environment.value("PLY_COMMIT_LANES") != "0"
        var identity = IdentityConfiguration()
        identity.hs256Secret = jwtSecret ?? Environment.value("PLY_JWT_SECRET")
        if let path = jwtJWKSFile ?? Environment.value("PLY_JWT_JWKS_FILE") {
            identity.jwksJSON = try String(contentsOfFile: path, encoding: .utf8)
        }
        identity.issuers = (jwtIssuers ?? Environment.value("PLY_JWT_ISSUERS") ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        identity.audience = jwtAudience ?? Environment.value("PLY_JWT_AUDIENCE") ?? "ply"
        engine.identity = identity
        app.engine = engine
        app.metricsPort = try metricsPort ?? Environment.int("PLY_METRICS_PORT")
        let shutdown = try shutdownSeconds ?? Environment.int("PLY_SHUTDOWN_SECONDS") ?? 30
        guard shutdown > 0 else { throw ValidationError("shutdown-seconds must be positive") }
        app.shutdownTimeLimit = .seconds(shutdown)
        // Whatever still runs ten seconds after that is not worth a server that never exits.
        app.cancellationTimeLimit = .seconds(10)
        try await app.run()
    }
}
