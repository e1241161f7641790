import Foundation
import Logging
import NIOPosix
import PlyJSON
import PlyRules
import PlyStore
import PostgresNIO
import Synchronization

/// Limits and settings of the engine that an operator may tune.
public struct EngineConfiguration: Sendable {
    /// Failed `AUTH` attempts a connection may make before it is refused.
    public var authFailuresPerConnection = 5
    /// Failed `AUTH` attempts per account (email) within `authWindowSeconds`.
    public var authFailuresPerAccount = 10
    /// Failed `AUTH` attempts per client IP within `authWindowSeconds`.
    public var authFailuresPerIP = 50
    /// Refused session and identity tokens per client IP within `authWindowSeconds`; past
    /// it, each further refusal from that address is answered `tokenRefusalPause` late (0:
    /// never). A guess cannot find a 128-bit token, but each costs a database read, and over
    /// HTTP every request is a new connection, so the per-connection limit does not hold
    /// guessers back. Only refusals wait: a real token from the address is answered at once,
    /// so a guesser slows itself, never the players behind its address.
    public var tokenFailuresPerIP = 300
    public var tokenRefusalPause = Duration.seconds(1)
    /// A linked email gets alerts and digests only once confirmed with the code mailed to it
    /// (`CONFIRM EMAIL`); off, it counts as confirmed when linked, as the protocol describes.
    public var emailConfirmation = false
    public var authWindowSeconds = 900.0
    public var identity = IdentityConfiguration()
    public var passwordCost = PasswordHasher.Cost.standard
    /// Password hashes waiting or running at once; past it `AUTH EMAIL`/`LINK EMAIL` answer
    /// `rate_limited` instead of queueing (each takes tens of milliseconds and 16 MiB).
    public var maximumPasswordJobs = 64
    public var durability = Durability.grouped
    /// Critical transactions in flight at once; moves that arrive meanwhile share the next.
    public var commitConcurrency = 1
    /// Group commits on connections of their own (false: each takes one from the pool).
    public var commitLanes = true
    /// How often turn deadlines are checked against the database.
    public var deadlinePollSeconds = 1.0
    /// Matches and players unused this long leave memory (once durable).
    public var idleSeconds = 600.0
    /// Matches one connection may watch at once.
    public var maximumWatchesPerConnection = 32
    /// Automatch queues (game and settings) one player may wait in at once.
    public var maximumQueuesPerPlayer = 8
    /// Chat lines (`SAY`) one connection may send per minute.
    public var maximumChatPerMinute = 60
    /// Longest any call to PostgreSQL may take (a commit, a read); past it the call fails
    /// with `unavailable` and its connection is closed.
    public var databaseTimeLimitSeconds = 5.0
    /// Open challenges one player may have at once.
    public var maximumOpenChallenges = 5
    /// Invitations one player may have waiting for an answer at once.
    public var maximumPendingInvitations = 20
    /// Challenges (open or invitations) of one player that may end unanswered (withdrawn,
    /// declined, expired) per hour, and invitations from one player to another that may: a
    /// challenger who withdraws each invitation at once would otherwise put events,
    /// notifications and emails on one player's screen without end. Accepted challenges
    /// (rematches) do not count; 0 turns a limit off.
    public var maximumChallengesPerHour = 60
    /// Invitations that may wait for one player's answer, from everyone together: many
    /// cheap accounts could otherwise bury a player's matches and notifications.
    public var maximumInvitationsReceived = 50
    public var maximumInvitationsPerOpponentPerHour = 5
    /// Open challenges nobody accepted within this time end (`expired`).
    public var openChallengeSeconds = 7.0 * 24 * 3600
    /// Accounts created from one client address per hour (device or identity logins); 0
    /// turns the limit off (load generators, test suites).
    public var newAccountsPerAddress = 100
    /// Players one player may block.
    public var maximumBlocks = 1000
    /// Reports one player may file per hour.
    public var maximumReportsPerHour = 20
    /// Active matches waiting for a player's first move (their turn), past which they may not
    /// take an open challenge or queue for automatch (queues they wait in count too): one
    /// account that takes every stranger's game and never moves would hold each for its
    /// first turn (days) before it ends `no_start`. Invitations to the player and bot
    /// accounts are not held back; 0 turns it off.
    public var maximumUnmovedMatches = 5
    /// Matches (`MATCH`, `LEGAL`, `RECORD`, `WATCH`) and players (`PROFILE`) not in memory
    /// that one player may have read in from PostgreSQL per ten minutes, not counting matches
    /// of their own; a client address four times as many. Match ids are sequential: without
    /// it one account could pull every stored match into memory. 0 turns it off (load
    /// generators).
    public var maximumColdReads = 600
    /// Days of vacation a player may take per calendar year (`VACATION`).
    public var vacationDaysPerYear = 30
    /// How often the email digests a window held back are looked for.
    public var digestSweepSeconds = 60.0
    /// Bot accounts that take players waiting alone in automatch, by game: the device id
    /// the bot (`ply bot`) logs in with. The account exists once the bot has logged in.
    public var automatchBots: [String: String] = [:]
    /// How long a player waits in automatch before a bot of `automatchBots` takes them.
    public var automatchBotSeconds = 30.0
    /// Enables operator connections (`AUTH ADMIN <token>`); at least 32 characters.
    public var adminToken: String?

    public init() {}

    var challengeLimits: ChallengeLimits {
        ChallengeLimits(
            maximumOpenChallenges: maximumOpenChallenges, maximumPendingInvitations: maximumPendingInvitations,
            maximumQueuesPerPlayer: maximumQueuesPerPlayer, openChallengeSeconds: openChallengeSeconds,
            maximumChallengesPerHour: maximumChallengesPerHour,
            maximumInvitationsPerOpponentPerHour: maximumInvitationsPerOpponentPerHour,
            maximumInvitationsReceived: maximumInvitationsReceived)
    }
}

/// What every session shares: the storage, the player directory, the credential checks.
/// Immutable after start-up; the mutable parts are actors.
public final class Engine: Sendable {
    public let configuration: EngineConfiguration
    public let logger: Logger
    public let storage: Storage
    var accounts: any AccountStoring { storage.accounts }
    var matchStore: any MatchReading { storage.matches }
    var safety: any SafetyStoring { storage.safety }
    public let players: PlayerDirectory
    public let matches: MatchDirectory
    /// The PostgreSQL writer (nil when the storage is not PostgreSQL).
    public var writer: DatabaseWriter? { storage.databaseWriter }
    let passwords: PasswordHasher
    let identities: IdentityVerifier
    let authGuard: AuthGuard
    public let counters: Counters
    /// Fed by the server's loop probe; read by `STATS`.
    public let loopLag = EventLoopLag()
    let threadPool: NIOThreadPool

    /// An engine on PostgreSQL. `lanes`: how to open the group-commit connections
    /// (`configuration.commitLanes`); without it, group commits use the client's pool.
    public convenience init(
        client: PostgresClient, lanes: PostgresConnection.Configuration? = nil, configuration: EngineConfiguration,
        logger: Logger
    ) async throws {
        try await self.init(
            storage: .postgres(client: client, lanes: lanes, configuration: configuration, logger: logger),
            configuration: configuration, logger: logger)
    }

    /// An engine on any storage (`MemoryStorage` in tests). `now` is the clock of matches:
    /// turn deadlines, and the times stored with moves and results.
    public init(
        storage: Storage, configuration: EngineConfiguration, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) async throws {
        self.configuration = configuration
        self.logger = logger
        self.storage = storage
        let metrics = EngineMetrics()
        counters = Counters(metrics: metrics)
        let players = PlayerDirectory(storage: storage, metrics: metrics)
        self.players = players
        // The players' profiles show the new stats; a player not in memory reads them later.
        let reads = storage.matches
        let ratings = RatingDesk(
            writer: storage.commits, logger: logger,
            rated: { rows in for row in rows { await players.resident(row.player)?.setStats(row) } }
        ) { players, game in
            try await reads.stats(of: players, game: game)
        }
        matches = MatchDirectory(
            store: storage.matches, safety: storage.safety,
            env: MatchEnvironment(
                writer: storage.commits, lazyWrites: storage.lazyWrites, conditionals: storage.conditionals,
                ratings: ratings, players: players,
                challenges: ChallengeLedger(limits: configuration.challengeLimits), logger: logger, now: now),
            limits: configuration.challengeLimits, metrics: metrics)
        threadPool = NIOThreadPool(numberOfThreads: max(2, System.coreCount))
        threadPool.start()
        passwords = PasswordHasher(pool: threadPool, cost: configuration.passwordCost, maximumJobs: configuration.maximumPasswordJobs)
        identities = try await IdentityVerifier(configuration.identity)
        authGuard = AuthGuard(configuration)
    }

    /// One pass of the deadline poll, now: ends the matches whose turn deadline passed by the
    /// matches' clock, expires stale open challenges and sends due reminders; returns how many
    /// matches it acted on. `runMaintenance` runs it every `deadlinePollSeconds`; a test that
    /// moves the clock runs it at once.
    @discardableResult
    public func pollDeadlines() async throws -> Int {
        try await matches.expireOverdue()
    }

    /// Until cancelled: ends matches whose turn deadline passed (polling the database, so
    /// deadlines that passed while the server was down end at start-up), and lets idle
    /// matches and players leave memory.
    public func runMaintenance() async {
        let interval = Duration.milliseconds(Int(configuration.deadlinePollSeconds * 1000))
        let evictEvery = max(0.2, min(configuration.idleSeconds / 4, 30))
        var lastEviction = Date()
        var lastDigests = Date()
        var bots = AutomatchBots(devices: configuration.automatchBots)
        while !Task.isCancelled {
            do {
                try await matches.expireOverdue()
            } catch {
                logger.warning("deadline poll failed", metadata: ["error": "\(error)"])
            }
            if let digests = storage.digests, Date().timeIntervalSince(lastDigests) >= configuration.digestSweepSeconds {
                lastDigests = Date()
                do {
                    _ = try await digests.sendDueDigests(limit: 500)
                } catch {
                    logger.warning("digest sweep failed", metadata: ["error": "\(error)"])
                }
            }
            if !configuration.automatchBots.isEmpty {
                do {
                    let players = try await bots.resolve(accounts: accounts, logger: logger)
                    try await matches.pairWithBots(players, after: configuration.automatchBotSeconds) { GameCatalog.game($0) }
                } catch {
                    logger.warning("automatch bot pass failed", metadata: ["error": "\(error)"])
                }
            }
            if Date().timeIntervalSince(lastEviction) >= evictEvery {
                lastEviction = Date()
                let cutoff = Date().addingTimeInterval(-configuration.idleSeconds)
                let m = await matches.evictIdle(before: cutoff)
                let p = await players.evictIdle(before: cutoff)
                if m + p > 0 {
                    logger.debug("evicted idle state", metadata: ["matches": "\(m)", "players": "\(p)"])
                }
            }
            try? await Task.sleep(for: min(interval, .milliseconds(Int(evictEvery * 1000))))
        }
    }

    /// The bot accounts of `automatchBots`, found by their device ids once their bots have
    /// logged in; a device still unknown is looked up again on each pass and warned of once.
    struct AutomatchBots {
        var devices: [String: String]
        var players: [String: String] = [:]
        var warned: Set<String> = []

        mutating func resolve(accounts: any AccountStoring, logger: Logger) async throws -> [String: String] {
            for (game, device) in devices where players[game] == nil {
                if let id = try await accounts.playerForDevice(DeviceCredential.hash(device)) {
                    players[game] = id
                    logger.info("automatch bot found", metadata: ["game": "\(game)", "player": "\(id)"])
                } else if warned.insert(game).inserted {
                    logger.warning(
                        "automatch bot account unknown; skipped until its bot logs in", metadata: ["game": "\(game)"])
                }
            }
            return players
        }
    }

    /// The server's counters, as `STATS` returns them and the metrics export them. The
    /// writer's figures are zero when the storage has no `DatabaseWriter`.
    public func statsSnapshot() async -> JSONObject {
        let w = writer
        let recent = await w?.recentCommits() ?? LatencySummary(sorted: [])
        let histogram = await w?.commitHistogram ?? DurationHistogram()
        let lag = loopLag.summary()
        return [
            "connections": .int(counters.connections.load(ordering: .relaxed)),
            "connections_total": .int(counters.connectionsTotal.load(ordering: .relaxed)),
            "requests": .int(counters.requests.load(ordering: .relaxed)),
            "players_in_memory": .int(players.count),
            "matches_in_memory": .int(matches.count),
            "player_loads": .int(players.loads),
            "player_evictions": .int(await players.evictions),
            "match_loads": .int(matches.loads),
            "match_evictions": .int(await matches.evictions),
            "pending_critical_writes": .int(await w?.waiting ?? 0),
            "pending_lazy_writes": .int(await w?.lazyWaiting ?? 0),
            "commits": .int(await w?.commits ?? 0),
            "rows_committed": .int(await w?.rowsCommitted ?? 0),
            "failed_commits": .int(await w?.failedCommits ?? 0),
            "last_commit_ms": .double(Self.milliseconds(await w?.lastCommitSeconds ?? 0)),
            "commit_p50_ms": recent.p50.map { .double(Self.milliseconds($0 / 1000)) } ?? .null,
            "commit_p99_ms": recent.p99.map { .double(Self.milliseconds($0 / 1000)) } ?? .null,
            "commit_max_ms": .double(Self.milliseconds(histogram.maximum / 1000)),
            "commit_histogram_ms": .array(histogram.buckets.map { [.double($0.upperBound), .int($0.count)] }),
            "lazy_flushes": .int(await w?.lazyFlushes ?? 0),
            "lazy_rows_flushed": .int(await w?.lazyRowsFlushed ?? 0),
            "last_flush_ms": .double(Self.milliseconds(await w?.lastFlushSeconds ?? 0)),
            "database_down": .bool(await w?.databaseDown ?? false),
            // The primary lease's epoch this server writes under; -1 without a lease.
            "lease_epoch": .int(Int(w?.fence.epoch ?? -1)),
            "durability": .string(w?.durability.rawValue ?? "memory"),
            "rss_bytes": .int(ProcessMemory.residentBytes()),
            "event_loop_lag_p50_ms": lag.p50.map { .double(Self.rounded($0)) } ?? .null,
            "event_loop_lag_p99_ms": lag.p99.map { .double(Self.rounded($0)) } ?? .null,
            "event_loop_lag_max_ms": lag.max.map { .double(Self.rounded($0)) } ?? .null,
        ]
    }

    static func milliseconds(_ s: Double) -> Double { rounded(s * 1000) }
    /// Milliseconds to the microsecond.
    static func rounded(_ ms: Double) -> Double { (ms * 1000).rounded() / 1000 }

    /// Stops the hashing threads; call after the last session is gone.
    public func shutdown() async {
        await writer?.closeLanes()
        try? await threadPool.shutdownGracefully()
    }
}

/// Rate limits for logins and for making accounts. Password attempts (and operator
/// tokens) count against their account and their client address from the moment they start,
/// so guesses sent in parallel meet the limit before any of them is checked; one that turns
/// out right is taken back. Refused session and identity tokens count per address too; past
/// their limit a refusal is answered late, which slows a guesser to one guess a second per
/// connection (its connections are bounded by the limit per address), while good tokens,
/// devices and passwords from the address are answered at once, so one attacker behind a
/// shared address locks no one out.
actor AuthGuard {
    private var perAccount: AttemptLimiter
    private var perAddress: AttemptLimiter
    /// Nil when the limit is off.
    private var tokenFailures: AttemptLimiter?
    /// Nil when the limit is off.
    private var newAccounts: AttemptLimiter?
    private var reports: AttemptLimiter
    private var exports = AttemptLimiter(limit: 10, window: 3600)
    /// Wrong email confirmation codes per player, and codes mailed per player.
    private var codes = AttemptLimiter(limit: 10, window: 900)
    private var codesMailed = AttemptLimiter(limit: 3, window: 3600)
    /// Reads of matches and players not in memory, per player and per client address
    /// (nil when off).
    private var coldReads: PlayerAndAddressLimit?
    /// `LINK EMAIL`s answered "belongs to another account", per player and per client address.
    private var emailsTaken = PlayerAndAddressLimit(perPlayer: 10, perAddress: 30, window: 3600)
    private let start = ContinuousClock.now

    init(_ c: EngineConfiguration) {
        perAccount = AttemptLimiter(limit: c.authFailuresPerAccount, window: c.authWindowSeconds)
        perAddress = AttemptLimiter(limit: c.authFailuresPerIP, window: c.authWindowSeconds)
        tokenFailures = c.tokenFailuresPerIP > 0 ? AttemptLimiter(limit: c.tokenFailuresPerIP, window: c.authWindowSeconds) : nil
        newAccounts = c.newAccountsPerAddress > 0 ? AttemptLimiter(limit: c.newAccountsPerAddress, window: 3600) : nil
        reports = AttemptLimiter(limit: c.maximumReportsPerHour, window: 3600)
        if c.maximumColdReads > 0 {
            coldReads = PlayerAndAddressLimit(perPlayer: c.maximumColdReads, perAddress: 4 * c.maximumColdReads, window: 600)
        }
    }

    private var now: Double {
        (ContinuousClock.now - start).seconds
    }

    /// An admitted password attempt, to settle when its check is done.
    struct Ticket: Sendable {
        var account: String?
        var address: String
        var at: Double
    }

    /// Admits a password attempt (for `account`, if it names one), or returns nil when its
    /// account or its address has failed too often.
    func beginPassword(account: String?, address: String) -> Ticket? {
        let t = now
        if let account, !perAccount.allows(account, now: t) { return nil }
        guard perAddress.allows(address, now: t) else { return nil }
        if let account { perAccount.record(account, now: t) }
        perAddress.record(address, now: t)
        return Ticket(account: account, address: address, at: t)
    }

    /// The attempt ended: a wrong credential keeps counting, anything else is taken back.
    func settle(_ ticket: Ticket, refused: Bool) {
        guard !refused else { return }
        if let account = ticket.account { perAccount.withdraw(account, recordedAt: ticket.at) }
        perAddress.withdraw(ticket.address, recordedAt: ticket.at)
    }

    /// A session or identity token from `address` was refused: whether its refusal should be
    /// answered late (the address is past its limit). Refusals in flight at once are counted
    /// as each ends, so a burst may pass the limit by as many as it has connections.
    func tokenRefused(address: String) -> Bool {
        guard tokenFailures != nil else { return false }
        let t = now
        let over = !tokenFailures!.allows(address, now: t)
        tokenFailures!.record(address, now: t)
        return over
    }

    /// Admits the creation of an account from `address`, or returns nil past the hourly
    /// limit. `withdraw` takes it back when no account was made after all.
    func beginNewAccount(address: String) -> Double? {
        guard newAccounts != nil else { return 0 }
        let t = now
        return newAccounts?.admit(address, now: t) == true ? t : nil
    }

    func withdrawNewAccount(address: String, at t: Double) {
        newAccounts?.withdraw(address, recordedAt: t)
    }

    /// Admits a read of a match or player not in memory by `player` from `address`, counted
    /// from its start (nil past the player's or the address's budget); `withdrawColdRead`
    /// takes back one that found a match of the player's own.
    func beginColdRead(player: String, address: String) -> Double? {
        let t = now
        guard coldReads != nil else { return t }
        return coldReads!.admit(player: player, address: address, now: t) ? t : nil
    }

    func withdrawColdRead(player: String, address: String, at t: Double) {
        coldReads?.withdraw(player: player, address: address, recordedAt: t)
    }

    /// Admits a `LINK EMAIL`, counted from its start against `player` (10 an hour) and
    /// `address` (30 an hour), so that tries at once meet the limits together; nil past one.
    /// Only a try that found the address taken keeps counting (`withdrawEmailLink` takes back
    /// the others): each such answer tells whether an address is registered.
    func beginEmailLink(player: String, address: String) -> Double? {
        let t = now
        return emailsTaken.admit(player: player, address: address, now: t) ? t : nil
    }

    func withdrawEmailLink(player: String, address: String, at t: Double) {
        emailsTaken.withdraw(player: player, address: address, recordedAt: t)
    }

    /// Whether `player` may export their data again (10 times an hour), counting it if so.
    func mayExport(_ player: String) -> Bool { exports.admit(player, now: now) }

    /// Admits a try of a confirmation code by `player`, counted from its start (as password
    /// attempts are), so tries sent at once on many connections meet the limit of 10 in 15
    /// minutes before any is checked; nil past it. `settle` takes back one that was not wrong.
    func beginCode(_ player: String) -> Double? {
        let t = now
        return codes.admit(player, now: t) ? t : nil
    }

    func settleCode(_ player: String, startedAt t: Double, wrong: Bool) {
        if !wrong { codes.withdraw(player, recordedAt: t) }
    }

    /// Whether a code may be mailed to `player`'s address (3 an hour), counting it if so.
    func mayMailCode(_ player: String) -> Bool { codesMailed.admit(player, now: now) }

    /// Admits a report by `player`, counted from its start, so reports sent at once on many
    /// connections meet the hourly limit before any is filed; nil past it. `withdrawReport`
    /// takes back one that was not filed.
    func beginReport(_ player: String) -> Double? {
        let t = now
        return reports.admit(player, now: t) ? t : nil
    }

    func withdrawReport(_ player: String, startedAt t: Double) { reports.withdraw(player, recordedAt: t) }
}

/// Server-wide counters for `STATS`, updated without an actor hop on the request path.
public final class Counters: Sendable {
    let metrics: EngineMetrics

    init(metrics: EngineMetrics) { self.metrics = metrics }

    public let connections = Atomic<Int>(0)
    public let connectionsTotal = Atomic<Int>(0)
    public let requests = Atomic<Int>(0)

    func connected() {
        let open = connections.add(1, ordering: .relaxed).newValue
        connectionsTotal.add(1, ordering: .relaxed)
        metrics.connections(open, opened: true)
    }
    func disconnected() { metrics.connections(connections.subtract(1, ordering: .relaxed).newValue, opened: false) }
    func request() {
        requests.add(1, ordering: .relaxed)
        metrics.request()
    }
}
