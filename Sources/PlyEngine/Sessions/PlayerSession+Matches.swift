import Foundation
import PlyJSON
import PlyProtocol
import PlyRules
import PlyStore

extension PlayerSession {
    func me() throws(PlyError) -> Player {
        guard let player else { throw PlyError.unauthenticated("log in first") }
        return player
    }

    func rules(_ game: String) throws(PlyError) -> any GameRules {
        guard let r = GameCatalog.game(game.lowercased()) else {
            throw PlyError.notFound("no game \"\(game)\"; GAMES lists them")
        }
        return r
    }

    /// The match, for any request of this session. A player's request for one not in memory
    /// reads it in only within the player's and the address's budget of cold reads
    /// (`rate_limited` past it), given back when the match is the player's own, and one of
    /// their own is read in past the budget too (after a lookup by key), so a player can
    /// always play their games. An id that does not exist keeps counting (walking ids costs
    /// a query each); a read that failed is given back. Operators have no budget.
    func existingMatch(_ id: String) async throws -> Match {
        guard let me = player, !engine.matches.isResident(id) else { return try await loadMatch(id) }
        let address = remoteAddress
        guard let started = await engine.authGuard.beginColdRead(player: me.id, address: address) else {
            let own: Bool
            do {
                own = try await engine.safety.participates(me.id, in: id)
            } catch {
                throw PlyError(failure: error)
            }
            guard own else { throw Self.coldReadRefusal }
            return try await loadMatch(id)
        }
        let m: Match
        do {
            m = try await loadMatch(id)
        } catch let e as PlyError where e.code == .notFound {
            throw e
        } catch {
            await engine.authGuard.withdrawColdRead(player: me.id, address: address, at: started)
            throw error
        }
        if await m.isParticipant(me.id) { await engine.authGuard.withdrawColdRead(player: me.id, address: address, at: started) }
        return m
    }

    private func loadMatch(_ id: String) async throws -> Match {
        guard let m = try await engine.matches.match(id) else { throw PlyError.notFound("no match \(id)") }
        return m
    }

    static let coldReadRefusal = PlyError(.rateLimited, "too many matches and players read from storage; retry later")

    /// Runs `start` (taking an open challenge, queueing for automatch) only while the player
    /// has fewer than `maximumUnmovedMatches` active matches waiting for their first move,
    /// counting those being started at the same moment and the queues they wait in (each may
    /// pair them); `rate_limited` otherwise.
    func withinUnmovedCap<T>(_ me: Player, _ start: () async throws -> T) async throws -> T {
        let cap = engine.configuration.maximumUnmovedMatches
        guard cap > 0, await !me.isBot else { return try await start() }
        let ledger = engine.matches.env.challenges
        let key = "start " + me.id
        let others = ledger.starting(key)
        defer { ledger.done(key) }
        let queues = try await engine.matches.queueCount(me.id)
        let unmoved: Int
        do {
            unmoved = try await engine.safety.unmovedMatches(of: me.id)
        } catch {
            throw PlyError(failure: error)
        }
        guard unmoved + others + queues < cap else {
            throw PlyError(.rateLimited, "\(unmoved) of your matches wait for your first move; move in them first")
        }
        return try await start()
    }

    /// Runs a change on a match, looking it up again if its actor was let go meanwhile; one
    /// not in memory is read in as `existingMatch` reads it, within the budget.
    func onMatch<T>(_ id: String, _ body: (Match) async throws -> T) async throws -> T {
        if player != nil, !engine.matches.isResident(id) { _ = try await existingMatch(id) }
        return try await engine.onMatch(id, body)
    }

    func challenge(opponent: String?, game: String, settings json: JSONObject) async throws -> Reply {
        let me = try me()
        let rules = try rules(game)
        let settings = try MatchSettings(json, rules: rules)
        if let opponent {
            let invitee = try await otherPlayer(opponent, me: me, what: "challenge")
            guard await !invitee.hasBlocked(me.id), invitee.isInGoodStanding() else {
                throw PlyError.forbidden("\(opponent) does not take your challenges")
            }
        }
        let match = try await engine.matches.challenge(from: me.id, to: opponent, rules: rules, settings: settings)
        if let opponent, let invitee = try await engine.players.player(opponent) {
            await invitee.notifyIfAway(kind: "challenge", match: match.id)
            await invitee.deliver(
                Event("challenge", [
                    "match": .string(match.id), "game": .string(rules.id), "from": .string(me.id),
                    "settings": .object(settings.json(rules: rules)),
                ]))
        }
        return .ok(["match": .string(match.id)])
    }

    /// The lobby: the newest open challenge of each creator, newest first, leaving out
    /// players this one blocked.
    func openChallenges(game: String?) async throws -> Reply {
        let me = try me()
        if let game { _ = try rules(game) }
        let since = Date().addingTimeInterval(-engine.configuration.openChallengeSeconds)
        let rows = try await engine.matchStore.openChallenges(game: game?.lowercased(), since: since)
        let blocked = Set(await me.blockList)
        return .ok(.array(rows.filter { !blocked.contains($0.0.creator) }.map { r, name, bot in
            var o: JSONObject = [
                "match": .string(r.id), "game": .string(r.game), "from": .string(r.creator),
                "name": .string(name), "settings": (try? JSONValue(parsing: r.settings)) ?? .null,
                "created_at": .string(Timestamp.rfc3339(r.createdAt)),
            ]
            if bot { o["bot"] = true }
            return .object(o)
        }))
    }

    func matchList(_ filter: MatchFilter) async throws -> Reply {
        let me = try me()
        let finished: Bool? =
            switch filter {
            case .active: false
            case .finished: true
            case .all: nil
            }
        let rows = try await engine.matchStore.matches(of: me.id, finished: finished)
        let ids = Set(rows.flatMap { $0.seats + [$0.creator] + ($0.invitee.map { [$0] } ?? []) })
        let names = await engine.players.names(of: Array(ids))
        let now = engine.matches.env.now()
        return .ok(.array(rows.map { r in
            var o = MatchJSON.header(r, rules: GameCatalog.game(r.game), names: names)
            if let clocks = MatchState.clocksJSON(r, now: now) { o["clocks"] = clocks }
            return .object(o)
        }))
    }

    static func summary(_ r: MatchRow, names: [String: String]) -> JSONValue {
        .object(MatchJSON.header(r, rules: GameCatalog.game(r.game), names: names))
    }

    func queue(game: String, settings json: JSONObject) async throws -> Reply {
        let me = try me()
        let rules = try rules(game)
        let settings = try MatchSettings(json, rules: rules)
        // Asking again for a queue one waits in is answered as before, and changes nothing.
        if try await engine.matches.isWaiting(me.id, key: settings.pairingKey(rules: rules)) {
            return .ok(["queued": true, "game": .string(rules.id)])
        }
        switch try await withinUnmovedCap(me, { try await engine.matches.queue(me.id, rules: rules, settings: settings) }) {
        case .waiting: return .ok(["queued": true, "game": .string(rules.id)])
        case .paired(let m): return .ok(["queued": false, "match": .string(m.id)])
        }
    }

    func unqueue(game: String) async throws -> Reply {
        let me = try me()
        let rules = try rules(game)
        guard try await engine.matches.unqueue(me.id, game: rules.id) else {
            throw PlyError.notFound("you are not queued for \(rules.id)")
        }
        return .ok(nil)
    }

    func matchCommand(_ command: Command) async throws -> Reply {
        let me = try me()
        switch command {
        case .match(let id):
            return .ok(.object(try await existingMatch(id).describe(for: me.id)))
        case .move(let id, let ply, let text):
            return .ok(.object(try await onMatch(id) { try await $0.move(by: me.id, connection: connectionID, ply: ply, text: text) }))
        case .legal(let id):
            return .ok(.array(try await existingMatch(id).legalMoves(for: me.id).map { .string($0) }))
        case .record(let id):
            // Whoever may read the match with MATCH may read its record.
            let match = try await existingMatch(id).describe(for: me.id)
            do {
                return .ok(.object(try GameRecords.write(GameRecords.recordedGame(match: match)).json))
            } catch {
                throw PlyError(.internal, "the match \(id) does not replay: \(error.message)")
            }
        case .accept(let id):
            let accept = { try await self.onMatch(id) { try await $0.accept(by: me.id) } }
            // A stranger's open challenge is taken only within the cap on unmoved matches.
            if try await existingMatch(id).isOpenChallenge { return .ok(.object(try await withinUnmovedCap(me, accept))) }
            return .ok(.object(try await accept()))
        case .decline(let id):
            return .ok(.object(try await onMatch(id) { try await $0.decline(by: me.id) }))
        case .resign(let id):
            return .ok(.object(try await onMatch(id) { try await $0.resign(by: me.id) }))
        case .draw(let id, let action):
            return .ok(.object(try await onMatch(id) { try await $0.draw(by: me.id, action: action) }))
        case .conditional(let id, let action):
            return .ok(.object(try await onMatch(id) { try await $0.conditional(by: me.id, action: action) }))
        case .takeback(let id, let action):
            return .ok(.object(try await onMatch(id) { try await $0.takeback(by: me.id, action: action, connection: connectionID) }))
        case .watch(let id):
            let limit = engine.configuration.maximumWatchesPerConnection
            guard watching.contains(id) || watching.count < limit else {
                throw PlyError(.rateLimited, "this connection watches \(limit) matches already; UNWATCH one first")
            }
            let m = try await onMatch(id) { m in
                try await m.watch(connection: connectionID, player: me.id)
                return m
            }
            watching.insert(id)
            return .ok(.object(await m.describe()))
        case .unwatch(let id):
            // Unwatching never needs the match in memory; an id never watched must exist.
            if watching.remove(id) == nil { _ = try await existingMatch(id) }
            engine.matches.unwatch(id, connection: connectionID)
            return .ok(nil)
        case .say(let id, let text):
            if let refusal = await me.chatRefusal(perMinute: engine.configuration.maximumChatPerMinute) { throw refusal }
            try await onMatch(id) { try await $0.say(by: me.id, connection: connectionID, text: text) }
            return .ok(nil)
        default:
            throw PlyError(.internal, "not a match command")
        }
    }

    func top(game: String, count: Int) async throws -> Reply {
        let rules = try rules(game)
        let rows = try await engine.matchStore.top(game: rules.id, limit: count)
        return .ok(.array(rows.enumerated().map { i, pair in
            let (s, name) = pair
            return [
                "rank": .int(i + 1), "player": .string(s.player), "name": .string(name),
                "rating": .int(Int(s.rating.rounded())), "deviation": .int(Int(s.deviation.rounded())),
                "played": .int(s.played), "won": .int(s.won), "lost": .int(s.lost), "drawn": .int(s.drawn),
            ]
        }))
    }

    func notifications() async throws -> Reply {
        .ok(try await me().unreadJSON)
    }

    func seen(_ id: String) async throws -> Reply {
        guard try await me().markSeen(id) else { throw PlyError.notFound("no unread notification \(id)") }
        return .ok(nil)
    }
}
