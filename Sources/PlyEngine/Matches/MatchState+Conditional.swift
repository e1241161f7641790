import Foundation
import PlyJSON
import PlyProtocol
import PlyRules
import PlyStore

/// A conditional line: moves entered ahead, the opponent's first, then the reply, and so
/// on. `ply` is the ply number of its first move.
struct ConditionalLine: Sendable, Hashable {
    var ply: Int
    var moves: [String]

    /// As stored (Schema/008): the ply, a space, the moves split by `;`.
    var stored: String { "\(ply) " + moves.joined(separator: ";") }

    init(ply: Int, moves: [String]) {
        self.ply = ply
        self.moves = moves
    }

    init?(stored text: String) {
        guard let space = text.firstIndex(of: " "), let ply = Int(text[..<space]), ply >= 1 else { return nil }
        let moves = text[text.index(after: space)...].split(separator: ";").map(String.init)
        guard !moves.isEmpty else { return nil }
        self.init(ply: ply, moves: moves)
    }

    /// What is left to play after `history`, or nil when nothing is: the line's played part
    /// must be history's last plies, in whole pairs (each opponent move answered), and some
    /// of it must remain. This is why a stored line never needs rewriting as the match goes
    /// on: the stored history alone says which part of it is live.
    func remaining(after history: [String]) -> ConditionalLine? {
        let played = history.count + 1 - ply
        guard played >= 0, played.isMultiple(of: 2), played < moves.count else { return nil }
        guard Array(history.suffix(played)) == Array(moves.prefix(played)) else { return nil }
        return ConditionalLine(ply: history.count + 1, moves: Array(moves.dropFirst(played)))
    }

    var json: JSONValue { ["ply": .int(ply), "moves": .array(moves.map { .string($0) })] }
}

extension MatchState {
    /// Lines per player and match: one account cannot fill memory or the table.
    static let maximumConditionalLines = 16

    /// Plays a move and, when it is the next move of a line the opponent stored, the line's
    /// reply in the same transition: both plies go in one commit, so neither is durable
    /// without the other, and the events go out in order (the reply's with
    /// `"conditional":true`). Lines that do not match are dropped. The reply to the mover has
    /// the match as it is after both plies and the reply under `"conditional"`.
    func move(by player: String, connection: Int?, ply: Int, text: String, now: Date) throws(PlyError) -> MoveOutcome {
        var t: MatchTransition
        switch try playOne(by: player, connection: connection, ply: ply, text: text, now: now) {
        case .duplicate(let reply): return .duplicate(reply)
        case .played(let played): t = played
        }
        // Only the waiting player has live lines; whatever they held is used up or dropped now.
        let pending = t.next.row.toMove.flatMap { t.next.conditionalLines[$0] } ?? []
        t.next.conditionalLines = [:]
        t.next.takebackOfferBy = nil
        guard !pending.isEmpty, t.next.status == .active, let owner = t.next.row.toMove, let played = t.next.moves.last
        else { return .played(t) }
        let matching = pending.filter { $0.moves.first == played && $0.moves.count >= 2 }
        guard let line = matching.first else { return .played(t) }
        let reply: MatchTransition
        switch Result(catching: { () throws(PlyError) in
            try t.next.playOne(by: owner, connection: nil, ply: ply + 1, text: line.moves[1], now: now)
        }) {
        case .success(.played(let r)): reply = r
        default: return .played(t)  // checked when stored, so not expected: the line is dropped
        }
        var both = reply
        both.next.conditionalLines = [:]
        if both.next.status == .active {
            let rest = matching.compactMap { $0.remaining(after: both.next.moves) }
            if !rest.isEmpty { both.next.conditionalLines[owner] = rest }
        }
        // One update of the match row (the later one): the batch's UPDATE takes one row per match.
        both.writes = t.writes.filter { if case .updateMatch = $0 { false } else { true } } + reply.writes
        var first = t.publications
        for i in first.indices { first[i].away = nil }  // the owner's turn passes at once
        var second = reply.publications
        for i in second.indices { second[i].event.body["conditional"] = true }
        both.publications = first + second
        var answer = reply.reply
        answer["ply"] = .int(ply)
        answer["conditional"] = [
            "ply": .int(ply + 1), "move": .optional(both.next.moves.last), "by": .string(owner),
        ]
        both.reply = answer
        return .played(both)
    }

    // MARK: storing lines

    /// The player's lines, as `CONDITIONAL <match>` lists them.
    func conditionalListing(for player: String) throws(PlyError) -> JSONObject {
        guard isParticipant(player) else { throw PlyError.forbidden("you are not playing in \(id)") }
        return ["match": .string(id), "lines": .array((conditionalLines[player] ?? []).map(\.json))]
    }

    /// The match with a new line of the player's, each move checked against the rules. The
    /// player must be waiting for the opponent, and the line starts at the opponent's next
    /// ply. A line replaces the stored ones it contradicts (the same opponent moves answered
    /// otherwise) and those it extends.
    func storingLine(by player: String, ply: Int, moves texts: [String]) throws(PlyError) -> MatchState {
        guard row.seats.contains(player) else { throw PlyError.forbidden("you are not playing in \(id)") }
        guard !status.isOver else { throw PlyError(.gameOver, "the match has ended") }
        guard status == .active else { throw PlyError.forbidden("the match has not started") }
        guard row.toMove != player, let owner = row.seats.firstIndex(of: player) else {
            throw PlyError.forbidden("it is your turn: conditional lines answer the opponent's next move")
        }
        guard ply == moves.count + 1 else {
            throw PlyError(.stalePly, "the opponent's next ply is \(moves.count + 1)")
        }
        var s = position
        var line: [String] = []
        for (i, text) in texts.enumerated() {
            let whose = i.isMultiple(of: 2) ? "the opponent's" : "yours"
            guard !s.outcome.isOver else {
                throw PlyError(.illegalMove, "the game ends before move \(i + 1) of the line (\"\(text)\")")
            }
            guard (s.sideToMove == owner) != i.isMultiple(of: 2) else {
                throw PlyError(.illegalMove, "move \(i + 1) of the line (\"\(text)\") should be \(whose), but it is not")
            }
            switch Result(catching: { () throws(RuleError) in try s.applying(text) }) {
            case .success(let (next, notation)):
                s = next
                line.append(notation)
            case .failure(let e):
                throw PlyError(.illegalMove, "move \(i + 1) of the line (\"\(text)\", \(whose)): \(e.rule): \(e.message)")
            }
        }
        let new = ConditionalLine(ply: ply, moves: line)
        var kept: [ConditionalLine] = []
        var covered = false
        for old in conditionalLines[player] ?? [] {
            let common = zip(old.moves, new.moves).prefix { $0 == $1 }.count
            if common == new.moves.count {
                kept.append(old)  // the new line is part of this one
                covered = true
            } else if common < old.moves.count, common.isMultiple(of: 2) {
                kept.append(old)  // they part at an opponent's move: both stand
            }
            // Otherwise the new line extends this one or answers a move of it otherwise.
        }
        if !covered { kept.append(new) }
        guard kept.count <= Self.maximumConditionalLines else {
            throw PlyError(
                .rateLimited, "at most \(Self.maximumConditionalLines) conditional lines per match; CONDITIONAL \(id) clear drops them")
        }
        var after = self
        after.conditionalLines[player] = kept
        return after
    }

    /// The match without the player's lines.
    func clearingLines(by player: String) throws(PlyError) -> MatchState {
        guard isParticipant(player) else { throw PlyError.forbidden("you are not playing in \(id)") }
        var after = self
        after.conditionalLines[player] = nil
        return after
    }

    /// Takes the lines as stored (`<ply> <moves>` by player), keeping the live part of those
    /// that still fit the history (see `ConditionalLine.remaining`).
    mutating func adoptStoredLines(_ stored: [String: [String]]) {
        conditionalLines = [:]
        guard status == .active, let waiting = row.seats.first(where: { $0 != row.toMove }) else { return }
        let live = (stored[waiting] ?? []).compactMap { ConditionalLine(stored: $0)?.remaining(after: moves) }
        if !live.isEmpty { conditionalLines[waiting] = live }
    }
}
