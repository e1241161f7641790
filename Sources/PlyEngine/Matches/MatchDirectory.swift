import Foundation
import Logging
import PlyJSON
import PlyProtocol
import PlyRules
import PlyStore
import Synchronization

/// The matches in memory, loaded from storage on first access by replaying their plies,
/// and the automatch queues.
public actor MatchDirectory {
    let store: any MatchReading
    let safety: any SafetyStoring
    let env: MatchEnvironment
    let limits: ChallengeLimits
    private let residents: ResidentSet<Match>
    private let metrics: EngineMetrics
    /// Players waiting for an opponent, by game and game-specific settings.
    private var queues: [String: [String]] = [:]
    /// How many queues each waiting player is in.
    private var queued: [String: Int] = [:]
    var maximumQueuesPerPlayer: Int { limits.maximumQueuesPerPlayer }
    /// The stored queues, read on the first automatch request (after migrations).
    private var queuesLoaded = false
    private var queueLoad: Task<[(key: String, player: String)], any Error>?
    /// When each player joined each queue (by `waitKey`), for handing them to a bot; a
    /// queue read back from storage counts from the read. Entries of players no longer
    /// waiting are swept by `pairWithBots`.
    private var waitingSince: [String: Date] = [:]
    /// The match each player was last handed to a bot in, so a player waits for that one
    /// to end before being handed another (kept in memory: a restart forgets it).
    private var botMatches: [String: String] = [:]

    init(store: any MatchReading, safety: any SafetyStoring, env: MatchEnvironment, limits: ChallengeLimits, metrics: EngineMetrics) {
        residents = ResidentSet(.match, metrics: metrics)
        self.metrics = metrics
        self.store = store
        self.safety = safety
        self.env = env
        self.limits = limits
    }

    public nonisolated var count: Int { residents.count }
    /// Whether the match is in memory now (a read of it costs no query).
    nonisolated func isResident(_ id: String) -> Bool { residents.resident(id) != nil }
    public nonisolated var loads: Int { residents.loads }
    public private(set) var evictions = 0

    /// The match, from memory or loaded from storage by replaying its plies.
    /// A retired match still in the set (its commit's outcome was unknown) is replaced.
    nonisolated(nonsending) func match(_ id: String) async throws -> Match? {
        // Every request on a match looks it up: a resident one without making the loader.
        if let m = residents.resident(id), !m.retired { return m }
        let (store, env) = (self.store, self.env)
        for _ in 0..<3 {
            let m = try await residents.value(id) {
                // The conditional lines are read beside the match, not after it: no second wait.
                async let lines = env.conditionals.conditionalLines(of: id)
                guard let (row, plies) = try await store.match(id) else { return nil }
                return try Self.make(row, plies: plies, lines: try await lines, env: env)
            }
            guard let m, m.retired else { return m }
            _ = residents.evict(id, ifStill: m)
        }
        throw PlyError.unavailable("the match is being reloaded; retry")
    }

    /// The connection no longer watches the match (in memory or not).
    nonisolated func unwatch(_ id: String, connection: Int) {
        env.watchers.remove(id, connection: connection)
    }

    /// Lets go of matches nobody has used since `cutoff`; they come back on next access.
    @discardableResult
    func evictIdle(before cutoff: Date) async -> Int {
        var n = 0
        for (id, m) in residents.snapshot where await m.retireIfIdle(before: cutoff) {
            if residents.evict(id, ifStill: m) { n += 1 }
        }
        evictions += n
        metrics.evicted(.match, n)
        return n
    }

    static func make(_ row: MatchRow, plies: [String], lines: [String: [String]] = [:], env: MatchEnvironment) throws -> Match {
        guard let rules = GameCatalog.game(row.game) else { throw PlyError(.internal, "unknown game \(row.game)") }
        let json = try JSONValue.parseObject(row.settings)
        let settings = try MatchSettings(json, rules: rules)
        var state = try MatchState(row: row, rules: rules, settings: settings, plies: plies)
        state.adoptStoredLines(lines)
        return Match(state, env: env)
    }

    /// Creates a challenge (to one player, or open), durable before it returns. Each player
    /// has at most `maximumOpenChallenges` open challenges and `maximumPendingInvitations`
    /// invitations waiting, and one waiting invitation per opponent and game (the
    /// `ChallengeLedger` counts them).
    func challenge(from creator: String, to invitee: String?, rules: any GameRules, settings: MatchSettings) async throws -> Match {
        try await reserveChallenge(from: creator, to: invitee, game: rules.id)
        let othersInFlight = invitee.map { env.challenges.starting("to " + $0) }
        defer { if let invitee { env.challenges.done("to " + invitee) } }
        do {
            // Past the cap only players who played the invitee before get through: strangers
            // filling it cannot keep the invitee's opponents out.
            if let invitee, let othersInFlight,
                try await safety.waitingInvitations(for: invitee) + othersInFlight >= env.challenges.limits.maximumInvitationsReceived,
                try await !safety.havePlayed(creator, invitee)
            {
                throw PlyError(.rateLimited, "\(invitee) has too many invitations waiting; try later")
            }
            return try await makeChallenge(from: creator, to: invitee, rules: rules, settings: settings)
        } catch {
            // Not made; or perhaps made, when the insert's outcome is unknown: then read again.
            if StoreError.classify(error)?.code == .outcomeUnknown {
                env.challenges.forget(creator)
            } else {
                env.challenges.release(creator: creator, invitee: invitee, game: rules.id)
            }
            throw PlyError(failure: error)
        }
    }

    /// Counts the challenge in the ledger, reading the player's waiting challenges from the
    /// database first if they are not held; throws `rate_limited` past a cap.
    private func reserveChallenge(from creator: String, to invitee: String?, game: String) async throws {
        while true {
            switch env.challenges.reserve(creator: creator, invitee: invitee, game: game, now: env.now().timeIntervalSince1970) {
            case .reserved:
                return
            case .refused(let why):
                throw why
            case .unknown:
                let generation = env.challenges.readStarting(creator)
                let stored: (open: Int, invitations: [(invitee: String, game: String)])
                do {
                    stored = try await safety.pendingChallenges(of: creator)
                } catch {
                    throw PlyError(failure: error)
                }
                let keys = stored.invitations.map { ChallengeLedger.invitation($0.invitee, $0.game) }
                env.challenges.load(creator, ChallengeLedger.Pending(open: stored.open, invitations: Set(keys)), readAt: generation)
            }
        }
    }

    private func makeChallenge(from creator: String, to invitee: String?, rules: any GameRules, settings: MatchSettings)
        async throws -> Match
    {
        var settings = settings
        if settings.isPublic == nil { settings.isPublic = invitee == nil }
        let id = try await store.newMatchID()
        let now = env.now().wholeSeconds
        let row = MatchRow(
            id: id, game: rules.id, settings: JSONValue.object(settings.json(rules: rules)).description,
            status: invitee == nil ? .open : .invited, creator: creator, invitee: invitee, createdAt: now, updatedAt: now)
        let m = try Self.make(row, plies: [], env: env)
        try await env.writer.commit([.insertMatch(row)])
        residents.adopt(id, m)
        return m
    }

    public enum QueueOutcome: Sendable {
        case waiting
        case paired(Match)
    }

    /// Whether the player waits in the queue `key`.
    func isWaiting(_ player: String, key: String) async throws -> Bool {
        try await loadQueues()
        return queues[key]?.contains(player) ?? false
    }

    /// How many automatch queues the player waits in.
    func queueCount(_ player: String) async throws -> Int {
        try await loadQueues()
        return queued[player, default: 0]
    }

    /// Joins automatch; pairs at once with someone waiting for the same game and settings.
    func queue(_ player: String, rules: any GameRules, settings: MatchSettings) async throws -> QueueOutcome {
        try await loadQueues()
        let key = settings.pairingKey(rules: rules)
        let opponent = try await firstPairable(with: player, in: key)
        var waiting = queues[key, default: []]
        guard let opponent, let opponentIndex = waiting.firstIndex(of: opponent) else {
            guard !waiting.contains(player) else { return .waiting }
            // Each distinct setting is a queue of its own (and a stored row), so how many one
            // player waits in is limited.
            let limit = maximumQueuesPerPlayer
            if queued[player, default: 0] >= limit {
                throw PlyError(.rateLimited, "you wait in \(limit) automatch queues already; UNQUEUE one first")
            }
            // Written before the first wait, so a request running meanwhile sees it.
            queues[key, default: []].append(player)
            queued[player, default: 0] += 1
            waitingSince[Self.waitKey(key, player)] = env.now()
            await env.lazyWrites.lazy(.queued(player: player, pairingKey: key, at: env.now()))
            return .waiting
        }
        // Taken out of the queue before the first wait, so no other request pairs them too.
        waiting.remove(at: opponentIndex)
        queues[key] = waiting.isEmpty ? nil : waiting
        leftQueue(opponent)
        let m: Match
        do {
            m = try await startAutomatchMatch(rules: rules, settings: settings, waiting: opponent, arriving: player)
        } catch {
            // Nothing happened: the opponent keeps their place (once, even if they queued again meanwhile).
            if !(queues[key]?.contains(opponent) ?? false) {
                queues[key, default: []].insert(opponent, at: 0)
                queued[opponent, default: 0] += 1
            }
            throw PlyError(failure: error)
        }
        await env.lazyWrites.lazy(.unqueued(player: opponent, pairingKey: key))
        residents.adopt(m.id, m)
        await m.announceStart()
        return .paired(m)
    }

    /// Creates and stores an automatch match between a player who waited and one who came:
    /// seats are random, the time per turn is the one both asked for, anyone may watch.
    private func startAutomatchMatch(rules: any GameRules, settings: MatchSettings, waiting: String, arriving: String) async throws -> Match {
        var s = settings
        s.side = .random
        s.isPublic = true
        let id = try await store.newMatchID()
        let now = env.now().wholeSeconds
        var seats = [waiting, arriving]
        if Bool.random() { seats.reverse() }
        var row = MatchRow(
            id: id, game: rules.id, settings: JSONValue.object(s.json(rules: rules)).description, status: .active,
            creator: waiting, invitee: arriving, seats: seats, createdAt: now, updatedAt: now)
        row.toMove = seats[0]
        row.deadline = now.addingTimeInterval(Double(s.turnSeconds))
        MatchState.openClock(&row, settings: s, now: now)
        let m = Match(try MatchState(row: row, rules: rules, settings: s, plies: []), env: env)
        try await env.writer.commit([.insertMatch(row)])
        return m
    }

    /// The first player waiting in `key` that neither blocked `player` nor was blocked by
    /// them, or nil when there is none. Each check may load a player (a suspension, during
    /// which other requests change the queue), so the answer holds only up to the next
    /// suspension: when it returns, the player named is still waiting, and when it returns
    /// nil, no pairable player is waiting (nobody arrived unchecked meanwhile).
    private func firstPairable(with player: String, in key: String) async throws -> String? {
        var cleared: Set<String> = []
        var refused: Set<String> = []
        while true {
            guard let next = queues[key, default: []].first(where: { $0 != player && !refused.contains($0) }) else { return nil }
            if cleared.contains(next) { return next }
            if try await env.players.blockedEitherWay(player, next) { refused.insert(next) } else { cleared.insert(next) }
        }
    }

    private func leftQueue(_ player: String) {
        let n = queued[player, default: 0] - 1
        queued[player] = n > 0 ? n : nil
    }

    /// Reads the stored queues once; requests that arrive meanwhile wait for the same read.
    private func loadQueues() async throws {
        guard !queuesLoaded else { return }
        let load = queueLoad ?? Task { [store] in try await store.automatchQueue() }
        queueLoad = load
        let rows: [(key: String, player: String)]
        do {
            rows = try await load.value
        } catch {
            queueLoad = nil
            throw PlyError.unavailable()
        }
        guard !queuesLoaded else { return }
        for (key, player) in rows where !(queues[key]?.contains(player) ?? false) {
            queues[key, default: []].append(player)
            queued[player, default: 0] += 1
            waitingSince[Self.waitKey(key, player)] = env.now()
        }
        queuesLoaded = true
    }

    private static func waitKey(_ key: String, _ player: String) -> String { key + "\n" + player }

    /// Hands each player who has waited in automatch longer than `after` seconds to the bot
    /// account of the game (`bots`: game id to player id), as if the bot had queued too.
    /// Skipped: the bot itself, a player who blocked the bot or whom it blocked, and a player
    /// whose last bot match is still running (so one player cannot pile matches onto the
    /// bot from many queues). Returns the matches started.
    @discardableResult
    func pairWithBots(_ bots: [String: String], after seconds: Double, rules: (String) -> (any GameRules)?) async throws -> [Match] {
        guard !bots.isEmpty else { return [] }
        try await loadQueues()
        let cutoff = env.now().addingTimeInterval(-seconds)
        waitingSince = waitingSince.filter { entry in
            let parts = entry.key.split(separator: "\n", maxSplits: 1).map(String.init)
            return parts.count == 2 && (queues[parts[0]]?.contains(parts[1]) ?? false)
        }
        var started: [Match] = []
        for (key, list) in queues {
            let game = String(key.prefix { $0 != " " })
            guard let bot = bots[game], let gameRules = rules(game) else { continue }
            for player in list where player != bot {
                guard let since = waitingSince[Self.waitKey(key, player)], since <= cutoff else { continue }
                if let last = botMatches[player] {
                    if let m = try await match(last), await !m.state.status.isOver { continue }
                    botMatches[player] = nil
                }
                if try await env.players.blockedEitherWay(player, bot) { continue }
                // The checks waited: the player may have been paired or left meanwhile.
                guard var waiting = queues[key], let index = waiting.firstIndex(of: player) else { continue }
                let settingsText = String(key.dropFirst(game.count + 1))
                guard let json = try? JSONValue.parseObject(settingsText),
                    let settings = try? MatchSettings(json, rules: gameRules)
                else {
                    env.logger.warning("automatch queue key unreadable", metadata: ["key": "\(key)"])
                    continue
                }
                waiting.remove(at: index)
                queues[key] = waiting.isEmpty ? nil : waiting
                leftQueue(player)
                let m: Match
                do {
                    m = try await startAutomatchMatch(rules: gameRules, settings: settings, waiting: player, arriving: bot)
                } catch {
                    if !(queues[key]?.contains(player) ?? false) {
                        queues[key, default: []].insert(player, at: 0)
                        queued[player, default: 0] += 1
                    }
                    throw error
                }
                botMatches[player] = m.id
                await env.lazyWrites.lazy(.unqueued(player: player, pairingKey: key))
                residents.adopt(m.id, m)
                await m.announceStart()
                env.logger.info("automatch handed to bot", metadata: ["player": "\(player)", "bot": "\(bot)", "match": "\(m.id)"])
                started.append(m)
            }
        }
        return started
    }

    /// Leaves every automatch queue of a game; returns whether the player was queued.
    func unqueue(_ player: String, game: String) async throws -> Bool {
        try await loadQueues()
        var found = false
        for (key, list) in queues where key.hasPrefix(game + " ") && list.contains(player) {
            found = true
            let rest = list.filter { $0 != player }
            queues[key] = rest.isEmpty ? nil : rest
            leftQueue(player)
            await env.lazyWrites.lazy(.unqueued(player: player, pairingKey: key))
        }
        return found
    }

    /// Ends the matches whose deadlines passed and the open challenges nobody took in time;
    /// returns how many were checked.
    @discardableResult
    func expireOverdue() async throws -> Int {
        let now = env.now()
        let ids = try await store.overdue(now: now)
        for id in ids {
            do {
                try await match(id)?.expireIfOverdue()
            } catch {
                env.logger.warning("deadline check failed", metadata: ["match": "\(id)", "error": "\(error)"])
            }
        }
        let cutoff = now.addingTimeInterval(-limits.openChallengeSeconds)
        let stale = try await safety.expiredOpenChallenges(before: cutoff)
        for id in stale {
            do {
                try await match(id)?.expireIfStale(before: cutoff)
            } catch {
                env.logger.warning("open challenge expiry failed", metadata: ["match": "\(id)", "error": "\(error)"])
            }
        }
        return ids.count + stale.count + (try await remindDue(now: now))
    }

    /// Sends `deadline_soon` to the players to move whose reminder time passed, once per turn;
    /// returns how many matches were due. The same poll as deadlines: no timer per match.
    @discardableResult
    func remindDue(now: Date) async throws -> Int {
        let due = try await store.dueReminders(now: now)
        for id in due {
            do {
                try await match(id)?.remindIfDue()
            } catch {
                env.logger.warning("deadline reminder failed", metadata: ["match": "\(id)", "error": "\(error)"])
            }
        }
        return due.count
    }

    /// Takes the player out of every automatch queue (the account is going).
    func unqueueAll(_ player: String) async throws {
        try await loadQueues()
        for (key, list) in queues where list.contains(player) {
            let rest = list.filter { $0 != player }
            queues[key] = rest.isEmpty ? nil : rest
            leftQueue(player)
            await env.lazyWrites.lazy(.unqueued(player: player, pairingKey: key))
        }
    }
}

/// The per-player limits on challenges and automatch.
struct ChallengeLimits: Sendable {
    var maximumOpenChallenges = 5
    var maximumPendingInvitations = 20
    var maximumQueuesPerPlayer = 8
    /// Open challenges nobody accepted within this time end `aborted` (`expired`).
    var openChallengeSeconds = 7.0 * 24 * 3600
    var maximumChallengesPerHour = 60
    var maximumInvitationsPerOpponentPerHour = 5
    var maximumInvitationsReceived = 50
}
