import Foundation

/// Hot, low-value state: acknowledged at once, coalesced by row, flushed when the writer
/// has nothing critical to do (and at least every second). A crash may lose the last
/// second of it, never anything critical.
public enum LazyWrite: Sendable, Hashable {
    case name(player: String, name: String)
    case data(player: String, json: String)
    case lastSeen(player: String, at: Date)
    case eventSeq(player: String, seq: Int)
    case notification(NotificationRow)
    case notificationSeen(player: String, id: String, at: Date)
    /// Automatch: the player waits for a match with these settings / no longer does.
    case queued(player: String, pairingKey: String, at: Date)
    case unqueued(player: String, pairingKey: String)
    /// A session token was used again (a resume): past the cap on a player's sessions, the
    /// one unused longest ends. Stamped by PostgreSQL's clock when flushed, as new sessions
    /// are, so the two compare on one clock; a use counts from its flush, not its moment.
    case sessionUsed(player: String, tokenHash: Data)

    /// Writes with the same key are one row: the later replaces the earlier.
    public var key: String {
        switch self {
        case .name(let p, _): "name \(p)"
        case .data(let p, _): "data \(p)"
        case .lastSeen(let p, _): "seen \(p)"
        case .eventSeq(let p, _): "seq \(p)"
        case .notification(let n): "note \(n.player) \(n.id)"
        case .notificationSeen(let p, let id, _): "read \(p) \(id)"
        case .queued(let p, let k, _), .unqueued(let p, let k): "queue \(p) \(k)"
        case .sessionUsed(_, let hash): "session \(hash.hexString)"
        }
    }

    /// The player whose row this is, so a player leaves memory only once it is flushed.
    public var player: String {
        switch self {
        case .name(let p, _), .data(let p, _), .lastSeen(let p, _), .eventSeq(let p, _), .notificationSeen(let p, _, _),
            .queued(let p, _, _), .unqueued(let p, _), .sessionUsed(let p, _):
            p
        case .notification(let n): n.player
        }
    }
}

/// A stored notification (`your_turn`, `challenge`, `ended`, `deadline_soon`), and whether it
/// also goes to the email outbox: one row for it, or with `digestHours` a digest of the
/// player's waiting matches at most once in that many hours.
public struct NotificationRow: Sendable, Hashable {
    public var player: String
    public var id: String
    public var kind: String
    public var match: String
    public var at: Date
    public var email: Bool
    public var digestHours: Int?
    public init(player: String, id: String, kind: String, match: String, at: Date, email: Bool, digestHours: Int? = nil) {
        self.player = player
        self.id = id
        self.kind = kind
        self.match = match
        self.at = at
        self.email = email
        self.digestHours = digestHours
    }
}

extension Data {
    /// Lower-case hexadecimal, two digits a byte.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
