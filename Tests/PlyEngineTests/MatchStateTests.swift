import Foundation
import PlyJSON
import PlyProtocol
import PlyRules
import Testing

@testable import PlyEngine
@testable import PlyStore

/// Every transition of `MatchState`, without a database: what each request is refused
/// with, and what an accepted one writes, publishes and answers.
@Suite struct MatchStateTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// A challenge from `ann` (to `bo`, or open) with the given settings.
    static func challenge(_ game: String = "reversi", to invitee: String? = "bo", _ json: JSONObject = ["side": "first"]) throws
        -> MatchState
    {
        let rules = try #require(GameCatalog.game(game))
        let settings = try MatchSettings(json, rules: rules)
        let row = MatchRow(
            id: "m1", game: game, settings: JSONValue.object(settings.json(rules: rules)).description,
            status: invitee == nil ? .open : .invited, creator: "ann", invitee: invitee, createdAt: t0, updatedAt: t0)
        return try MatchState(row: row, rules: rules, settings: settings, plies: [])
    }

    /// Ann (first) against Bo, accepted at `t0`.
    static func active(_ json: JSONObject = ["side": "first"]) throws -> MatchState {
        try challenge(to: "bo", json).accept(by: "bo", now: t0, creatorFirst: true).next
    }

    static func played(_ s: MatchState, _ moves: [String], from ply: Int = 1) throws -> MatchState {
        var s = s
        for (i, m) in moves.enumerated() {
            let n = ply + i
            guard case .played(let t) = try s.move(by: n % 2 == 1 ? "ann" : "bo", connection: nil, ply: n, text: m, now: t0)
            else { throw PlyError(.internal, "not played") }
            s = t.next
        }
        return s
    }

    /// The protocol error code a request is refused with, or nil when it is accepted.
    func code(_ body: () throws -> Void) -> ErrorCode? {
        do { try body() } catch let e as PlyError { return e.code } catch { return .internal }
        return nil
    }

    // MARK: accepting

    @Test func acceptingAnInvitation() throws {
        let s = try Self.challenge()
        #expect(code { _ = try s.accept(by: "carl", now: Self.t0, creatorFirst: true) } == .forbidden)
        #expect(code { _ = try s.accept(by: "ann", now: Self.t0, creatorFirst: true) } == .forbidden)
        let t = try s.accept(by: "bo", now: Self.t0, creatorFirst: false)
        #expect(t.next.status == .active)
        #expect(t.next.row.seats == ["ann", "bo"], "side first: the challenger moves first whatever the coin")
        #expect(t.next.row.toMove == "ann")
        #expect(t.next.row.deadline == Self.t0.addingTimeInterval(259_200))
        #expect(t.writes == [.updateMatch(t.next.row, newParticipant: nil)])
        #expect(t.publications.map(\.event.type) == ["start"])
        #expect(t.publications[0].players == ["ann", "bo"])
        #expect(t.publications[0].away?.players == ["ann"])
        #expect(code { _ = try t.next.accept(by: "bo", now: Self.t0, creatorFirst: true) } == .conflict)
    }

    @Test func acceptingAnOpenChallengeSeatsTheNewcomer() throws {
        let s = try Self.challenge(to: nil, ["side": "random"])
        #expect(code { _ = try s.accept(by: "ann", now: Self.t0, creatorFirst: true) } == .conflict)
        let heads = try s.accept(by: "carl", now: Self.t0, creatorFirst: true)
        #expect(heads.next.row.seats == ["ann", "carl"])
        #expect(heads.next.row.invitee == "carl")
        #expect(heads.writes == [.updateMatch(heads.next.row, newParticipant: "carl")])
        let tails = try s.accept(by: "carl", now: Self.t0, creatorFirst: false)
        #expect(tails.next.row.seats == ["carl", "ann"])
    }

    // MARK: moves

    @Test func movesAreCheckedInOrder() throws {
        let s = try Self.active()
        #expect(code { _ = try s.move(by: "carl", connection: nil, ply: 1, text: "f5", now: Self.t0) } == .forbidden)
        #expect(code { _ = try s.move(by: "bo", connection: nil, ply: 1, text: "f5", now: Self.t0) } == .notYourTurn)
        #expect(code { _ = try s.move(by: "ann", connection: nil, ply: 2, text: "f5", now: Self.t0) } == .stalePly)
        #expect(code { _ = try s.move(by: "ann", connection: nil, ply: 1, text: "a1", now: Self.t0) } == .illegalMove)
        let waiting = try Self.challenge()
        #expect(code { _ = try waiting.move(by: "ann", connection: nil, ply: 1, text: "f5", now: Self.t0) } == .forbidden)
    }

    @Test func aMoveWritesThePlyAndTheMatchAndTellsTheOthers() throws {
        let s = try Self.active()
        guard case .played(let t) = try s.move(by: "ann", connection: 7, ply: 1, text: "F5", now: Self.t0.addingTimeInterval(0.6))
        else { Issue.record("not played"); return }
        #expect(t.next.moves == ["f5"])
        #expect(t.next.row.toMove == "bo")
        #expect(t.writes.first == .ply(PlyRow(match: "m1", ply: 1, move: "f5", playedAt: Self.t0)))
        #expect(t.rating == nil)
        let event = t.publications[0]
        #expect(event.event.type == "move")
        #expect(event.except == 7)
        #expect(event.away == Away("your_turn", ["bo"], turn: 2))
        #expect(event.event.body.fields.map(\.key) == ["match", "ply", "move", "by", "status", "to_move", "deadline", "result"])
        #expect(event.event.body["move"] == "f5")
        #expect(event.event.body["by"] == "ann")
        #expect(t.reply["ply"] == 1)
        #expect(t.reply["move"] == nil)
    }

    /// A retried move is a duplicate for its own mover only, in any spelling of the last
    /// ply; a different move for a played ply is stale.
    @Test func duplicatesBelongToTheirMover() throws {
        let s = try Self.played(Self.active(), ["f5", "d6"])
        guard case .duplicate(let reply) = try s.move(by: "bo", connection: nil, ply: 2, text: "D6", now: Self.t0) else {
            Issue.record("the mover's retry is a duplicate")
            return
        }
        #expect(reply["duplicate"] == true)
        #expect(reply["ply"] == 2)
        guard case .duplicate = try s.move(by: "ann", connection: nil, ply: 1, text: "f5", now: Self.t0) else {
            Issue.record("an older ply of the same mover is a duplicate")
            return
        }
        #expect(code { _ = try s.move(by: "ann", connection: nil, ply: 2, text: "d6", now: Self.t0) } == .stalePly)
        #expect(code { _ = try s.move(by: "bo", connection: nil, ply: 1, text: "f5", now: Self.t0) } == .stalePly)
        #expect(code { _ = try s.move(by: "bo", connection: nil, ply: 2, text: "c3", now: Self.t0) } == .stalePly)
    }

    /// A game that ends by the rules finishes the match; it is rated since both moved.
    @Test func anEndingMoveIsRated() throws {
        // A whole game, always the first legal move, up to its last ply.
        var game = try GameState(game: try #require(GameCatalog.game("reversi")), settings: [:])
        var moves: [String] = []
        while !game.outcome.isOver {
            let m = try #require(game.legalMoves().first)
            moves.append(m)
            game = try game.applying(m).state
        }
        let last = moves.count
        let s = try Self.played(Self.active(), Array(moves.dropLast()))
        let mover = last % 2 == 1 ? "ann" : "bo"
        guard case .played(let t) = try s.move(by: mover, connection: nil, ply: last, text: moves[last - 1], now: Self.t0) else {
            Issue.record("not played")
            return
        }
        #expect(t.next.status == .finished)
        #expect(t.next.row.resultReason == "rules")
        #expect(t.rating == RatedEnding(game: "reversi", seats: ["ann", "bo"], winner: t.next.row.resultWinner))
        #expect(t.publications[0].away?.kind == "ended")
        #expect(code { _ = try t.next.move(by: "bo", connection: nil, ply: last + 1, text: "pass", now: Self.t0) } == .gameOver)
        #expect(code { _ = try t.next.legalMoves() } == .gameOver)
    }

    // MARK: endings

    @Test func resigningAndDeclining() throws {
        let invite = try Self.challenge()
        #expect(try invite.resign(by: "ann", now: Self.t0).next.row.resultReason == "withdrawn")
        #expect(try invite.decline(by: "bo", now: Self.t0).next.row.resultReason == "declined")
        #expect(code { _ = try invite.decline(by: "carl", now: Self.t0) } == .forbidden)
        let s = try Self.active()
        #expect(code { _ = try s.decline(by: "bo", now: Self.t0) } == .conflict)
        let early = try s.resign(by: "ann", now: Self.t0)
        #expect(early.next.row.resultWinner == "bo")
        #expect(early.rating == nil, "nobody has moved: unrated")
        let late = try Self.played(s, ["f5", "d6"]).resign(by: "ann", now: Self.t0)
        #expect(late.rating?.winner == "bo")
        #expect(late.publications.map(\.event.type) == ["end"])
        #expect(code { _ = try late.next.resign(by: "bo", now: Self.t0) } == .gameOver)
        let casual = try Self.played(Self.active(["side": "first", "rated": false]), ["f5", "d6"])
        #expect(try casual.resign(by: "bo", now: Self.t0).rating == nil)
    }

    @Test func drawOffers() throws {
        let s = try Self.played(Self.active(), ["f5", "d6"])
        #expect(code { _ = try s.draw(by: "bo", action: .accept, now: Self.t0) } == .conflict)
        let offered = try s.draw(by: "ann", action: .offer, now: Self.t0)
        #expect(offered.writes.isEmpty)
        #expect(offered.publications.first?.players == ["bo"])
        let again = try offered.next.draw(by: "ann", action: .offer, now: Self.t0)
        #expect(again.publications.isEmpty, "an offer repeated is not told again (no spam)")
        #expect(again.reply["offered"] == true)
        #expect(code { _ = try offered.next.draw(by: "ann", action: .accept, now: Self.t0) } == .conflict)
        let declined = try offered.next.draw(by: "bo", action: .decline, now: Self.t0)
        #expect(declined.next.drawOfferBy == nil)
        let agreed = try offered.next.draw(by: "bo", action: .offer, now: Self.t0)
        #expect(agreed.next.row.resultReason == "agreement")
        #expect(agreed.next.row.resultWinner == nil)
        #expect(agreed.rating?.winner == nil)
        #expect(try offered.next.draw(by: "bo", action: .accept, now: Self.t0).next.status == .finished)
    }

    /// A missed deadline: `no_start` when the late player never moved, `timeout` after.
    @Test func deadlines() throws {
        let s = try Self.active(["side": "first", "turn_seconds": 60])
        #expect(s.expired(now: Self.t0.addingTimeInterval(59)) == nil)
        let noStart = try #require(s.expired(now: Self.t0.addingTimeInterval(60)))
        #expect(noStart.next.status == .aborted)
        #expect(noStart.next.row.resultReason == "no_start")
        #expect(noStart.rating == nil)
        let second = try Self.played(s, ["f5"])
        #expect(try #require(second.expired(now: Self.t0.addingTimeInterval(120))).next.row.resultReason == "no_start")
        let both = try Self.played(s, ["f5", "d6"])
        let timeout = try #require(both.expired(now: Self.t0.addingTimeInterval(60)))
        #expect(timeout.next.row.resultReason == "timeout")
        #expect(timeout.next.row.resultWinner == "bo")
        #expect(timeout.rating != nil)
    }

    @Test func forfeitsWithdrawalsAndOperators() throws {
        let invite = try Self.challenge()
        #expect(invite.forfeited(by: "ann", now: Self.t0)?.next.row.resultReason == "withdrawn")
        #expect(invite.forfeited(by: "bo", now: Self.t0)?.next.row.resultReason == "declined")
        #expect(invite.forfeited(by: "carl", now: Self.t0) == nil)
        #expect(invite.withdrawn(now: Self.t0)?.next.status == .aborted)
        let s = try Self.played(Self.active(), ["f5", "d6"])
        let forfeit = try #require(s.forfeited(by: "bo", now: Self.t0))
        #expect(forfeit.next.row.resultWinner == "ann")
        #expect(forfeit.next.row.resultReason == "forfeit")
        #expect(s.withdrawn(now: Self.t0) == nil)
        let stopped = try s.stoppedByOperator(now: Self.t0)
        #expect(stopped.next.row.resultReason == "operator")
        #expect(stopped.rating == nil)
        #expect(code { _ = try stopped.next.stoppedByOperator(now: Self.t0) } == .gameOver)
        #expect(forfeit.next.forfeited(by: "bo", now: Self.t0) == nil)
    }

    @Test func openChallengesGoStale() throws {
        let open = try Self.challenge(to: nil)
        #expect(open.staleOpenChallenge(before: Self.t0, now: Self.t0) == nil)
        #expect(open.staleOpenChallenge(before: Self.t0.addingTimeInterval(1), now: Self.t0)?.next.row.resultReason == "expired")
        #expect(try Self.challenge().staleOpenChallenge(before: .distantFuture, now: Self.t0) == nil, "invitations do not expire")
    }

    // MARK: watching and reading

    @Test func watchersFollowThePublicSetting() throws {
        let invite = try Self.challenge()
        #expect(code { _ = try invite.admitsWatcher("carl") } == .forbidden)
        #expect(try invite.admitsWatcher("bo") == false, "a player needs no watching")
        #expect(try Self.challenge(to: "bo", ["public": true]).admitsWatcher("carl"))
        #expect(try Self.challenge(to: nil).admitsWatcher("carl"))
        let over = try Self.active().resign(by: "ann", now: Self.t0).next
        #expect(try over.admitsWatcher("carl"), "a finished match's record is readable")
    }

    @Test func describeShowsTheWholeMatch() throws {
        let s = try Self.played(Self.active(), ["f5"])
        let o = s.describe(names: ["ann": "Ann"])
        #expect(Array(o.fields.map(\.key).prefix(13)) == MatchJSON.describeOrder)
        #expect(o["moves"] == ["f5"])
        #expect(o["players"]?.arrayValue?.first?["name"] == "Ann")
        #expect(o["players"]?.arrayValue?.last?["name"] == "bo", "an unknown name shows the id")
        #expect(o["draw_offer_by"] == .null)
        #expect(Set(try s.legalMoves()) == ["d6", "f6", "f4"])
    }
}
