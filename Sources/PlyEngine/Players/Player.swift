import Foundation
import PlyJSON
import PlyProtocol
import PlyStore

/// One account in memory: its profile and the connections it has open. Reads of a loaded
/// player are served from here; events for the player fan out from here, in order.
public actor Player {
    public nonisolated let id: String
    public private(set) var name: String
    public private(set) var data: JSONObject
    public nonisolated let createdAt: Date

    struct Connection {
        var outbound: Outbound
        var tokenHash: Data
    }
    private var connections: [Int: Connection] = [:]
    private var stats: [String: StatsRow]

    init(id: String, name: String, data: JSONObject, createdAt: Date, stats: [StatsRow]) {
        self.id = id
        self.name = name
        self.data = data
        self.createdAt = createdAt
        self.stats = Dictionary(stats.map { ($0.game, $0) }, uniquingKeysWith: { a, _ in a })
    }

    func stats(for game: String) -> StatsRow { stats[game] ?? StatsRow(player: id, game: game) }
    func setStats(_ row: StatsRow) { stats[row.game] = row }

    var statsJSON: JSONObject {
        JSONObject(stats.values.sorted { $0.game < $1.game }.map { s in
            (s.game, [
                "played": .int(s.played), "won": .int(s.won), "lost": .int(s.lost), "drawn": .int(s.drawn),
                "rating": .int(Int(s.rating.rounded())), "deviation": .int(Int(s.deviation.rounded())),
            ] as JSONValue)
        })
    }

    public var isOnline: Bool { !connections.isEmpty }
    public var connectionCount: Int { connections.count }

    func attach(connection: Int, outbound: Outbound, tokenHash: Data) {
        connections[connection] = Connection(outbound: outbound, tokenHash: tokenHash)
    }

    func detach(connection: Int) {
        connections[connection] = nil
    }

    /// Ends a session token everywhere: every other connection that used it is closed.
    func revoke(tokenHash: Data, except connection: Int) {
        for (id, c) in connections where c.tokenHash == tokenHash {
            connections[id] = nil
            if id != connection { c.outbound.close() }
        }
    }

    /// The profile as `PROFILE` shows it; `data` only to its owner.
    func profile(forOwner: Bool) -> JSONObject {
        var o: JSONObject = [
            "player": .string(id),
            "name": .string(name),
            "created_at": .string(Timestamp.rfc3339(createdAt)),
            "online": .bool(isOnline),
            "stats": .object(statsJSON),
        ]
        if forOwner { o["data"] = .object(data) }
        return o
    }

    func setName(_ name: String) { self.name = name }
    func setData(_ data: JSONObject) { self.data = data }

    /// Sends an event to every connection of this player except one.
    func send(_ event: Event, except connection: Int? = nil) {
        let line = event.line
        for (id, c) in connections where id != connection { c.outbound.send(line) }
    }
}

enum Timestamp {
    static func rfc3339(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false, timeZone: .gmt))
    }
}
