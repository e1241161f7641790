import Foundation
import PlyJSON
import PlyProtocol
import PlyRules
import Testing

@testable import PlyEngine
@testable import PlyStore

/// Conditional lines and takebacks as `MatchState` transitions: what is refused, what one
/// commit holds, what is published.
@Suite struct ConditionalTakebackTests {
    static let t0 = MatchStateTests.t0

    func code(_ body: () throws -> Void) -> ErrorCode? {
        do { try body() } catch let e as PlyError { return e.code } catch { return .internal }
        return nil
    }

    /// Ann (black) played f5; Bo to move at ply 2.
    static func afterF5() throws -> MatchState { try MatchStateTests.played(try MatchStateTests.active(), ["f5"]) }

    /// A legal reply of Ann's after f5 and `bo`.
    static func reply(to bo: String) throws -> String {
        try #require(try MatchStateTests.played(try MatchStateTests.active(), ["f5", bo]).legalMoves().first)
    }

    // MARK: conditional lines

    @Test func aMatchingLineIsPlayedInTheSameCommit() throws {
        let answer = try Self.reply(to: "d6")
        let s = try Self.afterF5().storingLine(by: "ann", ply: 2, moves: ["D6", answer.uppercased()])
        #expect(s.conditionalLines["ann"] == [ConditionalLine(ply: 2, moves: ["d6", answer])], "stored in notation")
        guard case .played(let t) = try s.move(by: "bo", connection: 7, ply: 2, text: "d6", now: Self.t0) else {
            Issue.record("not played")
            return
        }
        #expect(t.next.moves == ["f5", "d6", answer])
        #expect(t.next.row.plyCount == 3)
        #expect(t.next.row.toMove == "bo")
        #expect(t.next.conditionalLines.isEmpty, "the line is used up")
        #expect(
            t.writes == [
                .ply(PlyRow(match: "m1", ply: 2, move: "d6", playedAt: Self.t0)),
                .ply(PlyRow(match: "m1", ply: 3, move: answer, playedAt: Self.t0)),
                .updateMatch(t.next.row, newParticipant: nil),
            ], "both plies and one update of the match, in one commit")
        #expect(t.publications.map(\.event.type) == ["move", "move"])
        #expect(t.publications[0].except == 7)
        #expect(t.publications[0].away == nil, "Ann's turn passes at once")
        #expect(t.publications[1].except == nil, "the reply reaches every connection, the mover's too")
        #expect(t.publications[1].event.body["by"]?.stringValue == "ann")
        #expect(t.publications[1].event.body["conditional"] == true)
        #expect(t.publications[1].away?.players == ["bo"])
        #expect(t.reply["ply"]?.intValue == 2)
        #expect(t.reply["to_move"]?.stringValue == "bo")
        #expect(t.reply["conditional"]?["move"]?.stringValue == answer)
        #expect(t.reply["conditional"]?["ply"]?.intValue == 3)
    }

    @Test func aLongerLineStaysLiveAndALineThatDoesNotMatchIsDropped() throws {
        let a3 = try Self.reply(to: "d6")
        let after3 = try MatchStateTests.played(try MatchStateTests.active(), ["f5", "d6", a3])
        let b4 = try #require(after3.legalMoves().first)
        let a5 = try #require(try MatchStateTests.played(after3, [b4], from: 4).legalMoves().first)
        let s = try Self.afterF5().storingLine(by: "ann", ply: 2, moves: ["d6", a3, b4, a5])
        guard case .played(let t) = try s.move(by: "bo", connection: nil, ply: 2, text: "d6", now: Self.t0) else {
            Issue.record("not played")
            return
        }
        #expect(t.next.conditionalLines["ann"] == [ConditionalLine(ply: 4, moves: [b4, a5])])
        let other = try #require(t.next.legalMoves().first { $0 != b4 })
        guard case .played(let u) = try t.next.move(by: "bo", connection: nil, ply: 4, text: other, now: Self.t0) else {
            Issue.record("not played")
            return
        }
        #expect(u.next.moves.count == 4, "no reply: the line did not match")
        #expect(u.next.conditionalLines.isEmpty)
        #expect(u.publications.map(\.event.type) == ["move"])
    }

    @Test func illegalLinesAndWrongRequestsAreRefused() throws {
        let s = try Self.afterF5()
        let answer = try Self.reply(to: "d6")
        #expect(code { _ = try s.storingLine(by: "ann", ply: 2, moves: ["a1", answer]) } == .illegalMove)
        #expect(code { _ = try s.storingLine(by: "ann", ply: 2, moves: ["d6", "a1"]) } == .illegalMove)
        #expect(code { _ = try s.storingLine(by: "ann", ply: 2, moves: ["d6", "pass"]) } == .illegalMove)
        #expect(code { _ = try s.storingLine(by: "ann", ply: 3, moves: ["d6", answer]) } == .stalePly)
        #expect(code { _ = try s.storingLine(by: "bo", ply: 2, moves: ["d6", answer]) } == .forbidden, "Bo is to move")
        #expect(code { _ = try s.storingLine(by: "carl", ply: 2, moves: ["d6", answer]) } == .forbidden)
        #expect(code { _ = try s.conditionalListing(for: "carl") } == .forbidden)
        let over = try s.resign(by: "bo", now: Self.t0).next
        #expect(code { _ = try over.storingLine(by: "ann", ply: 2, moves: ["d6", answer]) } == .gameOver)
        #expect(code { _ = try s.storingLine(by: "ann", ply: 2, moves: ["d6", answer]) } == nil)
    }

    @Test func aNewLineReplacesTheOnesItContradictsWithinTheLimit() throws {
        let s = try Self.afterF5()
        let d6 = try MatchStateTests.played(s, ["d6"], from: 2).legalMoves()
        let f6 = try MatchStateTests.played(s, ["f6"], from: 2).legalMoves()
        var t = try s.storingLine(by: "ann", ply: 2, moves: ["d6", d6[0]])
        t = try t.storingLine(by: "ann", ply: 2, moves: ["f6", f6[0]])
        #expect(t.conditionalLines["ann"]?.count == 2, "different opponent moves: both stand")
        t = try t.storingLine(by: "ann", ply: 2, moves: ["d6", d6[1]])
        #expect(t.conditionalLines["ann"]?.map(\.moves) == [["f6", f6[0]], ["d6", d6[1]]], "the other reply to d6 wins")
        t = try t.storingLine(by: "ann", ply: 2, moves: ["d6", d6[1]])
        #expect(t.conditionalLines["ann"]?.count == 2, "the same line again changes nothing")
        // The limit: lines that all stand, each answering another pair of opponent moves
        // deeper down; one more is refused and the lines stay as they were.
        var standing: [[String]] = []
        let after = try MatchStateTests.played(s, ["d6", d6[0]], from: 2)
        for b in try after.legalMoves() {
            let a = try MatchStateTests.played(after, [b], from: 4).legalMoves()[0]
            let deeper = try MatchStateTests.played(after, [b, a], from: 4)
            for c in try deeper.legalMoves() {
                standing.append(["d6", d6[0], b, a, c, try MatchStateTests.played(deeper, [c], from: 6).legalMoves()[0]])
            }
        }
        try #require(standing.count > MatchState.maximumConditionalLines)
        var u = s
        for line in standing.prefix(MatchState.maximumConditionalLines) { u = try u.storingLine(by: "ann", ply: 2, moves: line) }
        #expect(u.conditionalLines["ann"]?.count == MatchState.maximumConditionalLines)
        let full = u
        #expect(code { _ = try full.storingLine(by: "ann", ply: 2, moves: standing[MatchState.maximumConditionalLines]) } == .rateLimited)
        #expect(full.conditionalLines["ann"]?.count == MatchState.maximumConditionalLines)
    }

    @Test func storedLinesAreLiveOnlyWhereTheHistoryAgrees() {
        let line = ConditionalLine(stored: "2 d6;c3;c4;b3")
        #expect(line == ConditionalLine(ply: 2, moves: ["d6", "c3", "c4", "b3"]))
        #expect(line?.stored == "2 d6;c3;c4;b3")
        #expect(line?.remaining(after: ["f5"]) == line)
        #expect(line?.remaining(after: ["f5", "d6", "c3"]) == ConditionalLine(ply: 4, moves: ["c4", "b3"]))
        #expect(line?.remaining(after: ["f5", "d6"]) == nil, "a reply not played: not live")
        #expect(line?.remaining(after: ["f5", "f6", "c3"]) == nil, "another move: dropped")
        #expect(line?.remaining(after: ["f5", "d6", "c3", "c4", "b3"]) == nil, "used up")
        #expect(line?.remaining(after: []) == nil, "starts after the next ply")
        #expect(ConditionalLine(stored: "x d6") == nil)
    }

    @Test("a line fires in every game", arguments: ["reversi", "hive", "khet"])
    func aLineFiresInEveryGame(game: String) throws {
        let start = try MatchStateTests.challenge(game, to: "bo").accept(by: "bo", now: Self.t0, creatorFirst: true).next
        guard case .played(let first) = try start.move(by: "ann", connection: nil, ply: 1, text: try #require(start.legalMoves().first), now: Self.t0)
        else { throw PlyError(.internal, "not played") }
        let s = first.next
        let theirs = try #require(s.legalMoves().last)
        guard case .played(let probe) = try s.move(by: "bo", connection: nil, ply: 2, text: theirs, now: Self.t0)
        else { throw PlyError(.internal, "not played") }
        let mine = try #require(probe.next.legalMoves().last)
        let stored = try s.storingLine(by: "ann", ply: 2, moves: [theirs, mine])
        guard case .played(let t) = try stored.move(by: "bo", connection: nil, ply: 2, text: theirs, now: Self.t0)
        else { throw PlyError(.internal, "not played") }
        #expect(t.next.moves.count == 3)
        #expect(t.next.row.toMove == "bo")
        #expect(t.writes.count == 3)
    }

    // MARK: takebacks

    @Test func aTakebackAcceptedReplaysTheMatchWithoutTheLastPlies() throws {
        let a3 = try Self.reply(to: "d6")
        let s = try MatchStateTests.played(try MatchStateTests.active(), ["f5", "d6", a3])
        #expect(code { _ = try s.takeback(by: "bo", action: .accept, connection: nil, now: Self.t0) } == .conflict)
        let offered = try s.takeback(by: "bo", action: .offer, connection: 3, now: Self.t0)
        #expect(offered.writes.isEmpty)
        #expect(offered.publications.map(\.event.type) == ["takeback"])
        #expect(offered.publications[0].event.body["state"]?.stringValue == "offered")
        #expect(offered.publications[0].except == 3)
        #expect(code { _ = try offered.next.takeback(by: "bo", action: .accept, connection: nil, now: Self.t0) } == .conflict)
        #expect(code { _ = try offered.next.takeback(by: "ann", action: .offer, connection: nil, now: Self.t0) } == .conflict)
        let later = Self.t0.addingTimeInterval(60)
        let t = try offered.next.takeback(by: "ann", action: .accept, connection: 4, now: later)
        #expect(t.next.moves == ["f5"], "Bo's d6 and Ann's reply after it")
        #expect(t.next.row.plyCount == 1)
        #expect(t.next.row.toMove == "bo")
        #expect(t.next.row.deadline == later.addingTimeInterval(259_200))
        #expect(t.next.takebackOfferBy == nil)
        #expect(t.writes == [.updateMatch(t.next.row, newParticipant: nil)])
        #expect(t.publications.map(\.event.type) == ["takeback", "undo"])
        #expect(t.publications[1].event.body["ply"]?.intValue == 1)
        #expect(t.publications[1].event.body["undone"] == .array([.string("d6"), .string(a3)]))
        // A taken-back ply may be played differently.
        guard case .played(let m) = try t.next.move(by: "bo", connection: nil, ply: 2, text: "f6", now: later) else {
            Issue.record("not played")
            return
        }
        #expect(m.next.moves == ["f5", "f6"])
    }

    @Test func aDeclinedOfferWaitsForTheNextMoveAndEndedMatchesRefuse() throws {
        let s = try MatchStateTests.played(try MatchStateTests.active(), ["f5"])
        #expect(code { _ = try s.takeback(by: "bo", action: .offer, connection: nil, now: Self.t0) } == .conflict, "no move of Bo's")
        let offered = try s.takeback(by: "ann", action: .offer, connection: nil, now: Self.t0).next
        #expect(code { _ = try offered.takeback(by: "ann", action: .decline, connection: nil, now: Self.t0) } == .conflict)
        let declined = try offered.takeback(by: "bo", action: .decline, connection: nil, now: Self.t0)
        #expect(declined.publications.first?.event.body["state"]?.stringValue == "declined")
        #expect(declined.next.takebackOfferBy == nil)
        #expect(code { _ = try declined.next.takeback(by: "ann", action: .offer, connection: nil, now: Self.t0) } == .rateLimited)
        let moved = try MatchStateTests.played(declined.next, ["d6"], from: 2)
        #expect(code { _ = try moved.takeback(by: "ann", action: .offer, connection: nil, now: Self.t0) } == nil)
        let pending = try moved.takeback(by: "ann", action: .offer, connection: nil, now: Self.t0).next
        #expect(pending.takebackOfferBy == "ann")
        let ended = try pending.resign(by: "bo", now: Self.t0).next
        #expect(code { _ = try ended.takeback(by: "ann", action: .accept, connection: nil, now: Self.t0) } == .gameOver)
        #expect(code { _ = try ended.takeback(by: "bo", action: .offer, connection: nil, now: Self.t0) } == .gameOver)
    }

    @Test("a takeback in every game replays to the position before", arguments: ["reversi", "hive", "khet"])
    func takebackInEveryGame(game: String) throws {
        var s = try MatchStateTests.challenge(game, to: "bo").accept(by: "bo", now: Self.t0, creatorFirst: true).next
        var played: [MatchState] = [s]
        for ply in 1...4 {
            let m = try #require(s.legalMoves().first)
            guard case .played(let t) = try s.move(by: ply % 2 == 1 ? "ann" : "bo", connection: nil, ply: ply, text: m, now: Self.t0)
            else { throw PlyError(.internal, "not played") }
            s = t.next
            played.append(s)
        }
        // Bo offers after his own move (ply 4): only that ply goes.
        let t = try s.takeback(by: "bo", action: .offer, connection: nil, now: Self.t0).next
            .takeback(by: "ann", action: .accept, connection: nil, now: Self.t0)
        #expect(t.next.moves == played[3].moves)
        #expect(t.next.position == played[3].position)
        #expect(t.next.row.toMove == "bo")
        // Ann offers: her ply 3 goes (Bo's reply after it went already).
        let u = try t.next.takeback(by: "ann", action: .offer, connection: nil, now: Self.t0).next
            .takeback(by: "bo", action: .accept, connection: nil, now: Self.t0)
        #expect(u.next.moves == played[2].moves)
        #expect(u.next.position == played[2].position)
        #expect(u.next.row.toMove == "ann")
    }
}
