import Foundation
import Logging
import PlyStore

/// What a match needs from the rest of the server, and nothing more: matches never see
/// sockets, only players and the storage's writes.
struct MatchEnvironment: Sendable {
    /// Where a match's critical writes go (one existential call per commit).
    let writer: any CriticalCommitting
    let lazyWrites: any LazyWriting
    /// Where conditional lines are stored (read when a match loads).
    let conditionals: any ConditionalLineStoring
    let ratings: RatingDesk
    let players: PlayerDirectory
    let watchers = Watchers()
    let challenges: ChallengeLedger
    let logger: Logger
    let now: @Sendable () -> Date
}

extension Date {
    /// Whole seconds, as stored and shown (RFC 3339 has no use for nanoseconds here).
    var wholeSeconds: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}
