import Foundation
import PostgresNIO
import Testing

@testable import PlyStore

/// The writer's description of `ply_commit_v3`'s parameters is the procedure's declaration,
/// name for name and type for type, in order, with the writer's epoch last.
@Suite struct CommitParametersTests {
    static func declaredParameters() throws -> [(name: String, type: String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let sql = try String(
            contentsOf: root.appendingPathComponent("Sources/PlyStore/Schema/009_lease.sql"), encoding: .utf8)
        let start = try #require(sql.range(of: "CREATE PROCEDURE ply_commit_v3("))
        let end = try #require(sql.range(of: ")\nLANGUAGE", range: start.upperBound..<sql.endIndex))
        return sql[start.upperBound..<end.lowerBound].split(separator: ",").map { part in
            let words = part.split(whereSeparator: { $0 == " " || $0 == "\n" })
            return (String(words[0]), String(words[1]))
        }
    }

    @Test func theDescriptionIsTheProceduresDeclaration() throws {
        let declared = try Self.declaredParameters()
        #expect(declared.count == 45)
        #expect(CommitParameters.all.map(\.name) + ["w_epoch"] == declared.map(\.name))
        #expect(CommitParameters.all.map { $0.type + "[]" } + ["bigint"] == declared.map(\.type))
        #expect(CommitBatch.sql.hasSuffix("$44, $45)"))
    }

    @Test func aBatchBindsOneArrayPerParameter() throws {
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        let row = MatchRow(id: "m1", game: "reversi", settings: "{}", status: .active, creator: "a", invitee: "b",
                           seats: ["a", "b"], createdAt: t, updatedAt: t)
        let batch = DatabaseWriter.SortedBatch([
            .insertMatch(row), .ply(PlyRow(match: "m1", ply: 1, move: "f5", playedAt: t)),
            .stats(StatsRow(player: "a", game: "reversi")),
        ])
        #expect(try CommitBatch(batch, epoch: 7).makeBindings().count == 45)
    }
}

/// The outage state: fail fast while down, probe with backoff.
@Suite struct OutageStateTests {
    @Test func probesBackOffAndRecover() {
        var o = OutageState()
        #expect(!o.probeDue(now: 0))
        let first = o.failed(now: 10)
        let second = o.failed(now: 10.1)
        #expect(first, "news the first time")
        #expect(!second, "not news while down")
        #expect(o.isDown)
        #expect(!o.probeDue(now: 10.2))
        #expect(o.probeDue(now: 10.35))
        o.probeFailed(now: 10.35)
        #expect(o.backoff == 0.5)
        for _ in 0..<10 { o.probeFailed(now: 11) }
        #expect(o.backoff == OutageState.longestBackoff)
        o.probeSucceeded()
        #expect(!o.isDown && o.backoff == OutageState.firstBackoff)
    }
}
