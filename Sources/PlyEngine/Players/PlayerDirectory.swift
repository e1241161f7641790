import Foundation
import Logging
import PlyJSON
import PlyStore
import Synchronization

/// The players in memory, loaded from PostgreSQL on first access. Two requests for the
/// same cold player share one load.
public actor PlayerDirectory {
    let store: AccountStore
    let matchStore: MatchStore
    let writer: DatabaseWriter
    /// What is in memory, readable without entering the actor: the hot path (a loaded
    /// player) costs a lock instead of an actor hop.
    private nonisolated let index = Mutex<[String: Player]>([:])
    private var loading: [String: Task<Player?, any Error>] = [:]

    init(store: AccountStore, matchStore: MatchStore, writer: DatabaseWriter) {
        self.store = store
        self.matchStore = matchStore
        self.writer = writer
    }

    public nonisolated var count: Int { index.withLock { $0.count } }
    public private(set) var loads = 0
    public private(set) var evictions = 0

    /// Lets go of players with no connection since `cutoff` whose lazy writes are all
    /// flushed; they come back from the database on next access.
    @discardableResult
    func evictIdle(before cutoff: Date) async -> Int {
        var n = 0
        for (id, p) in index.withLock({ $0 }) {
            guard let since = await p.idleSince, since < cutoff, await !writer.hasPendingLazy(player: id) else { continue }
            if index.withLock({ $0[id] }) === p, await p.idleSince != nil {
                index.withLock { $0[id] = nil }
                n += 1
            }
        }
        evictions += n
        return n
    }

    /// The player, from memory or loaded from PostgreSQL.
    public nonisolated func player(_ id: String) async throws -> Player? {
        if let hit = index.withLock({ $0[id] }) { return hit }
        return try await load(id)
    }

    private func load(_ id: String) async throws -> Player? {
        if let p = index.withLock({ $0[id] }) { return p }
        if let t = loading[id] { return try await t.value }
        let store = self.store
        let matchStore = self.matchStore
        let writer = self.writer
        let task = Task<Player?, any Error> {
            guard let row = try await store.player(id) else { return nil }
            return try await Self.make(row, matchStore: matchStore, writer: writer)
        }
        loading[id] = task
        defer { loading[id] = nil }
        let p = try await task.value
        if let p {
            if let existing = index.withLock({ $0[id] }) { return existing }
            index.withLock { $0[id] = p }
            loads += 1
        }
        return p
    }

    /// The in-memory player for a row just read or created, keeping one actor per id.
    func adopt(_ row: PlayerRow) async throws -> Player {
        if let p = index.withLock({ $0[row.id] }) { return p }
        let p = try await Self.make(row, matchStore: matchStore, writer: writer)
        if let existing = index.withLock({ $0[row.id] }) { return existing }
        index.withLock { $0[row.id] = p }
        return p
    }

    static func make(_ row: PlayerRow, matchStore: MatchStore, writer: DatabaseWriter) async throws -> Player {
        Player(
            row: row, stats: try await matchStore.stats(of: row.id),
            unread: try await matchStore.unreadNotifications(of: row.id), writer: writer)
    }
}
