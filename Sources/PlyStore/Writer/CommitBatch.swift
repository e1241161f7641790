import Foundation
import Logging
import PostgresNIO

extension DatabaseWriter {
    /// A batch sorted by table: new matches, their participants, and the changes.
    struct SortedBatch {
        var inserts: [MatchRow] = []
        var participants: [(String, String)] = []
        var updates: [MatchRow] = []
        var plies: [PlyRow] = []
        var stats: [StatsRow] = []

        init(_ writes: [CriticalWrite]) {
            var latest: [String: StatsRow] = [:]
            var order: [String] = []
            for w in writes {
                switch w {
                case .insertMatch(let m):
                    inserts.append(m)
                    for p in Set([m.creator] + (m.invitee.map { [$0] } ?? []) + m.seats) { participants.append((m.id, p)) }
                case .updateMatch(let m, let p):
                    updates.append(m)
                    if let p { participants.append((m.id, p)) }
                case .ply(let p): plies.append(p)
                case .stats(let s):
                    let key = s.player + "\u{0}" + s.game
                    if latest[key] == nil { order.append(key) }
                    latest[key] = s  // the latest figures win
                }
            }
            stats = order.compactMap { latest[$0] }
        }
    }

    /// The writes in one transaction of their own, in one round trip: a `CALL` of
    /// `ply_commit_v3` (Schema/009: the epoch check, then 007's `ply_commit_v2`, which is
    /// 005's `ply_commit_v1` with the clock columns), which writes them and commits inside,
    /// so its reply comes once they are durable. `conn` must be outside any transaction. A
    /// failure other than PostgreSQL refusing the batch may have come after the commit:
    /// `CommitOutcomeUnknown`.
    static func commit(_ writes: [CriticalWrite], epoch: Int64, on conn: PostgresConnection, logger: Logger) async throws {
        do {
            _ = try await conn.execute(CommitBatch(SortedBatch(writes), epoch: epoch), logger: logger)
        } catch where serverRefusal(in: error) == nil {
            throw CommitOutcomeUnknown(underlying: error)
        }
    }
}

/// The row parameters of `ply_commit_v3`, in order (the epoch follows them): each its name
/// and SQL type as the procedure declares them (Schema/009, as 007's `ply_commit_v2`) and how
/// a batch fills it. The `CALL`'s placeholders and its
/// bindings both come from this one list, and a test checks the list against the schema.
/// Every parameter is an array, one element per row; an empty text and -1 stand for NULL.
enum CommitParameters {
    struct Parameter: Sendable {
        var name: String
        /// The element type (`text`, `bigint`, `float8`).
        var type: String
        var bind: @Sendable (DatabaseWriter.SortedBatch, inout PostgresBindings) -> Void
    }

    static func text(_ name: String, _ column: @escaping @Sendable (DatabaseWriter.SortedBatch) -> [String]) -> Parameter {
        Parameter(name: name, type: "text") { batch, b in b.append(column(batch)) }
    }

    static func bigint(_ name: String, _ column: @escaping @Sendable (DatabaseWriter.SortedBatch) -> [Int]) -> Parameter {
        Parameter(name: name, type: "bigint") { batch, b in b.append(column(batch)) }
    }

    static func float8(_ name: String, _ column: @escaping @Sendable (DatabaseWriter.SortedBatch) -> [Double]) -> Parameter {
        Parameter(name: name, type: "float8") { batch, b in b.append(column(batch)) }
    }

    /// The mutable columns of match rows (new ones: prefix `n`, changed ones: `u`).
    static func matchColumns(_ prefix: String, _ rows: @escaping @Sendable (DatabaseWriter.SortedBatch) -> [MatchRow]) -> [Parameter] {
        [
            text("\(prefix)_id") { rows($0).map(\.id) },
            text("\(prefix)_status") { rows($0).map(\.status.rawValue) },
            text("\(prefix)_seats") { rows($0).map { $0.seats.joined(separator: ",") } },
            bigint("\(prefix)_ply_count") { rows($0).map(\.plyCount) },
            text("\(prefix)_to_move") { rows($0).map { $0.toMove ?? "" } },
            float8("\(prefix)_deadline") { rows($0).map { $0.deadline?.timeIntervalSince1970 ?? -1 } },
            text("\(prefix)_winner") { rows($0).map { $0.resultWinner ?? "" } },
            text("\(prefix)_reason") { rows($0).map { $0.resultReason ?? "" } },
            float8("\(prefix)_updated") { rows($0).map { $0.updatedAt.timeIntervalSince1970 } },
        ]
    }

    static let all: [Parameter] =
        matchColumns("n", \.inserts) + [
            text("n_game") { $0.inserts.map(\.game) },
            text("n_settings") { $0.inserts.map(\.settings) },
            text("n_creator") { $0.inserts.map(\.creator) },
            text("n_invitee") { $0.inserts.map { $0.invitee ?? "" } },
            float8("n_created") { $0.inserts.map { $0.createdAt.timeIntervalSince1970 } },
            text("j_match") { $0.participants.map(\.0) },
            text("j_player") { $0.participants.map(\.1) },
        ] + matchColumns("u", \.updates) + [
            text("p_match") { $0.plies.map(\.match) },
            bigint("p_ply") { $0.plies.map(\.ply) },
            text("p_move") { $0.plies.map(\.move) },
            float8("p_at") { $0.plies.map { $0.playedAt.timeIntervalSince1970 } },
            text("s_player") { $0.stats.map(\.player) },
            text("s_game") { $0.stats.map(\.game) },
            bigint("s_played") { $0.stats.map(\.played) },
            bigint("s_won") { $0.stats.map(\.won) },
            bigint("s_lost") { $0.stats.map(\.lost) },
            bigint("s_drawn") { $0.stats.map(\.drawn) },
            float8("s_rating") { $0.stats.map(\.rating) },
            float8("s_deviation") { $0.stats.map(\.deviation) },
            float8("s_volatility") { $0.stats.map(\.volatility) },
        ] + clockColumns("n", \.inserts) + clockColumns("u", \.updates)

    /// The clock columns of match rows (Schema/007): banks and pauses as comma-separated
    /// integers ('' for NULL), the reminder time (-1 for NULL).
    static func clockColumns(_ prefix: String, _ rows: @escaping @Sendable (DatabaseWriter.SortedBatch) -> [MatchRow]) -> [Parameter] {
        [
            text("\(prefix)_banks") { rows($0).map { $0.clockBanks.map(String.init).joined(separator: ",") } },
            text("\(prefix)_paused") { rows($0).map { $0.pausedUntil.map(String.init).joined(separator: ",") } },
            float8("\(prefix)_remind") { rows($0).map { $0.remindAt?.timeIntervalSince1970 ?? -1 } },
        ]
    }
}

/// The `CALL` of `ply_commit_v3` with a batch, column by column, and the writer's epoch
/// (`Fence`). Prepared once per
/// connection: parsing and planning a statement of this size costs PostgreSQL more than
/// running it for a typical batch. It returns no rows, so an error
/// in any part fails the call itself.
struct CommitBatch: PostgresPreparedStatement {
    typealias Row = ()
    static let name = "ply_commit_v3"
    static let sql = "CALL ply_commit_v3(" + (0...CommitParameters.all.count).map { "$\($0 + 1)" }.joined(separator: ", ") + ")"

    let batch: DatabaseWriter.SortedBatch
    let epoch: Int64

    init(_ batch: DatabaseWriter.SortedBatch, epoch: Int64 = -1) {
        self.batch = batch
        self.epoch = epoch
    }

    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: CommitParameters.all.count + 1)
        for p in CommitParameters.all { p.bind(batch, &b) }
        b.append(epoch)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws {}
}
