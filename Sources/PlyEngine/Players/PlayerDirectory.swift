import Foundation
import Logging
import PlyJSON
import PlyStore

/// The players in memory, loaded from PostgreSQL on first access. Two requests for the
/// same cold player share one load.
public actor PlayerDirectory {
    let store: AccountStore
    let matchStore: MatchStore
    let writer: DatabaseWriter
    private var loaded: [String: Player] = [:]
    private var loading: [String: Task<Player?, any Error>] = [:]

    init(store: AccountStore, matchStore: MatchStore, writer: DatabaseWriter) {
        self.store = store
        self.matchStore = matchStore
        self.writer = writer
    }

    public var count: Int { loaded.count }

    public func player(_ id: String) async throws -> Player? {
        if let p = loaded[id] { return p }
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
            if let existing = loaded[id] { return existing }
            loaded[id] = p
        }
        return p
    }

    /// The in-memory player for a row just read or created, keeping one actor per id.
    func adopt(_ row: PlayerRow) async throws -> Player {
        if let p = loaded[row.id] { return p }
        let p = try await Self.make(row, matchStore: matchStore, writer: writer)
        if let existing = loaded[row.id] { return existing }
        loaded[row.id] = p
        return p
    }

    static func make(_ row: PlayerRow, matchStore: MatchStore, writer: DatabaseWriter) async throws -> Player {
        Player(
            row: row, stats: try await matchStore.stats(of: row.id),
            unread: try await matchStore.unreadNotifications(of: row.id), writer: writer)
    }
}
