import Foundation
import PlyStore

// What the engine needs from storage, in its own terms. `PlyStore`'s PostgreSQL types
// conform (`Storage+Postgres.swift`), and so does `MemoryStorage`, which the engine's tests
// drive in-process. Each protocol names exactly the calls the engine makes.

/// Commits critical writes: returns once they are durable, all of them or none. A failure
/// is one `StoreError.classify` understands (an outage, an unknown outcome, a refusal).
public protocol CriticalCommitting: Sendable {
    func commit(_ writes: [CriticalWrite]) async throws
}

/// Takes hot, low-value state to store later (or at once); acknowledged without waiting.
public protocol LazyWriting: Sendable {
    /// Queues the write; false when it cannot be taken (a full queue).
    @discardableResult
    func lazy(_ write: LazyWrite) async -> Bool
    /// Whether writes of the player's rows are still to be stored (it stays in memory until
    /// they are).
    func hasPendingLazy(player: String) async -> Bool
}

/// Reads of matches, stats, names and notifications, and new match ids.
public protocol MatchReading: Sendable {
    func newMatchID() async throws -> String
    /// A match and its moves in notation, oldest first.
    func match(_ id: String) async throws -> (MatchRow, [String])?
    func matches(of player: String, finished: Bool?, limit: Int) async throws -> [MatchRow]
    func openChallenges(game: String?, since: Date, limit: Int) async throws -> [(MatchRow, name: String, bot: Bool)]
    func matchesWithMoves(of player: String, limit: Int) async throws -> [(MatchRow, [String])]
    /// Ids of active matches whose turn deadline is before `now`, most overdue first.
    func overdue(now: Date, limit: Int) async throws -> [String]
    /// Ids of active matches whose `deadline_soon` reminder time is before `now`, earliest first.
    func dueReminders(now: Date, limit: Int) async throws -> [String]
    /// The stored stats of some players in one game (players with none are left out).
    func stats(of players: [String], game: String) async throws -> [StatsRow]
    func stats(of player: String) async throws -> [StatsRow]
    func top(game: String, limit: Int) async throws -> [(StatsRow, String)]
    /// The stored automatch queues: (pairing key, player), first come first.
    func automatchQueue() async throws -> [(key: String, player: String)]
    func names(_ ids: [String]) async throws -> [String: String]
    func unreadNotifications(of player: String, limit: Int) async throws -> [NotificationRow]
}

extension MatchReading {
    func matches(of player: String, finished: Bool?) async throws -> [MatchRow] {
        try await matches(of: player, finished: finished, limit: 200)
    }
    func openChallenges(game: String?, since: Date) async throws -> [(MatchRow, name: String, bot: Bool)] {
        try await openChallenges(game: game, since: since, limit: 50)
    }
    func overdue(now: Date) async throws -> [String] { try await overdue(now: now, limit: 200) }
    func dueReminders(now: Date) async throws -> [String] { try await dueReminders(now: now, limit: 200) }
    func unreadNotifications(of player: String) async throws -> [NotificationRow] {
        try await unreadNotifications(of: player, limit: 200)
    }
}

/// Conditional lines as stored: per player, each line `<ply> <move>;<move>;...`. A write is
/// durable when it returns.
public protocol ConditionalLineStoring: Sendable {
    func conditionalLines(of match: String) async throws -> [String: [String]]
    /// Replaces a player's lines for a match (none: drops them).
    func storeConditionalLines(match: String, player: String, lines: [String]) async throws
}

/// Accounts, their credentials and session tokens. Every write is durable when it returns.
public protocol AccountStoring: Sendable {
    func player(_ id: String) async throws -> PlayerRow?
    func playerForDevice(_ hash: Data) async throws -> String?
    /// The device's player, created with it on first use; `true` when created.
    func loginDevice(_ hash: Data) async throws -> (PlayerRow, Bool)
    func emailLogin(_ email: String) async throws -> (player: String, passwordHash: String)?
    func email(of player: String) async throws -> String?
    func linkEmail(player: String, email: String, passwordHash: String, confirmed: Bool) async throws(LinkConflictOrError)
    /// A new code for the player's unconfirmed email (see `AccountStore.requestConfirmation`).
    func requestConfirmation(player: String, codeHash: Data, code: String) async throws -> ConfirmationRequest
    func confirmEmail(player: String, codeHash: Data) async throws -> EmailConfirmation
    func playerForIdentity(issuer: String, subject: String) async throws -> String?
    func loginIdentity(issuer: String, subject: String) async throws -> (PlayerRow, Bool)
    func linkIdentity(player: String, issuer: String, subject: String) async throws(LinkConflictOrError)
    func createSession(hash: Data, player: String) async throws
    func sessionPlayer(hash: Data) async throws -> String?
    func deleteSession(hash: Data) async throws
    /// Ends every session of the player; how many there were.
    func deleteSessions(of player: String) async throws -> Int
    /// Stores a live account's vacation; false when the account is gone.
    func setVacation(_ player: String, _ vacation: VacationRow) async throws -> Bool
}

/// Blocks, reports, sanctions, bot marks, the operators' audit, account rights, and the
/// reads of challenges that safety and expiry need. Every write is durable when it returns.
public protocol SafetyStoring: Sendable {
    func blocks(of player: String) async throws -> [String]
    func block(_ player: String, _ blocked: String) async throws
    func unblock(_ player: String, _ blocked: String) async throws
    /// Files a report; throws `ReportRefusal.alreadyOpen` when the reporter has one open on
    /// that player.
    func fileReport(by reporter: String, about reported: String, text: String) async throws -> String
    /// The operators' queue, reports between players of a match in which both moved first;
    /// nil when there is no report `after`.
    func reports(openOnly: Bool, after: String?, limit: Int) async throws -> [ReportRow]?
    func reports(about player: String, limit: Int) async throws -> [ReportRow]
    func reports(filedBy player: String) async throws -> [ReportRow]
    func resolve(report: String, resolution: String) async throws -> Bool
    func audit(action: String, target: String, reason: String, detail: String) async throws
    func setSanction(_ player: String, _ kind: Sanctions.Kind, until: Date?, reason: String?) async throws -> Bool
    func setBot(_ player: String, _ bot: Bool) async throws -> Bool
    func credentials(of player: String) async throws -> (
        kinds: [String], email: String?, identities: [(issuer: String, subject: String)], devices: Int, lastSeen: Date?
    )
    func notifications(of player: String) async throws -> [(id: String, kind: String, match: String, at: Date, read: Date?)]
    func deleteAccount(_ player: String) async throws
    /// Takes the player's email (and password) off the account, with the mail not yet sent
    /// to it; the address it had, or nil when it had none.
    func unlinkEmail(of player: String) async throws -> String?
    func pendingChallenges(of creator: String) async throws -> (open: Int, invitations: [(invitee: String, game: String)])
    func invitations(from creator: String, to invitee: String) async throws -> [String]
    func waitingInvitations(for invitee: String) async throws -> Int
    func havePlayed(_ a: String, _ b: String) async throws -> Bool
    /// Whether `player` takes part in the match (a seat, its creator or its invitee).
    func participates(_ player: String, in match: String) async throws -> Bool
    /// Active matches waiting for `player`'s first move (their turn and no move of theirs yet,
    /// or joined in the last ten minutes with no move at all), as `SafetyStore` counts them.
    func unmovedMatches(of player: String) async throws -> Int
    func unfinishedMatches(of player: String) async throws -> [String]
    func expiredOpenChallenges(before cutoff: Date, limit: Int) async throws -> [String]
}

extension SafetyStoring {
    func reports(openOnly: Bool, after: String?) async throws -> [ReportRow]? {
        try await reports(openOnly: openOnly, after: after, limit: 500)
    }
    func reports(about player: String) async throws -> [ReportRow] { try await reports(about: player, limit: 100) }
    func expiredOpenChallenges(before cutoff: Date) async throws -> [String] {
        try await expiredOpenChallenges(before: cutoff, limit: 200)
    }
}

/// The email digests a window held back, sent once it has passed (see
/// `MatchStore.sendDueDigests`).
public protocol DigestSending: Sendable {
    func sendDueDigests(limit: Int) async throws -> Int
}

/// Everything the engine stores and reads, in one bundle: PostgreSQL (`Storage.postgres`)
/// or memory (`MemoryStorage.storage`).
public struct Storage: Sendable {
    /// The writes a match (and the rating desk) commits.
    public var commits: any CriticalCommitting
    public var lazyWrites: any LazyWriting
    public var matches: any MatchReading
    public var accounts: any AccountStoring
    public var safety: any SafetyStoring
    public var conditionals: any ConditionalLineStoring
    /// Nil where there is no email outbox (`MemoryStorage`).
    public var digests: (any DigestSending)?
    /// The PostgreSQL writer, when the storage is PostgreSQL: `STATS`, the metrics, the
    /// health check and the service that runs and flushes it read it.
    public var databaseWriter: DatabaseWriter?

    public init(
        commits: any CriticalCommitting, lazyWrites: any LazyWriting, matches: any MatchReading,
        accounts: any AccountStoring, safety: any SafetyStoring, conditionals: any ConditionalLineStoring,
        databaseWriter: DatabaseWriter? = nil
    ) {
        self.conditionals = conditionals
        self.commits = commits
        self.lazyWrites = lazyWrites
        self.matches = matches
        self.accounts = accounts
        self.safety = safety
        self.databaseWriter = databaseWriter
    }
}
