import Foundation
import PlyJSON
import PlyProtocol
import PlyRules
import Testing

@testable import PlyEngine
@testable import PlyStore

/// The engine driven through its sessions, line by line, on `MemoryStorage`: the match's
/// whole life, deadlines, draws, duplicates, retirement and failed commits, each in
/// milliseconds and without PostgreSQL.
@Suite(.timeLimit(.minutes(1))) struct EngineInProcessTests {
    /// Ann and Bo logged in, and a Reversi match between them accepted, Ann (black) first.
    struct Table {
        let e: InProcessEngine
        let ann: TestConnection
        let bo: TestConnection
        let annID: String
        let boID: String
        let boSession: String
        let match: String

        static func seated(_ e: InProcessEngine, settings: String = #"{"side":"first"}"#) async throws -> Table {
            let (ann, annID, _) = try await e.login("device-ann-0001")
            let (bo, boID, boSession) = try await e.login("device-bo-00001")
            let challenge = try await ann.ok("CHALLENGE \(boID) reversi \(settings)")
            let match = try #require(challenge?["match"]?.stringValue)
            let invitation = try await bo.event("challenge", match: match)
            #expect(invitation.body["from"]?.stringValue == annID)
            try await bo.ok("ACCEPT \(match)")
            let start = try await ann.event("start", match: match)
            #expect(start.body["to_move"]?.stringValue == annID)
            return Table(e: e, ann: ann, bo: bo, annID: annID, boID: boID, boSession: boSession, match: match)
        }

        /// The connection of the player in `seat` (0: Ann, black).
        func seat(_ seat: Int) -> TestConnection { seat == 0 ? ann : bo }

        /// Plays `moves` from ply `from`, alternating from Ann; each reaches the opponent.
        func play(_ moves: [String], from: Int = 1) async throws {
            for (i, m) in moves.enumerated() {
                let ply = from + i
                let (mover, other) = ply % 2 == 1 ? (ann, bo) : (bo, ann)
                let reply = try await mover.ok("MOVE \(match) \(ply) \(m)")
                #expect(reply?["ply"]?.intValue == ply)
                let seen = try await other.event("move", match: match)
                #expect(seen.body["ply"]?.intValue == ply)
            }
        }

        func stored() async throws -> MatchRow {
            try #require(try await e.store.match(match)).0
        }

        func stats(_ player: String) async throws -> StatsRow {
            try #require(try await e.store.stats(of: [player], game: "reversi").first)
        }
    }

    // MARK: a whole match

    /// Challenge, accept, every move of a game to its end by the rules, and both players'
    /// ratings moved apart, in storage and in their profiles.
    @Test func aMatchFromChallengeToRatings() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e)
            var game = try GameState(game: try #require(GameCatalog.game("reversi")), settings: [:])
            var moves: [String] = []
            var ply = 0
            var last: JSONValue?
            var lastSeat = 0
            while !game.outcome.isOver {
                ply += 1
                let move = try #require(game.legalMoves().first)
                lastSeat = game.sideToMove
                last = try await t.seat(lastSeat).ok("MOVE \(t.match) \(ply) \(move)")
                let after = try game.applying(move)
                moves.append(after.notation)
                game = after.state
            }
            #expect(last?["status"]?.stringValue == "finished")
            let winner = try #require(try await t.stored().resultWinner)
            let loser = winner == t.annID ? t.boID : t.annID
            #expect(last?["result"]?["winner"]?.stringValue == winner)
            #expect(last?["result"]?["reason"]?.stringValue == "rules")
            // The opponent hears of the ending move as of every move: the event carries the result.
            let opponent = t.seat(1 - lastSeat)
            var seen = try await opponent.event("move", match: t.match)
            while seen.body["ply"]?.intValue != ply { seen = try await opponent.event("move", match: t.match) }
            #expect(seen.body["status"]?.stringValue == "finished")
            #expect(seen.body["result"]?["winner"]?.stringValue == winner)
            #expect(e.store.moves(of: t.match) == moves, "every ply stored once, in order")
            let (won, lost) = (try await t.stats(winner), try await t.stats(loser))
            #expect(won.played == 1 && won.won == 1 && lost.lost == 1)
            #expect(won.rating > 1500 && lost.rating < 1500)
            let profile = try await t.ann.ok("PROFILE \(winner)")
            #expect(profile?["stats"]?["reversi"]?["rating"]?.intValue == Int(won.rating.rounded()))
            #expect(profile?["stats"]?["reversi"]?["won"]?.intValue == 1)
        }
    }

    // MARK: deadlines

    /// A turn deadline that passes (on the injected clock) ends the match at the next
    /// expiry run: the late player loses, and the result is rated.
    @Test func aMissedTurnDeadlineEndsTheMatch() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e, settings: #"{"side":"first","turn_seconds":60}"#)
            try await t.play(["f5", "d6"])
            e.clock.advance(by: 59)
            try await e.engine.matches.expireOverdue()
            #expect(try await t.stored().status == .active, "not overdue yet")
            e.clock.advance(by: 2)
            try await e.engine.matches.expireOverdue()
            let end = try await t.bo.event("end", match: t.match)
            #expect(end.body["result"]?["winner"]?.stringValue == t.boID)
            #expect(end.body["result"]?["reason"]?.stringValue == "timeout")
            let row = try await t.stored()
            #expect(row.status == .finished && row.resultWinner == t.boID && row.deadline == nil)
            #expect(try await t.stats(t.boID).won == 1)
            #expect(try await t.ann.error("MOVE \(t.match) 3 c3") == "game_over")
        }
    }

    // MARK: draws

    @Test func aDrawOfferAcceptedEndsTheMatchDrawn() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e)
            try await t.play(["f5", "d6"])
            #expect(try await t.ann.ok("DRAW \(t.match) offer")?["offered"]?.boolValue == true)
            let offer = try await t.bo.event("draw", match: t.match)
            #expect(offer.body["by"]?.stringValue == t.annID)
            #expect(try await t.e.store.match(t.match)?.0.status == .active, "an offer alone writes nothing")
            let reply = try await t.bo.ok("DRAW \(t.match) accept")
            #expect(reply?["result"]?["reason"]?.stringValue == "agreement")
            let end = try await t.ann.event("end", match: t.match)
            #expect(end.body["result"]?["winner"] == .null)
            let row = try await t.stored()
            #expect(row.status == .finished && row.resultWinner == nil && row.resultReason == "agreement")
            #expect(try await t.stats(t.annID).drawn == 1)
            #expect(try await t.stats(t.boID).drawn == 1)
        }
    }

    // MARK: duplicates

    /// A retried move is answered again for its mover, without a second write; the same ply
    /// from anyone else is `stale_ply`.
    @Test func aRepeatedMoveIsIdempotentForItsMoverOnly() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e)
            try await t.play(["f5"])
            let commits = e.store.commitCount
            let again = try await t.ann.ok("MOVE \(t.match) 1 f5")
            #expect(again?["duplicate"]?.boolValue == true)
            #expect(again?["ply"]?.intValue == 1)
            #expect(e.store.commitCount == commits, "a duplicate writes nothing")
            #expect(try await t.bo.error("MOVE \(t.match) 1 f5") == "stale_ply")
            #expect(try await t.ann.error("MOVE \(t.match) 1 d3") == "stale_ply", "another move for a played ply")
            #expect(e.store.moves(of: t.match) == ["f5"])
        }
    }

    // MARK: retirement

    /// Idle matches and players leave memory and come back from storage as they were: the
    /// match goes on from its stored plies, and the player keeps their name, finds the
    /// notification left while away, and never gets an event number twice.
    @Test func idleMatchesAndPlayersLeaveMemoryAndComeBack() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e)
            try await t.play(["f5", "d6"])
            try await t.bo.ok("NAME Bo")
            let seqBefore = await t.bo.lastSeq
            #expect(seqBefore > 0)
            await t.bo.close()
            #expect(await e.engine.matches.evictIdle(before: .distantFuture) == 1)
            #expect(await e.engine.players.evictIdle(before: .distantFuture) == 1, "Bo, offline; Ann is connected")
            #expect(e.engine.matches.count == 0)
            #expect(e.engine.players.count == 1)
            let (matchLoads, playerLoads) = (e.engine.matches.loads, e.engine.players.loads)

            // Ann's move brings the match back from its plies, and Bo back to be told.
            try await t.ann.ok("MOVE \(t.match) 3 c3")
            #expect(e.engine.matches.loads == matchLoads + 1)
            #expect(e.engine.players.loads == playerLoads + 1)
            #expect(try await e.store.unreadNotifications(of: t.boID).map(\.kind) == ["your_turn"])

            let bo = await e.connect()
            let resumed = try await bo.ok("AUTH SESSION \(t.boSession) \(seqBefore)")
            #expect(resumed?["name"]?.stringValue == "Bo")
            #expect(try #require(resumed?["seq"]?.intValue) > seqBefore, "numbering goes on past the stored number")
            #expect(resumed?["resync"]?.boolValue == true, "events of the evicted actor are gone: resync")
            try await bo.ok("MOVE \(t.match) 4 d3")
            #expect(e.store.moves(of: t.match) == ["f5", "d6", "c3", "d3"])
        }
    }

    /// A player away while invitations pour in keeps the newest unread notifications, up to
    /// the cap, in memory and in storage alike: the oldest are marked read in both, so the
    /// list is the same after the player leaves memory and comes back.
    @Test func unreadNotificationsKeepTheNewestInMemoryAndInStorage() async throws {
        try await InProcessEngine.with({
            $0.newAccountsPerAddress = 0
            $0.maximumInvitationsReceived = 1000
        }) { e in
            let (victim, victimID, session) = try await e.login("device-victim-0001")
            await victim.close()
            let cap = Player.maximumUnread
            var invitations: [String] = []
            var n = 0
            while invitations.count < cap + 3 {
                let (c, _, _) = try await e.login("device-inviter-\(n)")
                n += 1
                for game in ["reversi", "hive", "khet"] where invitations.count < cap + 3 {
                    invitations.append(try #require(try await c.ok("CHALLENGE \(victimID) \(game)")?["match"]?.stringValue))
                }
            }
            let stored = try await e.store.unreadNotifications(of: victimID, limit: 1000)
            #expect(stored.map(\.match) == Array(invitations.suffix(cap)), "the newest, oldest first")
            func listed() async throws -> [String] {
                let c = await e.connect()
                try await c.ok("AUTH SESSION \(session)")
                let matches = try #require(try await c.ok("NOTIFICATIONS")?.arrayValue).compactMap { $0["match"]?.stringValue }
                await c.close()
                return matches
            }
            #expect(try await listed() == stored.map(\.match))
            #expect(await e.engine.players.evictIdle(before: .distantFuture) >= 1)
            #expect(try await listed() == stored.map(\.match), "the same list read back from storage")
        }
    }

    // MARK: failed commits

    /// A commit that fails is the protocol's error and changes nothing; one whose outcome is
    /// unknown retires the match, so the retry reads it back (a duplicate if it was stored);
    /// one the storage refuses (a bug) is `internal`, and nothing of its batch is kept.
    @Test func aFailedCommitIsAnsweredAsTheProtocolSays() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e)

            e.store.failNextCommit(.unavailable)
            #expect(try await t.ann.error("MOVE \(t.match) 1 f5") == "unavailable")
            #expect(e.store.moves(of: t.match) == [])
            #expect(try await t.ann.ok("MOVE \(t.match) 1 f5")?["duplicate"] == nil, "the retry is played")

            e.store.failNextCommit(.outcomeUnknown(stored: true))
            #expect(try await t.bo.error("MOVE \(t.match) 2 d6") == "unavailable")
            let loads = e.engine.matches.loads
            #expect(try await t.bo.ok("MOVE \(t.match) 2 d6")?["duplicate"]?.boolValue == true, "read back: it was kept")
            #expect(e.engine.matches.loads == loads + 1)

            e.store.failNextCommit(.outcomeUnknown(stored: false))
            #expect(try await t.ann.error("MOVE \(t.match) 3 c3") == "unavailable")
            #expect(try await t.ann.ok("MOVE \(t.match) 3 c3")?["duplicate"] == nil, "read back: it was lost, so played")
            #expect(e.store.moves(of: t.match) == ["f5", "d6", "c3"])

            // Ply 4 stored behind the engine's back: the engine's own ply 4 breaks the key.
            try await e.store.commit([.ply(PlyRow(match: t.match, ply: 4, move: "d3", playedAt: e.clock.now))])
            #expect(try await t.bo.error("MOVE \(t.match) 4 d3") == "internal")
            #expect(try await t.stored().plyCount == 3, "the refused batch's match update is not kept either")
            #expect(e.store.moves(of: t.match) == ["f5", "d6", "c3", "d3"])
        }
    }
}
