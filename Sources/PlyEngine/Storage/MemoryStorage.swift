import Foundation
import PlyJSON
import PlyStore
import Synchronization

/// Storage in memory, for driving the engine in-process (tests, and anything that must not
/// need PostgreSQL). It keeps the rules the engine relies on from the SQL schema: a batch of
/// critical writes is applied whole or not at all, with the schema's keys (a match id once,
/// a ply number once per match, stats upserted, rows that name players only for players
/// that exist); credentials and sessions are unique as their tables' keys say. Lazy writes
/// are stored at once, so nothing is ever pending. The email outbox is not kept (only the
/// mailer process reads it).
///
/// A refusal is a `StoreError` with code `refused` and a `MemoryStorage.Refusal` saying what
/// the SQL would have refused; `failNextCommit` injects the failures of a real database.
public final class MemoryStorage: Sendable {
    /// What the next commit does instead of committing normally.
    public enum CommitFault: Sendable {
        /// Nothing is stored; the commit fails as an outage does (`unavailable`).
        case unavailable
        /// The commit gets no answer (`outcomeUnknown`); `stored` says whether its writes
        /// are stored all the same.
        case outcomeUnknown(stored: Bool)
    }

    /// A write the SQL schema would refuse (a key taken, a row that is not there).
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// A failure `failNextCommit` asked for.
    public struct InjectedFault: Error, CustomStringConvertible {
        public var description: String
    }

    struct StoredNotification {
        var row: NotificationRow
        var readAt: Date?
    }

    struct Identity: Hashable {
        var issuer: String
        var subject: String
    }

    struct State {
        var playerNumber = 0
        var matchNumber = 0
        var reportNumber = 0
        var players: [String: PlayerRow] = [:]
        var lastSeen: [String: Date] = [:]
        var devices: [Data: String] = [:]
        var emails: [String: (player: String, hash: String)] = [:]
        /// Emails waiting for confirmation, with their code's hash (nil before one is mailed).
        var unconfirmed: [String: Data?] = [:]
        /// Confirmation codes mailed, by address without its +tag.
        var codesMailed: [String: [Date]] = [:]
        /// In the order they were linked.
        var identities: [(Identity, player: String)] = []
        var sessions: [Data: String] = [:]
        /// Each player's sessions, the one unused longest first.
        var sessionOrder: [String: [Data]] = [:]
        var matches: [String: MatchRow] = [:]
        /// Each match's plies, by number.
        var plies: [String: [Int: PlyRow]] = [:]
        /// Each player's matches (`match_players`).
        var participation: [String: Set<String>] = [:]
        var stats: [String: StatsRow] = [:]
        /// Conditional lines by match and player (`conditional_lines`).
        var conditionalLines: [String: [String: [String]]] = [:]
        /// Plies a takeback removed (`taken_back_plies`), oldest first.
        var takenBack: [PlyRow] = []
        /// Each player's notifications, in the order they were stored.
        var notifications: [String: [StoredNotification]] = [:]
        var automatch: [(player: String, key: String, at: Date)] = []
        /// Each player's blocks, in the order they were made.
        var blocks: [String: [String]] = [:]
        var reports: [ReportRow] = []
        var audit: [(action: String, target: String, reason: String, detail: String)] = []
        var faults: [CommitFault] = []
        var commits = 0

        static func statsKey(_ player: String, _ game: String) -> String { player + "\u{0}" + game }

        func moves(_ id: String) -> [String] {
            (plies[id] ?? [:]).sorted { $0.key < $1.key }.map(\.value.move)
        }

        func requirePlayer(_ id: String, _ what: String) throws {
            guard players[id] != nil else { throw MemoryStorage.refused("\(what) names no player \(id)") }
        }

        /// The critical writes applied in order, as `ply_commit_v2` applies them; throws at
        /// the first the schema refuses (the caller then keeps the state from before).
        mutating func apply(_ writes: [CriticalWrite]) throws {
            for w in writes {
                switch w {
                case .insertMatch(let m):
                    guard matches[m.id] == nil else { throw MemoryStorage.refused("match \(m.id) exists") }
                    guard (try? JSONValue.parseObject(m.settings)) != nil else {
                        throw MemoryStorage.refused("match \(m.id)'s settings are not a JSON object")
                    }
                    let people = Set([m.creator] + (m.invitee.map { [$0] } ?? []) + m.seats)
                    for p in people { try requirePlayer(p, "match \(m.id)") }
                    matches[m.id] = m
                    for p in people { participation[p, default: []].insert(m.id) }
                case .updateMatch(let m, let newParticipant):
                    if let p = newParticipant {
                        try requirePlayer(p, "match \(m.id)'s new participant")
                        guard matches[m.id] != nil else { throw MemoryStorage.refused("no match \(m.id) to join") }
                        participation[p, default: []].insert(m.id)
                    }
                    // An UPDATE of a match that is not there changes nothing, as in SQL.
                    guard var stored = matches[m.id] else { continue }
                    if m.plyCount < stored.plyCount {
                        // A takeback, as the trigger of Schema/008 does it: the plies past
                        // the new count move aside, and the match's conditional lines go.
                        let gone = (plies[m.id] ?? [:]).filter { $0.key > m.plyCount }
                        takenBack += gone.values.sorted { $0.ply < $1.ply }
                        for k in gone.keys { plies[m.id]?[k] = nil }
                        conditionalLines[m.id] = nil
                    }
                    stored.status = m.status
                    stored.seats = m.seats
                    stored.plyCount = m.plyCount
                    stored.toMove = m.toMove
                    stored.deadline = m.deadline
                    stored.resultWinner = m.resultWinner
                    stored.resultReason = m.resultReason
                    stored.updatedAt = m.updatedAt
                    stored.clockBanks = m.clockBanks
                    stored.pausedUntil = m.pausedUntil
                    stored.remindAt = m.remindAt
                    matches[m.id] = stored
                case .ply(let p):
                    guard matches[p.match] != nil else { throw MemoryStorage.refused("ply for no match \(p.match)") }
                    guard plies[p.match]?[p.ply] == nil else {
                        throw MemoryStorage.refused("ply \(p.ply) of \(p.match) is stored already")
                    }
                    plies[p.match, default: [:]][p.ply] = p
                case .stats(let s):
                    try requirePlayer(s.player, "stats")
                    stats[Self.statsKey(s.player, s.game)] = s
                }
            }
        }

        mutating func applyLazy(_ write: LazyWrite) {
            switch write {
            case .sessionUsed(let p, let hash):
                guard sessions[hash] == p, let i = sessionOrder[p]?.firstIndex(of: hash) else { return }
                sessionOrder[p]?.remove(at: i)
                sessionOrder[p]?.append(hash)
            case .name(let p, let name): updateLivePlayer(p) { $0.name = name }
            case .data(let p, let json): updateLivePlayer(p) { $0.data = json }
            case .lastSeen(let p, let at): if players[p]?.deletedAt == nil, players[p] != nil { lastSeen[p] = at }
            case .eventSeq(let p, let seq): updateLivePlayer(p) { $0.eventSeq = max($0.eventSeq, seq) }
            case .notification(let n):
                guard players[n.player] != nil,
                    !(notifications[n.player] ?? []).contains(where: { $0.row.id == n.id })
                else { return }
                notifications[n.player, default: []].append(StoredNotification(row: n, readAt: nil))
            case .notificationSeen(let p, let id, let at):
                guard let i = notifications[p]?.firstIndex(where: { $0.row.id == id && $0.readAt == nil }) else { return }
                notifications[p]?[i].readAt = at
            case .queued(let p, let key, let at):
                guard players[p] != nil, !automatch.contains(where: { $0.player == p && $0.key == key }) else { return }
                automatch.append((p, key, at))
            case .unqueued(let p, let key):
                automatch.removeAll { $0.player == p && $0.key == key }
            }
        }

        /// Lazy player columns change only while the account lives, as in `LazyWriteSQL`.
        mutating func updateLivePlayer(_ id: String, _ change: (inout PlayerRow) -> Void) {
            guard var row = players[id], row.deletedAt == nil else { return }
            change(&row)
            players[id] = row
        }

        mutating func createPlayer(_ now: Date) -> PlayerRow {
            playerNumber += 1
            let row = PlayerRow(
                id: "p\(playerNumber)", name: "Player \(playerNumber)", data: "{}", createdAt: now.wholeSeconds)
            players[row.id] = row
            return row
        }
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Date

    /// `now`: the clock for the times the database would stamp (accounts, reports).
    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// This storage as the engine takes it.
    public var storage: Storage {
        Storage(commits: self, lazyWrites: self, matches: self, accounts: self, safety: self, conditionals: self)
    }

    static func refused(_ what: String) -> StoreError {
        StoreError(.refused, underlying: Refusal(description: what))
    }

    // MARK: test controls

    /// The next commits fail as given, one fault each, in order.
    public func failNextCommit(_ fault: CommitFault) {
        state.withLock { $0.faults.append(fault) }
    }

    /// Commits that stored their writes.
    public var commitCount: Int { state.withLock { $0.commits } }

    /// The plies stored for a match, oldest first.
    public func moves(of match: String) -> [String] { state.withLock { $0.moves(match) } }

    /// The plies takebacks removed from a match, oldest first.
    public func takenBack(of match: String) -> [String] {
        state.withLock { $0.takenBack.filter { $0.match == match }.map(\.move) }
    }

    /// Stores a new account directly (a player who logged in before the test began).
    @discardableResult
    public func addPlayer(name: String? = nil) -> PlayerRow {
        let now = now()
        return state.withLock { s in
            var row = s.createPlayer(now)
            if let name { row.name = name }
            s.players[row.id] = row
            return row
        }
    }
}

// MARK: - writes

extension MemoryStorage: CriticalCommitting, LazyWriting {
    public func commit(_ writes: [CriticalWrite]) async throws {
        guard !writes.isEmpty else { return }
        try state.withLock { s in
            let fault = s.faults.isEmpty ? nil : s.faults.removeFirst()
            switch fault {
            case .unavailable:
                throw StoreError(.unavailable, underlying: InjectedFault(description: "the database is unreachable"))
            case .outcomeUnknown(let stored):
                if stored {
                    var next = s
                    try next.apply(writes)
                    next.commits += 1
                    s = next
                }
                throw StoreError(.outcomeUnknown, underlying: InjectedFault(description: "no answer to the commit"))
            case nil:
                // Applied to a copy and kept only whole: a refused batch leaves nothing.
                var next = s
                try next.apply(writes)
                next.commits += 1
                s = next
            }
        }
    }

    @discardableResult
    public func lazy(_ write: LazyWrite) async -> Bool {
        state.withLock { $0.applyLazy(write) }
        return true
    }

    public func hasPendingLazy(player: String) async -> Bool { false }
}

// MARK: - match reads

extension MemoryStorage: MatchReading {
    public func newMatchID() async throws -> String {
        state.withLock { s in
            s.matchNumber += 1
            return "m\(s.matchNumber)"
        }
    }

    public func match(_ id: String) async throws -> (MatchRow, [String])? {
        state.withLock { s in s.matches[id].map { ($0, s.moves(id)) } }
    }

    private func participated(_ s: State, _ player: String) -> [MatchRow] {
        (s.participation[player] ?? []).compactMap { s.matches[$0] }
    }

    public func matches(of player: String, finished: Bool?, limit: Int) async throws -> [MatchRow] {
        state.withLock { s in
            let rows = participated(s, player).filter { finished == nil || $0.status.isOver == finished }
            // As the SQL orders them: unfinished first, the player's turn first, then by
            // deadline (none last) and the most recent change.
            return rows.sorted { a, b in
                if a.status.isOver != b.status.isOver { return !a.status.isOver }
                if (a.toMove == player) != (b.toMove == player) { return a.toMove == player }
                switch (a.deadline, b.deadline) {
                case (let x?, let y?) where x != y: return x < y
                case (.some, nil): return true
                case (nil, .some): return false
                default: return a.updatedAt > b.updatedAt
                }
            }.prefix(limit).map { $0 }
        }
    }

    /// Newest first, as the SQL orders them: stamps are whole seconds, so ties go to the later
    /// id, `m<number>` compared as a number (by length, then as text).
    static func newerFirst(_ a: MatchRow, _ b: MatchRow) -> Bool {
        a.createdAt != b.createdAt ? a.createdAt > b.createdAt : (a.id.count, a.id) > (b.id.count, b.id)
    }

    public func openChallenges(game: String?, since: Date, limit: Int) async throws -> [(MatchRow, name: String, bot: Bool)] {
        state.withLock { s in
            var newestOfCreator: [String: MatchRow] = [:]
            for m in s.matches.values where m.status == .open && m.createdAt >= since && (game == nil || m.game == game) {
                if let held = newestOfCreator[m.creator], !Self.newerFirst(m, held) { continue }
                newestOfCreator[m.creator] = m
            }
            return newestOfCreator.values.sorted(by: Self.newerFirst).prefix(limit).compactMap { m in
                s.players[m.creator].map { (m, $0.name, $0.bot) }
            }
        }
    }

    public func matchesWithMoves(of player: String, limit: Int) async throws -> [(MatchRow, [String])] {
        state.withLock { s in
            participated(s, player)
                .sorted(by: Self.newerFirst)
                .prefix(limit).map { ($0, s.moves($0.id)) }
        }
    }

    public func overdue(now: Date, limit: Int) async throws -> [String] {
        state.withLock { s in
            s.matches.values.compactMap { m -> (String, Date)? in
                guard m.status == .active, let d = m.deadline, d < now else { return nil }
                return (m.id, d)
            }.sorted { $0.1 < $1.1 }.prefix(limit).map(\.0)
        }
    }

    public func dueReminders(now: Date, limit: Int) async throws -> [String] {
        state.withLock { s in
            s.matches.values.compactMap { m -> (String, Date)? in
                guard m.status == .active, let r = m.remindAt, r <= now else { return nil }
                return (m.id, r)
            }.sorted { $0.1 < $1.1 }.prefix(limit).map(\.0)
        }
    }

    public func stats(of players: [String], game: String) async throws -> [StatsRow] {
        state.withLock { s in players.compactMap { s.stats[State.statsKey($0, game)] } }
    }

    public func stats(of player: String) async throws -> [StatsRow] {
        state.withLock { s in s.stats.values.filter { $0.player == player }.sorted { $0.game < $1.game } }
    }

    public func top(game: String, limit: Int) async throws -> [(StatsRow, String)] {
        state.withLock { s in
            s.stats.values.filter { $0.game == game && $0.played > 0 }
                .sorted { $0.rating != $1.rating ? $0.rating > $1.rating : $0.player < $1.player }
                .prefix(limit).map { ($0, s.players[$0.player]?.name ?? $0.player) }
        }
    }

    public func automatchQueue() async throws -> [(key: String, player: String)] {
        state.withLock { s in
            s.automatch.sorted { $0.at != $1.at ? $0.at < $1.at : $0.player < $1.player }.map { ($0.key, $0.player) }
        }
    }

    public func names(_ ids: [String]) async throws -> [String: String] {
        state.withLock { s in
            var out: [String: String] = [:]
            for id in ids { if let p = s.players[id] { out[id] = p.name } }
            return out
        }
    }

    public func unreadNotifications(of player: String, limit: Int) async throws -> [NotificationRow] {
        state.withLock { s in
            (s.notifications[player] ?? []).filter { $0.readAt == nil }.suffix(limit).map { n in
                var row = n.row
                row.email = false
                return row
            }
        }
    }
}

// MARK: - accounts

extension MemoryStorage: AccountStoring {
    public func player(_ id: String) async throws -> PlayerRow? { state.withLock { $0.players[id] } }

    public func playerForDevice(_ hash: Data) async throws -> String? { state.withLock { $0.devices[hash] } }

    public func setVacation(_ player: String, _ vacation: VacationRow) async throws -> Bool {
        state.withLock { s in
            guard let row = s.players[player], row.deletedAt == nil else { return false }
            s.updateLivePlayer(player) { $0.vacation = vacation }
            return true
        }
    }

    public func loginDevice(_ hash: Data) async throws -> (PlayerRow, Bool) {
        let now = now()
        return state.withLock { s in
            if let id = s.devices[hash], let row = s.players[id] { return (row, false) }
            let row = s.createPlayer(now)
            s.devices[hash] = row.id
            return (row, true)
        }
    }

    public func emailLogin(_ email: String) async throws -> (player: String, passwordHash: String)? {
        state.withLock { $0.emails[email].map { ($0.player, $0.hash) } }
    }

    public func email(of player: String) async throws -> String? {
        state.withLock { s in s.emails.first { $0.value.player == player }?.key }
    }

    public func requestConfirmation(player: String, codeHash: Data, code: String) async throws -> ConfirmationRequest {
        let now = now()
        return state.withLock { s in
            guard let email = s.emails.first(where: { $0.value.player == player })?.key, s.unconfirmed[email] != nil else {
                return .nothingToConfirm
            }
            let address = email.replacingOccurrences(of: #"\+[^@]*@"#, with: "@", options: .regularExpression)
            let today = (s.codesMailed[address] ?? []).filter { now.timeIntervalSince($0) < 86400 }
            guard today.count < AccountStore.confirmationMailsPerDay else { return .limited(email) }
            s.codesMailed[address] = today + [now]
            s.unconfirmed[email] = .some(codeHash)
            return .mailed(email)
        }
    }

    public func confirmEmail(player: String, codeHash: Data) async throws -> EmailConfirmation {
        state.withLock { s in
            guard let email = s.emails.first(where: { $0.value.player == player })?.key, let waiting = s.unconfirmed[email] else {
                return .nothingToConfirm
            }
            guard waiting == codeHash else { return .wrongCode }
            s.unconfirmed[email] = nil
            return .confirmed(email)
        }
    }

    public func linkEmail(player: String, email: String, passwordHash: String, confirmed: Bool) async throws(LinkConflictOrError) {
        let refusal: LinkConflictOrError? = state.withLock { s in
            guard s.players[player] != nil else { return .other(Self.refused("an email for no player \(player)")) }
            // The email is the key, the player unique: as the table's constraints decide.
            if s.emails[email] != nil { return .conflict(.takenByAnother) }
            if s.emails.values.contains(where: { $0.player == player }) { return .conflict(.alreadyLinked) }
            s.emails[email] = (player, passwordHash)
            if !confirmed { s.unconfirmed[email] = .some(nil) }
            return nil
        }
        if let refusal { throw refusal }
    }

    public func playerForIdentity(issuer: String, subject: String) async throws -> String? {
        let key = Identity(issuer: issuer, subject: subject)
        return state.withLock { s in s.identities.first { $0.0 == key }?.player }
    }

    public func loginIdentity(issuer: String, subject: String) async throws -> (PlayerRow, Bool) {
        let now = now()
        let key = Identity(issuer: issuer, subject: subject)
        return state.withLock { s in
            if let id = s.identities.first(where: { $0.0 == key })?.player, let row = s.players[id] { return (row, false) }
            let row = s.createPlayer(now)
            s.identities.append((key, row.id))
            return (row, true)
        }
    }

    public func linkIdentity(player: String, issuer: String, subject: String) async throws(LinkConflictOrError) {
        let key = Identity(issuer: issuer, subject: subject)
        let refusal: LinkConflictOrError? = state.withLock { s in
            if let owner = s.identities.first(where: { $0.0 == key })?.player {
                return owner == player ? nil : .conflict(.takenByAnother)
            }
            guard s.players[player] != nil else { return .other(Self.refused("an identity for no player \(player)")) }
            s.identities.append((key, player))
            return nil
        }
        if let refusal { throw refusal }
    }

    public func createSession(hash: Data, player: String) async throws {
        try state.withLock { s in
            try s.requirePlayer(player, "a session")
            guard s.sessions[hash] == nil else { throw Self.refused("session token exists") }
            s.sessions[hash] = player
            s.sessionOrder[player, default: []].append(hash)
            while let order = s.sessionOrder[player], order.count > AccountStore.maximumSessionsPerPlayer {
                s.sessions[order[0]] = nil
                s.sessionOrder[player]!.removeFirst()
            }
        }
    }

    public func sessionPlayer(hash: Data) async throws -> String? { state.withLock { $0.sessions[hash] } }

    public func deleteSessions(of player: String) async throws -> Int {
        state.withLock { s in
            let ended = s.sessionOrder.removeValue(forKey: player) ?? []
            for hash in ended { s.sessions[hash] = nil }
            return ended.count
        }
    }

    public func deleteSession(hash: Data) async throws {
        state.withLock { s in
            guard let player = s.sessions.removeValue(forKey: hash) else { return }
            s.sessionOrder[player]?.removeAll { $0 == hash }
        }
    }
}

// MARK: - safety

extension MemoryStorage: SafetyStoring {
    public func blocks(of player: String) async throws -> [String] { state.withLock { $0.blocks[player] ?? [] } }

    public func block(_ player: String, _ blocked: String) async throws {
        try state.withLock { s in
            try s.requirePlayer(player, "a block")
            try s.requirePlayer(blocked, "a block")
            if !(s.blocks[player] ?? []).contains(blocked) { s.blocks[player, default: []].append(blocked) }
        }
    }

    public func unblock(_ player: String, _ blocked: String) async throws {
        state.withLock { $0.blocks[player]?.removeAll { $0 == blocked } }
    }

    public func fileReport(by reporter: String, about reported: String, text: String) async throws -> String {
        let now = now()
        return try state.withLock { s in
            try s.requirePlayer(reporter, "a report")
            try s.requirePlayer(reported, "a report")
            if s.reports.contains(where: { $0.reporter == reporter && $0.reported == reported && $0.resolvedAt == nil }) {
                throw ReportRefusal.alreadyOpen
            }
            s.reportNumber += 1
            let id = "r\(s.reportNumber)"
            s.reports.append(ReportRow(id: id, reporter: reporter, reported: reported, text: text, createdAt: now))
            return id
        }
    }

    public func reports(openOnly: Bool, after: String?, limit: Int) async throws -> [ReportRow]? {
        state.withLock { s in
            // Filed in order, so each part stays oldest first.
            // Every report with its part, so that `after` is found wherever it now stands.
            let all = s.reports.map { r in
                var r = r
                r.played = played(s, r.reporter, r.reported)
                return r
            }
            let ordered = all.filter { $0.played == true } + all.filter { $0.played != true }
            var rest = ordered[...]
            if let after {
                guard let i = ordered.firstIndex(where: { $0.id == after }) else { return nil }
                rest = ordered[(i + 1)...]
            }
            return Array(rest.filter { !openOnly || $0.resolvedAt == nil }.prefix(limit))
        }
    }

    public func reports(about player: String, limit: Int) async throws -> [ReportRow] {
        state.withLock { s in s.reports.filter { $0.reported == player }.reversed().prefix(limit).map { $0 } }
    }

    public func reports(filedBy player: String) async throws -> [ReportRow] {
        state.withLock { s in s.reports.filter { $0.reporter == player } }
    }

    public func resolve(report: String, resolution: String) async throws -> Bool {
        let now = now()
        return state.withLock { s in
            guard let i = s.reports.firstIndex(where: { $0.id == report && $0.resolvedAt == nil }) else { return false }
            s.reports[i].resolvedAt = now
            s.reports[i].resolution = resolution
            return true
        }
    }

    public func audit(action: String, target: String, reason: String, detail: String) async throws {
        guard (try? JSONValue(parsing: detail)) != nil else { throw Self.refused("audit detail is not JSON") }
        state.withLock { $0.audit.append((action, target, reason, detail)) }
    }

    public func setSanction(_ player: String, _ kind: Sanctions.Kind, until: Date?, reason: String?) async throws -> Bool {
        state.withLock { s in
            guard var row = s.players[player], row.deletedAt == nil else { return false }
            row.sanctions.set(kind, until: until, reason: reason)
            s.players[player] = row
            return true
        }
    }

    public func setBot(_ player: String, _ bot: Bool) async throws -> Bool {
        state.withLock { s in
            guard var row = s.players[player], row.deletedAt == nil else { return false }
            row.bot = bot
            s.players[player] = row
            return true
        }
    }

    public func credentials(of player: String) async throws -> (
        kinds: [String], email: String?, identities: [(issuer: String, subject: String)], devices: Int, lastSeen: Date?
    ) {
        state.withLock { s in
            guard s.players[player] != nil else { return ([], nil, [], 0, nil) }
            let devices = s.devices.values.filter { $0 == player }.count
            let email = s.emails.first { $0.value.player == player }?.key
            let identities = s.identities.filter { $0.player == player }.map { (issuer: $0.0.issuer, subject: $0.0.subject) }
            var kinds: [String] = []
            if devices > 0 { kinds.append("device") }
            if email != nil { kinds.append("email") }
            if !identities.isEmpty { kinds.append("external") }
            return (kinds, email, identities, devices, s.lastSeen[player])
        }
    }

    public func notifications(of player: String) async throws -> [(id: String, kind: String, match: String, at: Date, read: Date?)] {
        state.withLock { s in
            (s.notifications[player] ?? []).sorted { $0.row.at != $1.row.at ? $0.row.at < $1.row.at : $0.row.id < $1.row.id }
                .map { ($0.row.id, $0.row.kind, $0.row.match, $0.row.at, $0.readAt) }
        }
    }

    public func unlinkEmail(of player: String) async throws -> String? {
        state.withLock { s in
            guard let email = s.emails.first(where: { $0.value.player == player })?.key else { return nil }
            s.emails[email] = nil
            s.unconfirmed[email] = nil
            return email
        }
    }

    public func deleteAccount(_ player: String) async throws {
        let now = now()
        state.withLock { s in
            s.devices = s.devices.filter { $0.value != player }
            for (email, link) in s.emails where link.player == player { s.unconfirmed[email] = nil }
            s.emails = s.emails.filter { $0.value.player != player }
            s.identities.removeAll { $0.player == player }
            s.sessions = s.sessions.filter { $0.value != player }
            s.sessionOrder[player] = nil
            s.notifications[player] = nil
            s.blocks[player] = nil
            for k in s.blocks.keys { s.blocks[k]?.removeAll { $0 == player } }
            s.reports.removeAll { $0.reporter == player }
            s.automatch.removeAll { $0.player == player }
            s.stats = s.stats.filter { $0.value.player != player }
            guard var row = s.players[player] else { return }
            row.name = "Deleted player"
            row.data = "{}"
            row.bot = false
            row.deletedAt = now
            row.sanctions = Sanctions()
            s.players[player] = row
        }
    }

    public func pendingChallenges(of creator: String) async throws -> (open: Int, invitations: [(invitee: String, game: String)]) {
        state.withLock { s in
            let mine = s.matches.values.filter { $0.creator == creator }
            return (
                mine.filter { $0.status == .open }.count,
                mine.filter { $0.status == .invited }.map { (invitee: $0.invitee ?? "", game: $0.game) }
            )
        }
    }

    public func havePlayed(_ a: String, _ b: String) async throws -> Bool {
        state.withLock { s in played(s, a, b) }
    }

    /// Whether `a` and `b` have played a match together in which both moved (two plies or
    /// more; it may have ended or been aborted since), as `SafetyStore.playedTogether`.
    private func played(_ s: State, _ a: String, _ b: String) -> Bool {
        participated(s, a).contains { m in
            [.active, .finished, .aborted].contains(m.status) && m.plyCount >= 2 && (s.participation[b] ?? []).contains(m.id)
        }
    }

    public func participates(_ player: String, in match: String) async throws -> Bool {
        state.withLock { s in
            guard let m = s.matches[match] else { return false }
            return m.seats.contains(player) || m.creator == player || m.invitee == player
        }
    }

    public func unmovedMatches(of player: String) async throws -> Int {
        let recent = now().addingTimeInterval(-600)
        return state.withLock { s in
            // Seat i (from 0) moves first at ply i + 1: it has not moved while fewer plies exist.
            participated(s, player).filter { m in
                m.status == .active && m.plyCount < (m.seats.firstIndex(of: player).map { $0 + 1 } ?? 0)
                    && (m.toMove == player || (m.plyCount == 0 && m.creator != player && m.updatedAt > recent))
            }.count
        }
    }

    public func waitingInvitations(for invitee: String) async throws -> Int {
        state.withLock { s in s.matches.values.filter { $0.invitee == invitee && $0.status == .invited }.count }
    }

    public func invitations(from creator: String, to invitee: String) async throws -> [String] {
        state.withLock { s in
            s.matches.values.filter { $0.creator == creator && $0.invitee == invitee && $0.status == .invited }.map(\.id)
        }
    }

    public func unfinishedMatches(of player: String) async throws -> [String] {
        state.withLock { s in
            s.matches.values.filter {
                !$0.status.isOver && ($0.creator == player || $0.invitee == player || $0.seats.contains(player))
            }.map(\.id).sorted()
        }
    }

    public func expiredOpenChallenges(before cutoff: Date, limit: Int) async throws -> [String] {
        state.withLock { s in
            s.matches.values.filter { $0.status == .open && $0.createdAt < cutoff }
                .sorted { $0.createdAt < $1.createdAt }.prefix(limit).map(\.id)
        }
    }
}

// MARK: - conditional lines

extension MemoryStorage: ConditionalLineStoring {
    public func conditionalLines(of match: String) async throws -> [String: [String]] {
        state.withLock { $0.conditionalLines[match] ?? [:] }
    }

    public func storeConditionalLines(match: String, player: String, lines: [String]) async throws {
        try state.withLock { s in
            guard s.matches[match] != nil else { throw MemoryStorage.refused("lines for no match \(match)") }
            s.conditionalLines[match, default: [:]][player] = lines.isEmpty ? nil : lines
        }
    }
}
