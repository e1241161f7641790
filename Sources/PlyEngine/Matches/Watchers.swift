import Synchronization

/// Who watches which match: connection → its player, by match id. Kept apart from the
/// match actors, so watching does not depend on a match being in memory: a match that
/// leaves memory (idle, or reloaded after a commit of unknown outcome) comes back with its
/// watchers, and a watcher that disconnects is forgotten without loading the match.
/// Its size is bounded by connections × `maximumWatchesPerConnection`.
final class Watchers: Sendable {
    private let byMatch = Mutex<[String: [Int: String]]>([:])

    func add(_ match: String, connection: Int, player: String) {
        byMatch.withLock { $0[match, default: [:]][connection] = player }
    }

    func remove(_ match: String, connection: Int) {
        byMatch.withLock { all in
            all[match]?[connection] = nil
            if all[match]?.isEmpty == true { all[match] = nil }
        }
    }

    func contains(_ match: String, connection: Int) -> Bool {
        byMatch.withLock { $0[match]?[connection] != nil }
    }

    /// The watching connections of a match and the player each belongs to.
    func of(_ match: String) -> [Int: String] {
        byMatch.withLock { $0[match] ?? [:] }
    }
}
