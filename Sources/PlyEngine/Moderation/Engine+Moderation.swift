import Foundation
import Logging
import PlyJSON
import PlyProtocol
import PlyStore

/// What happens to an account when it is deleted or banned, shared by the player's own
/// `DELETE ACCOUNT` and the operators' verbs.
extension Engine {
    /// Runs a change on a match, looking it up again if its actor was let go meanwhile.
    nonisolated(nonsending) func onMatch<T>(_ id: String, _ body: (Match) async throws -> T) async throws -> T {
        for _ in 0..<3 {
            do {
                guard let m = try await matches.match(id) else { throw PlyError.notFound("no match \(id)") }
                return try await body(m)
            } catch is MatchRetired {
                continue
            }
        }
        throw PlyError.unavailable("the match is busy; retry")
    }

    /// Ends everything the player has under way: automatch places, challenges made and
    /// received, and active matches (forfeited: the opponent wins).
    func withdrawEverything(of player: String) async throws {
        try await matches.unqueueAll(player)
        for id in try await safety.unfinishedMatches(of: player) {
            _ = try await onMatch(id) { try await $0.forfeit(by: player) }
        }
    }

    /// Deletes an account: its matches under way end, its personal data goes, its row stays
    /// as `Deleted player` so every finished match still reads. Every connection of the
    /// player closes (`keeping`'s once its reply is out). Throws `not_found` for no account.
    func deleteAccount(_ id: String, keeping connection: Int?) async throws {
        guard let p = try await players.player(id), await !p.isDeleted else { throw PlyError.notFound("no player \(id)") }
        // Refused from here on: nothing the player sends now starts anything new.
        p.setLeaving(true)
        do {
            try await withdrawEverything(of: id)
            try await safety.deleteAccount(id)
        } catch {
            p.setLeaving(false)
            throw error
        }
        await p.markDeleted(except: connection)
        players.forget(p)
        logger.notice("account deleted", metadata: ["player": "\(id)"])
    }

    /// Imposes or lifts (nil `until`) a player's ban or mute, in PostgreSQL first (that kind's
    /// columns only, so a ban and a mute at once do not undo each other), then in memory. A
    /// ban closes the player's connections and ends what they have under way.
    func sanction(_ id: String, _ kind: Sanctions.Kind, until: Date?, reason: String?) async throws {
        guard let p = try await players.player(id), await !p.isDeleted else { throw PlyError.notFound("no player \(id)") }
        guard try await safety.setSanction(id, kind, until: until, reason: reason) else { throw PlyError.notFound("no player \(id)") }
        let s = await p.setSanction(kind, until: until, reason: reason)
        if s.banned(at: Date()) != nil { try await withdrawEverything(of: id) }
    }
}
