import Foundation
import Logging
import PlyJSON
import PlyStore
import Synchronization

/// The players in memory, loaded from storage on first access. Two requests for the
/// same cold player share one load.
public actor PlayerDirectory {
    let storage: Storage
    private let residents: ResidentSet<Player>
    private let metrics: EngineMetrics

    init(storage: Storage, metrics: EngineMetrics) {
        residents = ResidentSet(.player, metrics: metrics)
        self.metrics = metrics
        self.storage = storage
    }

    public nonisolated var count: Int { residents.count }
    public nonisolated var loads: Int { residents.loads }
    public private(set) var evictions = 0

    /// Lets go of players with no connection since `cutoff` whose lazy writes are all
    /// flushed; they come back from the database on next access.
    @discardableResult
    func evictIdle(before cutoff: Date) async -> Int {
        var n = 0
        for (id, p) in residents.snapshot {
            // Retiring is the actor's own decision, made where no connection can slip in;
            // a connection that reached the old actor anyway is turned away and looks again.
            guard await !storage.lazyWrites.hasPendingLazy(player: id), await p.retireIfIdle(before: cutoff),
                residents.evict(id, ifStill: p)
            else { continue }
            n += 1
        }
        evictions += n
        metrics.evicted(.player, n)
        return n
    }

    /// The player, from memory or loaded from storage.
    public nonisolated(nonsending) func player(_ id: String) async throws -> Player? {
        // Every event delivered looks its players up: a resident one without making the loader.
        if let p = residents.resident(id) { return p }
        let storage = self.storage
        return try await residents.value(id) {
            guard let row = try await storage.accounts.player(id) else { return nil }
            return try await Self.make(row, storage: storage)
        }
    }

    /// Display names, from memory for loaded players and in one query for the rest, without
    /// loading them (showing a cold match names its players but does not wake them up). An
    /// id that cannot be read is shown as itself.
    public nonisolated(nonsending) func names(of ids: [String]) async -> [String: String] {
        var names: [String: String] = [:]
        var cold: [String] = []
        for id in ids {
            if let p = residents.resident(id) { names[id] = await p.name } else { cold.append(id) }
        }
        if !cold.isEmpty {
            let found = (try? await storage.matches.names(cold)) ?? [:]
            for id in cold { names[id] = found[id] ?? id }
        }
        return names
    }

    /// The player if it is in memory (nothing is loaded).
    nonisolated func resident(_ id: String) -> Player? { residents.resident(id) }

    /// Lets go of a player that has retired, so the next lookup loads a fresh one.
    nonisolated func forget(_ p: Player) {
        _ = residents.evict(p.id, ifStill: p)
    }

    /// The in-memory player for a row just read or created, keeping one actor per id.
    func adopt(_ row: PlayerRow) async throws -> Player {
        if let p = residents.resident(row.id) { return p }
        return residents.adopt(row.id, try await Self.make(row, storage: storage))
    }

    static func make(_ row: PlayerRow, storage: Storage) async throws -> Player {
        Player(
            row: row, stats: try await storage.matches.stats(of: row.id),
            unread: try await storage.matches.unreadNotifications(of: row.id),
            blocked: try await storage.safety.blocks(of: row.id), writer: storage.lazyWrites)
    }

    /// Whether either player blocked the other (a cold player is loaded to tell).
    nonisolated(nonsending) func blockedEitherWay(_ a: String, _ b: String) async throws -> Bool {
        if let pa = try await player(a), await pa.hasBlocked(b) { return true }
        if let pb = try await player(b), await pb.hasBlocked(a) { return true }
        return false
    }
}
