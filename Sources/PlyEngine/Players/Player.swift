import Foundation
import PlyJSON
import PlyProtocol
import PlyStore
import Synchronization

/// One account in memory: its profile, its stats, the connections it has open, and the
/// numbered events it was sent. Reads of a loaded player are served from here; events for
/// the player are numbered and fan out from here, in order, so a device that resumes with
/// its last `seq` misses nothing and sees nothing twice.
public actor Player {
    public nonisolated let id: String
    public private(set) var name: String
    public private(set) var data: JSONObject
    public nonisolated let createdAt: Date
    /// Players this one blocked: their challenges, pairings and chat never reach it.
    private(set) var blocked: Set<String>
    private(set) var sanctions: Sanctions
    private(set) var bot: Bool
    /// Set when the account is deleted: it takes no connection and stores nothing more.
    private(set) var deleted: Bool
    /// The vacation in force (or the last) and the allowance used, as stored.
    private(set) var vacation: VacationRow
    /// The end of a ban in force (seconds since 1970; 0: none) and whether the account is
    /// deleted, readable without a hop: every request of a session checks them first, so
    /// requests already read when a ban or a deletion lands do nothing.
    private let bannedUntilSeconds: Atomic<Int64>
    private let deletedFlag: Atomic<Bool>

    struct Connection {
        var outbound: Outbound
        var tokenHash: Data
    }
    private var connections: [Int: Connection] = [:]
    /// When `LOGOUT ALL` last ended every session token: a resume whose token was looked up
    /// before then is refused when it comes to attach (its token is gone).
    private var sessionsEndedAt: ContinuousClock.Instant?
    /// The player's results and ratings, as `PROFILE` shows them (the rating desk rates from
    /// the stored ones and sets these after each rated ending).
    private var stats: [String: StatsRow]
    private let writer: any LazyWriting

    // Events, numbered per player.
    private(set) var seq: Int
    /// Kept as encoded once for all its players: a line is written only for a connection
    /// that is sent it (now, or on a resume).
    private var recent: [(seq: Int, event: NumberedEvent, at: Date)] = []
    private var recentStart = 0
    /// Bytes of the events kept (from `recentStart`), and of those dropped but not yet
    /// removed from the array.
    private var recentBytes = 0
    private var droppedBytes = 0
    static let keepEvents = 256
    static let keepSeconds = 15.0 * 60
    static let seqStride = 16
    /// Bounds memory for a player flooded with events (a bot playing hundreds of games).
    static let hardLimit = 2048
    /// Bounds it for one flooded with large events (a profile blob of 16 KiB each time):
    /// past this many bytes the oldest go, and a resume from before them is a resync.
    static let keepBytes = 256 * 1024

    /// Unread notifications, oldest first (the same as the database once flushed).
    private var unread: [NotificationRow]
    static let maximumUnread = 200

    private(set) var lastTouched = Date()

    init(row: PlayerRow, stats: [StatsRow], unread: [NotificationRow], blocked: [String] = [], writer: any LazyWriting) {
        id = row.id
        name = row.name
        self.blocked = Set(blocked)
        sanctions = row.sanctions
        bot = row.bot
        deleted = row.deletedAt != nil
        vacation = row.vacation
        bannedUntilSeconds = Atomic(Int64(row.sanctions.bannedUntil?.timeIntervalSince1970 ?? 0))
        deletedFlag = Atomic(row.deletedAt != nil)
        data = (try? JSONValue.parseObject(row.data)) ?? JSONObject()
        createdAt = row.createdAt
        // Numbers are recorded every `seqStride` events, so after a crash up to that many may
        // be unrecorded: start past them, and a number is never handed out twice.
        seq = row.eventSeq == 0 ? 0 : row.eventSeq + Self.seqStride
        self.stats = Dictionary(stats.map { ($0.game, $0) }, uniquingKeysWith: { a, _ in a })
        self.unread = unread
        self.writer = writer
    }

    public var isOnline: Bool { !connections.isEmpty }
    public var connectionCount: Int { connections.count }
    var idleSince: Date? { connections.isEmpty ? lastTouched : nil }

    /// Set when the player leaves memory; a retired actor takes no new connection.
    private var retired = false

    /// Retires the player if no connection has used it since `cutoff`; returns whether it did.
    func retireIfIdle(before cutoff: Date) -> Bool {
        guard !retired, connections.isEmpty, lastTouched < cutoff else { return retired }
        retired = true
        return true
    }

    // MARK: connections

    public struct Resume: Sendable {
        public var replayed: Int
        public var resync: Bool
        public var seq: Int
    }

    /// Adds a connection. With `lastSeq`, first sends it the events after that number (or
    /// says it must resync when they are no longer held); nothing new can slip in between,
    /// because events are numbered and sent inside this actor.
    /// Nil when this actor has retired (left memory): look the player up again.
    /// `lookedUp`: when a resumed token was found in the database (nil for a new session).
    func attach(
        connection: Int, outbound: Outbound, tokenHash: Data, lastSeq: Int? = nil, lookedUp: ContinuousClock.Instant? = nil
    ) throws(PlyError) -> Resume? {
        guard !retired else { return nil }
        guard !deleted else { throw PlyError.unauthenticated("unknown or ended session") }
        if let ended = sessionsEndedAt, let lookedUp, lookedUp < ended {
            throw PlyError.unauthenticated("unknown or ended session")
        }
        if let until = sanctions.banned(at: Date()) { throw Self.bannedError(until) }
        connections[connection] = Connection(outbound: outbound, tokenHash: tokenHash)
        lastTouched = Date()
        guard let lastSeq else { return Resume(replayed: 0, resync: false, seq: seq) }
        trimRecent()
        if lastSeq == seq { return Resume(replayed: 0, resync: false, seq: seq) }
        let oldestHeld = recentStart < recent.count ? recent[recentStart].seq : seq + 1
        guard lastSeq < seq, lastSeq + 1 >= oldestHeld else { return Resume(replayed: 0, resync: true, seq: seq) }
        var n = 0
        for e in recent[recentStart...] where e.seq > lastSeq {
            outbound.send(e.event.line(seq: e.seq))
            n += 1
        }
        return Resume(replayed: n, resync: false, seq: seq)
    }

    /// A session token of this player was used again: it is the last to end past the cap
    /// on sessions (written lazily).
    func used(tokenHash: Data) async {
        await writer.lazy(.sessionUsed(player: id, tokenHash: tokenHash))
    }

    func detach(connection: Int) async {
        guard connections.removeValue(forKey: connection) != nil else { return }
        lastTouched = Date()
        if connections.isEmpty {
            await writer.lazy(.lastSeen(player: id, at: lastTouched))
            await writer.lazy(.eventSeq(player: id, seq: seq))
        }
    }

    /// Ends a session token everywhere: every other connection that used it is closed.
    func revoke(tokenHash: Data, except connection: Int) async {
        for (cid, c) in connections where c.tokenHash == tokenHash {
            connections[cid] = nil
            if cid != connection { c.outbound.close() }
        }
        if connections.isEmpty { await writer.lazy(.lastSeen(player: id, at: Date())) }
    }

    /// Every session token ended (`LOGOUT ALL`, called once they are deleted): every
    /// connection is let go, all but `connection` are closed, and a resume still on its way
    /// with a token it read before is refused (see `attach`).
    func revokeAll(except connection: Int) async {
        sessionsEndedAt = ContinuousClock.now
        for (cid, c) in connections where cid != connection { c.outbound.close() }
        connections = [:]
        await writer.lazy(.lastSeen(player: id, at: Date()))
        await writer.lazy(.eventSeq(player: id, seq: seq))
    }

    // MARK: events

    public enum Audience: Sendable {
        case all
        case allExcept(Int)
        case only(Int)

        func includes(_ connection: Int) -> Bool {
            switch self {
            case .all: true
            case .allExcept(let x): x != connection
            case .only(let x): x == connection
            }
        }
    }

    /// What to leave for the player when none of their connections is open.
    struct AwayNotice: Sendable {
        var kind: String
        var match: String
        var turn: Int?
    }

    /// Numbers the event, keeps it for resumes and sends it to the audience.
    func deliver(_ event: Event, to audience: Audience = .all) async {
        await deliver(NumberedEvent(event), to: audience)
    }

    /// A chat line (or anything else a player says): dropped when this player blocked the
    /// sender.
    func deliver(_ event: NumberedEvent, from sender: String, to audience: Audience = .all) async {
        guard !blocked.contains(sender) else { return }
        await deliver(event, to: audience)
    }

    /// The same for an event encoded once for several players; with `notice`, then stores
    /// a notification if the player is away (one call for both, one hop from the match).
    ///
    /// Numbering, keeping and sending happen without a suspension between them: were there
    /// one, another event could be numbered and sent meanwhile, and connections would see
    /// the numbers out of order (or a resume replay this one before it is sent).
    func deliver(_ event: NumberedEvent, to audience: Audience = .all, notice: AwayNotice? = nil) async {
        seq += 1
        let numbered = seq
        let now = Date()
        recent.append((numbered, event, now))
        recentBytes += event.byteCount
        trimRecent(now: now)
        var line: String?
        for (cid, c) in connections where audience.includes(cid) {
            if line == nil { line = event.line(seq: numbered) }
            c.outbound.send(line!)
        }
        if (numbered - 1) % Self.seqStride == 0 { await writer.lazy(.eventSeq(player: id, seq: numbered)) }
        if let notice { await notifyIfAway(kind: notice.kind, match: notice.match, turn: notice.turn) }
    }

    private func trimRecent(now: Date = Date()) {
        let cutoff = now.addingTimeInterval(-Self.keepSeconds)
        while recent.count - recentStart > 1,
            recentBytes > Self.keepBytes
                || recent.count - recentStart > Self.keepEvents
                    && (recent[recentStart].at < cutoff || recent.count - recentStart > Self.hardLimit)
        {
            let bytes = recent[recentStart].event.byteCount
            recentBytes -= bytes
            droppedBytes += bytes
            recentStart += 1
        }
        if recentStart > 1024 || droppedBytes > Self.keepBytes {
            recent.removeFirst(recentStart)
            recentStart = 0
            droppedBytes = 0
        }
    }

    // MARK: notifications

    /// Stores a notification if none of the player's connections is open and no unread one
    /// of that kind exists for the match; returns whether one was stored.
    @discardableResult
    func notifyIfAway(kind: String, match: String, turn: Int? = nil) async -> Bool {
        guard connections.isEmpty, !deleted else { return false }
        guard !unread.contains(where: { $0.kind == kind && $0.match == match }) else { return false }
        let nid = Self.noticeID(kind: kind, match: match, turn: turn)
        await store(NotificationRow(
            player: id, id: nid, kind: kind, match: match, at: Date().wholeSeconds,
            email: data["email_turn_alerts"]?.boolValue == true || digestHours != nil, digestHours: digestHours))
        return true
    }

    /// A notification's id: one per kind and match (and turn, for turn notices).
    static func noticeID(kind: String, match: String, turn: Int? = nil) -> String {
        let prefix = ["your_turn": "t", "challenge": "c", "ended": "e"][kind] ?? "x"
        return turn.map { "\(prefix)-\(match)-\($0)" } ?? "\(prefix)-\(match)"
    }

    /// `email_digest_hours` from the profile: mail a digest at most once in that many hours.
    private var digestHours: Int? {
        data["email_digest_hours"]?.intValue.flatMap { ProfileFields.digestHours.contains($0) ? $0 : nil }
    }

    /// Stores a `deadline_soon` notification for the turn `turn` of `match`, whether or not
    /// the player is connected (a reminder is for a player who has not moved, wherever they
    /// are). An unread reminder of an earlier turn of the match is replaced: one unread per
    /// match and kind.
    @discardableResult
    func remind(match: String, turn: Int) async -> Bool {
        guard !deleted else { return false }
        let nid = "s-\(match)-\(turn)"
        guard !unread.contains(where: { $0.id == nid }) else { return false }
        if let old = unread.firstIndex(where: { $0.kind == "deadline_soon" && $0.match == match }) {
            let gone = unread.remove(at: old)
            await writer.lazy(.notificationSeen(player: id, id: gone.id, at: Date()))
        }
        await store(NotificationRow(
            player: id, id: nid, kind: "deadline_soon", match: match, at: Date().wholeSeconds,
            email: data["email_turn_alerts"]?.boolValue == true || digestHours != nil, digestHours: digestHours))
        return true
    }

    /// Keeps an unread notification, stores it and tells the player's connections.
    private func store(_ note: NotificationRow) async {
        unread.append(note)
        let dropped = unread.count > Self.maximumUnread ? unread.removeFirst() : nil
        await writer.lazy(.notification(note))
        // The oldest goes, here and in the database, so both hold the same list.
        if let dropped { await writer.lazy(.notificationSeen(player: id, id: dropped.id, at: Date())) }
        await deliver(Event("notification", Self.json(note)))
    }

    var unreadJSON: JSONValue { .array(unread.map { .object(Self.json($0)) }) }

    static func json(_ n: NotificationRow) -> JSONObject {
        ["id": .string(n.id), "kind": .string(n.kind), "match": .string(n.match), "at": .string(Timestamp.rfc3339(n.at))]
    }

    func markSeen(_ nid: String) async -> Bool {
        guard let i = unread.firstIndex(where: { $0.id == nid }) else { return false }
        unread.remove(at: i)
        await writer.lazy(.notificationSeen(player: id, id: nid, at: Date()))
        return true
    }

    // MARK: profile and stats

    func stats(for game: String) -> StatsRow { stats[game] ?? StatsRow(player: id, game: game) }

    /// New stats after a rated ending, as committed.
    func setStats(_ row: StatsRow) { stats[row.game] = row }

    var statsJSON: JSONObject {
        JSONObject(stats.values.sorted { $0.game < $1.game }.map { s in
            (s.game, [
                "played": .int(s.played), "won": .int(s.won), "lost": .int(s.lost), "drawn": .int(s.drawn),
                "rating": .int(Int(s.rating.rounded())), "deviation": .int(Int(s.deviation.rounded())),
            ] as JSONValue)
        })
    }

    /// The profile as `PROFILE` shows it; `data` only to its owner.
    func profile(forOwner: Bool, now: Date = Date()) -> JSONObject {
        lastTouched = Date()
        var o: JSONObject = [
            "player": .string(id),
            "name": .string(name),
            "created_at": .string(Timestamp.rfc3339(createdAt)),
            "online": .bool(isOnline),
            "stats": .object(statsJSON),
        ]
        if bot { o["bot"] = true }
        if deleted { o["deleted"] = true }
        o["vacation_until"] = .optional(
            VacationAllowance.isOnVacation(vacation, now: now) ? vacation.until.map(Timestamp.rfc3339) : nil)
        if forOwner { o["data"] = .object(data) }
        return o
    }

    // MARK: safety

    static func bannedError(_ until: Date) -> PlyError {
        PlyError.forbidden("banned until \(Sanctions.text(until))")
    }

    /// The end of a ban in force, or nil.
    func bannedUntil(at now: Date = Date()) -> Date? { sanctions.banned(at: now) }
    func mutedUntil(at now: Date = Date()) -> Date? { sanctions.muted(at: now) }

    /// Whether this player blocked `other`.
    func hasBlocked(_ other: String) -> Bool { blocked.contains(other) }
    var blockList: [String] { blocked.sorted() }
    var blockCount: Int { blocked.count }
    func setBlocked(_ other: String, _ on: Bool) {
        if on { blocked.insert(other) } else { blocked.remove(other) }
    }

    enum BlockReservation { case reserved, already, full }

    /// Blocks reserved and not yet stored: an `UNBLOCK` of one waits for the store (`conflict`).
    private var blocksBeingStored: Set<String> = []

    /// Counts a block of `other` before it is stored, so blocks sent at once on many
    /// connections meet `limit` together; `blockStored` ends the reservation, either way.
    func reserveBlock(_ other: String, limit: Int) -> BlockReservation {
        if blocked.contains(other) { return .already }
        guard blocked.count < limit else { return .full }
        blocked.insert(other)
        blocksBeingStored.insert(other)
        return .reserved
    }

    func blockStored(_ other: String, _ stored: Bool) {
        blocksBeingStored.remove(other)
        if !stored { blocked.remove(other) }
    }

    func isBlockBeingStored(_ other: String) -> Bool { blocksBeingStored.contains(other) }

    func setBot(_ on: Bool) { bot = on }
    var isBot: Bool { bot }
    var isDeleted: Bool { deleted }

    /// Chat lines in the last minute, for the player's limit (across all their connections).
    private var chatLines: AttemptLimiter?

    /// Why the player may not say a line now (muted, or over `perMinute` lines a minute on all
    /// their connections together), or nil, counting the line.
    func chatRefusal(perMinute: Int, now: Date = Date()) -> PlyError? {
        if let until = sanctions.muted(at: now) { return PlyError.forbidden("muted until \(Sanctions.text(until))") }
        if chatLines == nil { chatLines = AttemptLimiter(limit: perMinute, window: 60, maxKeys: 1) }
        let t = now.timeIntervalSinceReferenceDate
        guard chatLines!.admit("say", now: t) else { return PlyError(.rateLimited, "at most \(perMinute) chat lines a minute") }
        return nil
    }

    /// Whether the player may act now: not deleted, not banned.
    nonisolated func isInGoodStanding(at now: Date = Date()) -> Bool {
        !deletedFlag.load(ordering: .acquiring)
            && Double(bannedUntilSeconds.load(ordering: .acquiring)) <= now.timeIntervalSince1970
    }

    /// Refuses requests from now on (the account is being deleted); `false` takes it back
    /// (the deletion failed).
    nonisolated func setLeaving(_ leaving: Bool) { deletedFlag.store(leaving, ordering: .releasing) }

    /// A ban or mute imposed or lifted; returns the sanctions now in force. A ban tells every
    /// connection why and closes it.
    @discardableResult
    func setSanction(_ kind: Sanctions.Kind, until: Date?, reason: String?) async -> Sanctions {
        sanctions.set(kind, until: until, reason: reason)
        let s = sanctions
        bannedUntilSeconds.store(Int64(s.bannedUntil?.timeIntervalSince1970 ?? 0), ordering: .releasing)
        guard kind == .ban, let until = s.banned(at: Date()) else { return s }
        await deliver(Event("banned", ["until": .string(Sanctions.text(until)), "reason": .optional(s.banReason)]))
        closeConnections(except: nil)
        return s
    }

    /// The account was deleted: every connection but `connection` closes now, that one once
    /// its reply is out; the actor leaves memory.
    func markDeleted(except connection: Int?) {
        deleted = true
        deletedFlag.store(true, ordering: .releasing)
        retired = true
        name = "Deleted player"
        data = JSONObject()
        blocked = []
        unread = []
        closeConnections(except: connection)
    }

    private func closeConnections(except keep: Int?) {
        for (cid, c) in connections where cid != keep {
            c.outbound.close()
        }
        connections = connections.filter { $0.key == keep }
    }

    func setName(_ name: String) { self.name = name }

    // MARK: vacation

    /// Starts (`days`) or ends (nil) a vacation in memory and returns the row to store and
    /// the row to restore if storing fails. Checked and changed in one step of this actor,
    /// so two devices cannot both spend the same allowance.
    func changeVacation(days: Int?, allowance: VacationAllowance, now: Date) throws(PlyError) -> (new: VacationRow, old: VacationRow) {
        let old = vacation
        let new: VacationRow
        if let days { new = try allowance.start(old, days: days, now: now) } else { new = try allowance.end(old, now: now) }
        vacation = new
        return (new, old)
    }

    /// Puts back the vacation from before a change that could not be stored.
    func restoreVacation(_ row: VacationRow) { vacation = row }
    func setData(_ data: JSONObject) { self.data = data }
}

extension Sanctions {
    /// An end of a sanction as shown: RFC 3339, or `forever`.
    static func text(_ until: Date) -> String { until >= forever ? "forever" : Timestamp.rfc3339(until) }
}
