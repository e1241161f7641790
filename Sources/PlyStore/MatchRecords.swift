import Foundation

/// Where a match is in its life: a challenge (`invited`, `open`), under way (`active`), or
/// over (`finished` with a result, `aborted` without one).
public enum MatchStatus: String, Sendable, Hashable, CaseIterable {
    case invited, open, active, finished, aborted

    public var isOver: Bool { self == .finished || self == .aborted }
    public var isChallenge: Bool { self == .invited || self == .open }
}

/// A match row as stored.
public struct MatchRow: Sendable, Hashable {
    public var id: String
    public var game: String
    public var settings: String
    public var status: MatchStatus
    public var creator: String
    public var invitee: String?
    public var seats: [String]
    public var plyCount: Int
    public var toMove: String?
    public var deadline: Date?
    public var resultWinner: String?
    public var resultReason: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// Each seat's clock bank in whole seconds after its last move; empty without a clock.
    public var clockBanks: [Int] = []
    /// By seat, the end of a vacation already added to that seat's deadlines (seconds since
    /// 1970; 0: none); empty when nobody paused.
    public var pausedUntil: [Int] = []
    /// When the player to move gets `deadline_soon`; nil once sent, or with nobody to move.
    public var remindAt: Date?

    public init(
        id: String, game: String, settings: String, status: MatchStatus, creator: String, invitee: String?,
        seats: [String] = [], plyCount: Int = 0, toMove: String? = nil, deadline: Date? = nil,
        resultWinner: String? = nil, resultReason: String? = nil, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.game = game
        self.settings = settings
        self.status = status
        self.creator = creator
        self.invitee = invitee
        self.seats = seats
        self.plyCount = plyCount
        self.toMove = toMove
        self.deadline = deadline
        self.resultWinner = resultWinner
        self.resultReason = resultReason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One ply of a match's history.
public struct PlyRow: Sendable, Hashable {
    public var match: String
    public var ply: Int
    public var move: String
    public var playedAt: Date
    public init(match: String, ply: Int, move: String, playedAt: Date) {
        self.match = match
        self.ply = ply
        self.move = move
        self.playedAt = playedAt
    }
}

/// A player's results and rating in one game.
public struct StatsRow: Sendable, Hashable {
    public var player: String
    public var game: String
    public var played = 0
    public var won = 0
    public var lost = 0
    public var drawn = 0
    public var rating = 1500.0
    public var deviation = 350.0
    public var volatility = 0.06
    public init(player: String, game: String) {
        self.player = player
        self.game = game
    }
}

/// A change that must be durable before it is acknowledged. The commit writer groups
/// many of them into one transaction.
public enum CriticalWrite: Sendable, Hashable {
    /// A new match and its first participants.
    case insertMatch(MatchRow)
    /// Every mutable column of a match (status, seats, ply count, turn, deadline, result).
    case updateMatch(MatchRow, newParticipant: String?)
    case ply(PlyRow)
    case stats(StatsRow)

    /// Rows this write touches, for the rows-per-commit figure.
    public var rows: Int {
        switch self {
        case .insertMatch(let m): 1 + Set([m.creator] + (m.invitee.map { [$0] } ?? []) + m.seats).count
        case .updateMatch(_, let p): p == nil ? 1 : 2
        case .ply, .stats: 1
        }
    }
}
