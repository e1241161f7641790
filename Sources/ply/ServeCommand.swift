import ArgumentParser
import Foundation
import Logging
import PlyEngine
import PlyRules
import PlyServer
import PlyStore

/// The defaults every `serve` option shows and falls back to, read from the configuration
/// types where they are written once.
private enum Defaults {
    static let server = ServerConfiguration()
    static let engine = EngineConfiguration()
    static let identity = IdentityConfiguration()
    static let app = PlyApp.defaultShutdownSeconds
    static let lease = LeaseConfiguration()

    static func seconds(_ d: Duration) -> Int { Int(d.components.seconds) }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the game server (applies schema migrations first).")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Drop the --schema with everything in it when the server stops, for throwaway runs (env PLY_DROP_SCHEMA_ON_EXIT=1)")
    var dropSchemaOnExit = false

    @Flag(help: "Wait for the primary lease as a standby: the line port turns connections away with ERR unavailable standby and /healthz answers 503 standby until the primary dies or stops (env PLY_STANDBY=1)")
    var standby = false

    @Option(help: "Seconds within which a standby takes over after the primary dies (env PLY_FAILOVER_SECONDS, default \(Int(Defaults.lease.timing.failoverSeconds)))")
    var failoverSeconds: Double?

    @Flag(inversion: .prefixedNo, help: "Hold the primary lease while serving, so a standby can take over and a second primary waits (env PLY_LEASE=0 turns it off; off only for servers that share a database on purpose)")
    var lease = true

    @Option(help: "Address to listen on (env PLY_HOST, default \(Defaults.server.host))")
    var host: String?

    @Option(help: "TCP port, 0 for any free one (env PLY_PORT, default \(Defaults.server.port))")
    var port: Int?

    @Option(help: "HTTP port for WebSocket (/ws), /healthz and the web page (/); off unless given (env PLY_HTTP_PORT)")
    var httpPort: Int?

    @Option(help: "A web page origin, besides this server's own, whose scripts may play through the HTTP port (https://game.example; * for any); repeatable (env PLY_ALLOW_ORIGINS, comma-separated)")
    var allowOrigin: [String] = []

    @Option(help: "Longest request line in bytes (env PLY_MAX_LINE_BYTES, default \(Defaults.server.maximumLineBytes))")
    var maxLineBytes: Int?

    @Option(help: "Close connections silent for this many seconds (env PLY_IDLE_TIMEOUT_SECONDS, default \(Defaults.seconds(Defaults.server.idleTimeout)))")
    var idleTimeoutSeconds: Int?

    @Option(help: "Close connections not logged in after this many seconds (env PLY_HANDSHAKE_TIMEOUT_SECONDS, default \(Defaults.seconds(Defaults.server.handshakeTimeout)))")
    var handshakeTimeoutSeconds: Int?

    @Option(help: "Open connections allowed in all (env PLY_MAX_CONNECTIONS, default \(Defaults.server.maximumConnections))")
    var maxConnections: Int?

    @Option(help: "Open connections allowed from one client address (env PLY_MAX_CONNECTIONS_PER_IP, default \(Defaults.server.maximumConnectionsPerAddress))")
    var maxConnectionsPerIP: Int?

    @Option(help: "Requests read ahead per connection before the server stops reading (env PLY_MAX_PIPELINED, default \(Defaults.server.maximumPipelinedRequests))")
    var maxPipelined: Int?

    @Option(help: "Unread reply bytes after which a client is disconnected (env PLY_MAX_OUTBOUND_BYTES, default \(Defaults.server.maximumOutboundBytes))")
    var maxOutboundBytes: Int?

    @Option(help: "Seconds after which unused matches and players leave memory (env PLY_IDLE_SECONDS, default \(Int(Defaults.engine.idleSeconds)))")
    var idleSeconds: Int?

    @Option(help: "Matches one connection may watch at once (env PLY_MAX_WATCHES, default \(Defaults.engine.maximumWatchesPerConnection))")
    var maxWatches: Int?

    @Option(help: "Automatch queues (game and settings) one player may wait in at once (env PLY_MAX_QUEUES, default \(Defaults.engine.maximumQueuesPerPlayer))")
    var maxQueues: Int?

    @Option(help: "Chat lines (SAY) one connection may send per minute (env PLY_MAX_CHAT_PER_MINUTE, default \(Defaults.engine.maximumChatPerMinute))")
    var maxChatPerMinute: Int?

    @Option(help: "Open challenges one player may have at once (env PLY_MAX_OPEN_CHALLENGES, default \(Defaults.engine.maximumOpenChallenges))")
    var maxOpenChallenges: Int?

    @Option(help: "Invitations one player may have waiting for an answer (env PLY_MAX_INVITATIONS, default \(Defaults.engine.maximumPendingInvitations))")
    var maxInvitations: Int?

    @Option(help: "Challenges of one player that may end unanswered (withdrawn, declined, expired) per hour; 0: no limit (env PLY_MAX_CHALLENGES_PER_HOUR, default \(Defaults.engine.maximumChallengesPerHour)); such invitations to one player: at most \(Defaults.engine.maximumInvitationsPerOpponentPerHour) an hour")
    var maxChallengesPerHour: Int?

    @Option(help: "Invitations that may wait for one player's answer, from everyone (env PLY_MAX_INVITATIONS_RECEIVED, default \(Defaults.engine.maximumInvitationsReceived))")
    var maxInvitationsReceived: Int?

    @Option(help: "Seconds after which an open challenge nobody accepted expires (env PLY_OPEN_CHALLENGE_SECONDS, default \(Int(Defaults.engine.openChallengeSeconds)))")
    var openChallengeSeconds: Int?

    @Option(name: .customLong("new-accounts-per-ip"), help: "Accounts created from one client address per hour, 0 for no limit (env PLY_NEW_ACCOUNTS_PER_IP, default \(Defaults.engine.newAccountsPerAddress))")
    var newAccountsPerIP: Int?

    @Option(help: "Days of vacation (VACATION) a player may take per calendar year (env PLY_VACATION_DAYS, default \(Defaults.engine.vacationDaysPerYear))")
    var vacationDays: Int?

    @Option(help: "Players one player may block (env PLY_MAX_BLOCKS, default \(Defaults.engine.maximumBlocks))")
    var maxBlocks: Int?

    @Option(help: "Reports one player may file per hour (env PLY_MAX_REPORTS_PER_HOUR, default \(Defaults.engine.maximumReportsPerHour))")
    var maxReportsPerHour: Int?

    @Option(help: "Active matches without a move of theirs past which a player may not take open challenges or queue (env PLY_MAX_UNMOVED_MATCHES, default \(Defaults.engine.maximumUnmovedMatches); 0: no limit)")
    var maxUnmovedMatches: Int?

    @Option(help: "Matches and players not in memory one player may read per 10 minutes, their own matches aside; an address 4 times as many; 0: no limit (env PLY_MAX_COLD_READS, default \(Defaults.engine.maximumColdReads))")
    var maxColdReads: Int?

    @Option(help: "A bot account for automatch, as game=device (the device id its `ply bot` logs in with); repeat for each game")
    var automatchBot: [String] = []

    @Option(help: "Seconds a player waits alone in automatch before an --automatch-bot takes them (default \(Int(Defaults.engine.automatchBotSeconds)))")
    var automatchBotSeconds: Double?

    @Option(help: "PEM certificate chain: with --tls-key the line port speaks TLS only (env PLY_TLS_CERT)")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert (env PLY_TLS_KEY)")
    var tlsKey: String?

    @Option(help: "Enables operator connections (AUTH ADMIN <token>); at least \(AdminToken.minimumLength) characters (env PLY_ADMIN_TOKEN)")
    var adminToken: String?

    @Option(help: "Longest a call to PostgreSQL (commit or read) may take before it fails with unavailable (env PLY_DATABASE_TIMEOUT_SECONDS, default \(Int(Defaults.engine.databaseTimeLimitSeconds)))")
    var databaseTimeoutSeconds: Int?

    @Option(help: "Longest a graceful stop (SIGTERM) may take before open connections are closed and the server exits anyway (env PLY_SHUTDOWN_SECONDS, default \(Defaults.app))")
    var shutdownSeconds: Int?

    @Option(help: "Failed AUTH attempts allowed per connection (env PLY_AUTH_FAILURES_PER_CONNECTION, default \(Defaults.engine.authFailuresPerConnection))")
    var authFailuresPerConnection: Int?

    @Option(help: "Failed password attempts per account in 15 minutes (env PLY_AUTH_FAILURES_PER_ACCOUNT, default \(Defaults.engine.authFailuresPerAccount))")
    var authFailuresPerAccount: Int?

    @Option(help: "Password attempts per client address in 15 minutes, counted from their start (env PLY_AUTH_FAILURES_PER_IP, default \(Defaults.engine.authFailuresPerIP))")
    var authFailuresPerIP: Int?

    @Option(help: "Refused session and identity tokens per client address in 15 minutes; past it each further refusal is answered a second late (good tokens are not held up); 0 for no limit (env PLY_TOKEN_FAILURES_PER_IP, default \(Defaults.engine.tokenFailuresPerIP))")
    var tokenFailuresPerIP: Int?

    @Flag(help: "Send a linked email a code to confirm it (CONFIRM EMAIL <code>); alerts and digests go only to confirmed addresses (env PLY_EMAIL_CONFIRMATION=1)")
    var emailConfirmation = false

    @Option(help: "Port for Prometheus metrics at GET /metrics; off unless given (env PLY_METRICS_PORT)")
    var metricsPort: Int?

    @Option(help: "grouped (group commit) or per-move (one transaction per move, the baseline) (env PLY_DURABILITY, default \(Defaults.engine.durability.rawValue))")
    var durability: String?

    @Option(help: "Group-commit transactions in flight at once, 1 to 16 (env PLY_COMMIT_CONCURRENCY, default \(Defaults.engine.commitConcurrency))")
    var commitConcurrency: Int?

    @Option(help: "HS256 secret for identity tokens (env PLY_JWT_SECRET)")
    var jwtSecret: String?

    @Option(help: "JWKS file with public keys for identity tokens (env PLY_JWT_JWKS_FILE)")
    var jwtJWKSFile: String?

    @Option(help: "Accepted token issuers, comma-separated; empty accepts any (env PLY_JWT_ISSUERS)")
    var jwtIssuers: String?

    @Option(help: "Audience identity tokens must name (env PLY_JWT_AUDIENCE, default \(Defaults.identity.audience))")
    var jwtAudience: String?

    /// A flag, else its environment variable, else the value already configured (the default).
    private func setting(_ flag: Int?, _ variable: String, _ current: Int) throws -> Int {
        try flag ?? Environment.int(variable) ?? current
    }

    private func setting(_ flag: Int?, _ variable: String, seconds current: Double) throws -> Double {
        try Double(flag ?? Environment.int(variable) ?? Int(current))
    }

    private func setting(_ flag: Int?, _ variable: String, seconds current: Duration) throws -> Duration {
        .seconds(try flag ?? Environment.int(variable) ?? Int(current.components.seconds))
    }

    /// The lease settings from the flags and the environment; nil with the lease off.
    private func leaseConfiguration(port: Int) throws -> LeaseConfiguration? {
        let standby = self.standby || Environment.value("PLY_STANDBY") == "1"
        guard lease && Environment.value("PLY_LEASE") != "0" else {
            if standby { throw ValidationError("--standby needs the lease (drop --no-lease / PLY_LEASE=0)") }
            return nil
        }
        var c = LeaseConfiguration()
        c.standby = standby
        if let text = Environment.value("PLY_FAILOVER_SECONDS"), failoverSeconds == nil {
            guard let seconds = Double(text) else { throw ValidationError("PLY_FAILOVER_SECONDS must be a number of seconds") }
            c.timing = LeaseTiming(failoverSeconds: seconds)
        }
        if let failoverSeconds { c.timing = LeaseTiming(failoverSeconds: failoverSeconds) }
        guard LeaseTiming.allowedSeconds.contains(c.timing.failoverSeconds) else {
            throw ValidationError(
                "failover-seconds must be between \(LeaseTiming.allowedSeconds.lowerBound) and \(LeaseTiming.allowedSeconds.upperBound)")
        }
        c.holder += " port \(port)"
        return c
    }

    func run() async throws {
        let logger = try database.logger("ply")
        var app = PlyApp(database: try database.url(), logger: logger)
        var server = app.server
        server.host = host ?? Environment.value("PLY_HOST") ?? server.host
        server.port = try setting(port, "PLY_PORT", server.port)
        server.maximumLineBytes = try setting(maxLineBytes, "PLY_MAX_LINE_BYTES", server.maximumLineBytes)
        server.idleTimeout = try setting(idleTimeoutSeconds, "PLY_IDLE_TIMEOUT_SECONDS", seconds: server.idleTimeout)
        server.handshakeTimeout = try setting(handshakeTimeoutSeconds, "PLY_HANDSHAKE_TIMEOUT_SECONDS", seconds: server.handshakeTimeout)
        server.maximumConnections = try setting(maxConnections, "PLY_MAX_CONNECTIONS", server.maximumConnections)
        server.maximumConnectionsPerAddress =
            try setting(maxConnectionsPerIP, "PLY_MAX_CONNECTIONS_PER_IP", server.maximumConnectionsPerAddress)
        server.maximumPipelinedRequests = try setting(maxPipelined, "PLY_MAX_PIPELINED", server.maximumPipelinedRequests)
        server.maximumOutboundBytes = try setting(maxOutboundBytes, "PLY_MAX_OUTBOUND_BYTES", server.maximumOutboundBytes)
        guard server.maximumConnections > 0, server.maximumConnectionsPerAddress > 0, server.maximumPipelinedRequests > 0,
            server.maximumOutboundBytes >= 4096
        else { throw ValidationError("connection limits must be positive (max-outbound-bytes at least 4096)") }
        guard (0...65535).contains(server.port) else { throw ValidationError("port must be 0 to 65535") }
        server.httpPort = try httpPort ?? Environment.int("PLY_HTTP_PORT")
        if let http = server.httpPort, !(0...65535).contains(http) { throw ValidationError("http-port must be 0 to 65535") }
        server.allowedOrigins =
            allowOrigin.isEmpty
            ? (Environment.value("PLY_ALLOW_ORIGINS") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            : allowOrigin
        guard server.maximumLineBytes >= 64 else { throw ValidationError("max-line-bytes must be at least 64") }
        switch (tlsCert ?? Environment.value("PLY_TLS_CERT"), tlsKey ?? Environment.value("PLY_TLS_KEY")) {
        case (nil, nil): break
        case (let cert?, let key?):
            do {
                server.tls = try ServerConfiguration.tlsContext(certificateFile: cert, keyFile: key)
            } catch {
                throw ValidationError("\(error)")
            }
        default: throw ValidationError("give both --tls-cert and --tls-key, or neither")
        }
        app.server = server

        var engine = app.engine
        engine.idleSeconds = try setting(idleSeconds, "PLY_IDLE_SECONDS", seconds: engine.idleSeconds)
        engine.maximumWatchesPerConnection = try setting(maxWatches, "PLY_MAX_WATCHES", engine.maximumWatchesPerConnection)
        engine.maximumChatPerMinute = try setting(maxChatPerMinute, "PLY_MAX_CHAT_PER_MINUTE", engine.maximumChatPerMinute)
        engine.maximumQueuesPerPlayer = try setting(maxQueues, "PLY_MAX_QUEUES", engine.maximumQueuesPerPlayer)
        engine.maximumOpenChallenges = try setting(maxOpenChallenges, "PLY_MAX_OPEN_CHALLENGES", engine.maximumOpenChallenges)
        engine.maximumPendingInvitations = try setting(maxInvitations, "PLY_MAX_INVITATIONS", engine.maximumPendingInvitations)
        engine.maximumChallengesPerHour = try setting(maxChallengesPerHour, "PLY_MAX_CHALLENGES_PER_HOUR", engine.maximumChallengesPerHour)
        engine.maximumInvitationsReceived = try setting(
            maxInvitationsReceived, "PLY_MAX_INVITATIONS_RECEIVED", engine.maximumInvitationsReceived)
        engine.openChallengeSeconds = try setting(openChallengeSeconds, "PLY_OPEN_CHALLENGE_SECONDS", seconds: engine.openChallengeSeconds)
        engine.newAccountsPerAddress = try setting(newAccountsPerIP, "PLY_NEW_ACCOUNTS_PER_IP", engine.newAccountsPerAddress)
        engine.maximumBlocks = try setting(maxBlocks, "PLY_MAX_BLOCKS", engine.maximumBlocks)
        engine.maximumReportsPerHour = try setting(maxReportsPerHour, "PLY_MAX_REPORTS_PER_HOUR", engine.maximumReportsPerHour)
        engine.maximumColdReads = try setting(maxColdReads, "PLY_MAX_COLD_READS", engine.maximumColdReads)
        engine.maximumUnmovedMatches = try setting(maxUnmovedMatches, "PLY_MAX_UNMOVED_MATCHES", engine.maximumUnmovedMatches)
        guard engine.maximumWatchesPerConnection >= 0, engine.maximumChatPerMinute >= 0, engine.maximumQueuesPerPlayer >= 0,
            engine.maximumOpenChallenges >= 0, engine.maximumPendingInvitations >= 0, engine.maximumChallengesPerHour >= 0,
            engine.maximumInvitationsReceived >= 0, engine.newAccountsPerAddress >= 0,
            engine.maximumBlocks >= 0, engine.maximumReportsPerHour >= 0, engine.maximumColdReads >= 0,
            engine.maximumUnmovedMatches >= 0
        else { throw ValidationError("max-watches, max-queues, max-chat-per-minute and the challenge, account, block, report and cold-read limits must not be negative") }
        engine.vacationDaysPerYear = try setting(vacationDays, "PLY_VACATION_DAYS", engine.vacationDaysPerYear)
        guard (0...366).contains(engine.vacationDaysPerYear) else { throw ValidationError("vacation-days must be 0 to 366") }
        for entry in automatchBot {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, GameCatalog.game(parts[0]) != nil, !parts[1].isEmpty else {
                throw ValidationError("automatch-bot takes game=device, with a game Ply plays, not \(entry)")
            }
            engine.automatchBots[parts[0]] = parts[1]
        }
        engine.automatchBotSeconds = automatchBotSeconds ?? engine.automatchBotSeconds
        guard engine.automatchBotSeconds >= 0 else { throw ValidationError("automatch-bot-seconds must not be negative") }
        guard engine.openChallengeSeconds >= 1 else { throw ValidationError("open-challenge-seconds must be positive") }
        if let token = adminToken ?? Environment.value("PLY_ADMIN_TOKEN") {
            guard token.count >= AdminToken.minimumLength, !token.contains(" ") else {
                throw ValidationError("admin-token must be at least \(AdminToken.minimumLength) characters without spaces")
            }
            engine.adminToken = token
        }
        engine.databaseTimeLimitSeconds =
            try setting(databaseTimeoutSeconds, "PLY_DATABASE_TIMEOUT_SECONDS", seconds: engine.databaseTimeLimitSeconds)
        guard engine.databaseTimeLimitSeconds > 0 else { throw ValidationError("database-timeout-seconds must be positive") }
        engine.authFailuresPerConnection =
            try setting(authFailuresPerConnection, "PLY_AUTH_FAILURES_PER_CONNECTION", engine.authFailuresPerConnection)
        engine.authFailuresPerAccount = try setting(authFailuresPerAccount, "PLY_AUTH_FAILURES_PER_ACCOUNT", engine.authFailuresPerAccount)
        engine.authFailuresPerIP = try setting(authFailuresPerIP, "PLY_AUTH_FAILURES_PER_IP", engine.authFailuresPerIP)
        engine.tokenFailuresPerIP = try setting(tokenFailuresPerIP, "PLY_TOKEN_FAILURES_PER_IP", engine.tokenFailuresPerIP)
        guard engine.tokenFailuresPerIP >= 0 else { throw ValidationError("token-failures-per-ip must not be negative") }
        engine.emailConfirmation = emailConfirmation || Environment.value("PLY_EMAIL_CONFIRMATION") == "1"
        let durabilityText = durability ?? Environment.value("PLY_DURABILITY") ?? engine.durability.rawValue
        guard let mode = Durability(rawValue: durabilityText) else {
            throw ValidationError("durability must be grouped or per-move")
        }
        engine.durability = mode
        engine.commitConcurrency = try setting(commitConcurrency, "PLY_COMMIT_CONCURRENCY", engine.commitConcurrency)
        guard (1...16).contains(engine.commitConcurrency) else { throw ValidationError("commit-concurrency must be 1 to 16") }
        engine.commitLanes = Environment.value("PLY_COMMIT_LANES") != "0"
        var identity = engine.identity
        identity.hs256Secret = jwtSecret ?? Environment.value("PLY_JWT_SECRET")
        if let path = jwtJWKSFile ?? Environment.value("PLY_JWT_JWKS_FILE") {
            identity.jwksJSON = try String(contentsOfFile: path, encoding: .utf8)
        }
        identity.issuers = (jwtIssuers ?? Environment.value("PLY_JWT_ISSUERS") ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        identity.audience = jwtAudience ?? Environment.value("PLY_JWT_AUDIENCE") ?? identity.audience
        engine.identity = identity
        app.engine = engine

        app.metricsPort = try metricsPort ?? Environment.int("PLY_METRICS_PORT")
        let shutdown = try shutdownSeconds ?? Environment.int("PLY_SHUTDOWN_SECONDS") ?? PlyApp.defaultShutdownSeconds
        guard shutdown > 0 else { throw ValidationError("shutdown-seconds must be positive") }
        app.shutdownTimeLimit = .seconds(shutdown)
        // Whatever still runs ten seconds after that is not worth a server that never exits.
        app.cancellationTimeLimit = .seconds(10)
        app.dropSchemaOnExit = dropSchemaOnExit || Environment.value("PLY_DROP_SCHEMA_ON_EXIT") == "1"
        if app.dropSchemaOnExit && app.database.schema == nil {
            throw ValidationError("--drop-schema-on-exit needs --schema (or PLY_SCHEMA): it never drops public")
        }
        app.lease = try leaseConfiguration(port: server.port)
        try await app.run()
    }
}
