import Foundation
import Testing

@testable import PlyEngine
@testable import PlyStore

/// `MemoryStorage` keeps the rules of the SQL schema the engine relies on: a batch is kept
/// whole or not at all, a ply number once per match, rows only for players that exist.
@Suite struct MemoryStorageTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func seeded() async throws -> (MemoryStorage, MatchRow) {
        let store = MemoryStorage(now: { t0 })
        let ann = store.addPlayer(name: "Ann")
        let bo = store.addPlayer(name: "Bo")
        var row = MatchRow(
            id: try await store.newMatchID(), game: "reversi", settings: "{}", status: .active, creator: ann.id,
            invitee: bo.id, seats: [ann.id, bo.id], createdAt: t0, updatedAt: t0)
        row.toMove = ann.id
        try await store.commit([.insertMatch(row)])
        return (store, row)
    }

    static func ply(_ row: MatchRow, _ n: Int, _ move: String) -> CriticalWrite {
        .ply(PlyRow(match: row.id, ply: n, move: move, playedAt: t0))
    }

    static func refusal(_ body: () async throws -> Void) async -> StoreError.Code? {
        do { try await body() } catch { return StoreError.classify(error)?.code }
        return nil
    }

    @Test func aPlyNumberIsStoredOnceAndARefusedBatchLeavesNothing() async throws {
        let (store, row) = try await Self.seeded()
        var moved = row
        moved.plyCount = 1
        try await store.commit([Self.ply(row, 1, "f5"), .updateMatch(moved, newParticipant: nil)])
        var again = row
        again.plyCount = 2
        let code = await Self.refusal {
            try await store.commit([.updateMatch(again, newParticipant: nil), Self.ply(row, 2, "d6"), Self.ply(row, 1, "e6")])
        }
        #expect(code == .refused)
        #expect(store.moves(of: row.id) == ["f5"])
        #expect(try await store.match(row.id)?.0.plyCount == 1)
        #expect(store.commitCount == 2)
    }

    /// A match waits for a player's first move while the plies have not reached their seat
    /// (seat i first moves at ply i + 1) and it is their turn, or, for ten minutes, while
    /// nobody has moved in a match they joined; as `SafetyStore.unmovedMatches` counts in
    /// SQL. Only active matches count.
    @Test func unmovedMatchesCountFirstMovesOwed() async throws {
        let (store, row) = try await Self.seeded()
        let (ann, bo) = (row.seats[0], row.seats[1])
        #expect(try await store.unmovedMatches(of: ann) == 1)
        #expect(try await store.unmovedMatches(of: bo) == 1, "joined, nobody has moved, within ten minutes")
        let later = MemoryStorage(now: { Self.t0.addingTimeInterval(601) })
        let (a2, b2) = (later.addPlayer(name: "Ann").id, later.addPlayer(name: "Bo").id)
        var begun = MatchRow(
            id: try await later.newMatchID(), game: "reversi", settings: "{}", status: .active, creator: a2,
            invitee: b2, seats: [a2, b2], createdAt: Self.t0, updatedAt: Self.t0)
        begun.toMove = a2
        try await later.commit([.insertMatch(begun)])
        #expect(try await later.unmovedMatches(of: b2) == 0, "not his turn, and ten minutes have passed")
        #expect(try await later.unmovedMatches(of: a2) == 1, "her turn")
        var moved = row
        moved.plyCount = 1
        moved.toMove = bo
        try await store.commit([Self.ply(row, 1, "f5"), .updateMatch(moved, newParticipant: nil)])
        #expect(try await store.unmovedMatches(of: ann) == 0)
        #expect(try await store.unmovedMatches(of: bo) == 1)
        var over = moved
        over.status = .aborted
        try await store.commit([.updateMatch(over, newParticipant: nil)])
        #expect(try await store.unmovedMatches(of: bo) == 0, "only active matches count")
    }

    /// The report queue as the SQL orders it: reports between players of a match in which
    /// both moved first, each part in filing order, and `after` continues it, from a report
    /// resolved since too (nil for no such report).
    @Test func theReportQueuePutsOpponentsFirstAndPages() async throws {
        let (store, row) = try await Self.seeded()
        let (ann, bo) = (row.seats[0], row.seats[1])
        let cy = store.addPlayer(name: "Cy").id
        let stranger = try await store.fileReport(by: cy, about: bo, text: "spam")
        let opponent = try await store.fileReport(by: ann, about: bo, text: "cheats")
        #expect(try await store.reports(openOnly: true, after: nil, limit: 10)?.map(\.id) == [stranger, opponent], "no moves yet")
        var moved = row
        moved.plyCount = 2
        try await store.commit([Self.ply(row, 1, "f5"), Self.ply(row, 2, "d6"), .updateMatch(moved, newParticipant: nil)])
        let queue = try #require(try await store.reports(openOnly: true, after: nil, limit: 10))
        #expect(queue.map(\.id) == [opponent, stranger])
        #expect(queue.map(\.played) == [true, false])
        #expect(try await store.reports(openOnly: true, after: opponent, limit: 10)?.map(\.id) == [stranger])
        #expect(try await store.reports(openOnly: true, after: nil, limit: 1)?.map(\.id) == [opponent])
        #expect(try await store.reports(openOnly: true, after: "r404", limit: 10) == nil)
        _ = try await store.resolve(report: opponent, resolution: "warned")
        #expect(try await store.reports(openOnly: true, after: opponent, limit: 10)?.map(\.id) == [stranger])
    }

    /// Email confirmation as the SQL keeps it: only an unconfirmed address takes a code, only
    /// the last code mailed confirms it, and a confirmed one has nothing left to confirm.
    @Test func anEmailIsConfirmedByItsLastCode() async throws {
        let store = MemoryStorage(now: { Self.t0 })
        let ann = store.addPlayer(name: "Ann").id
        let bo = store.addPlayer(name: "Bo").id
        try await store.linkEmail(player: ann, email: "ann@example.com", passwordHash: "h", confirmed: false)
        try await store.linkEmail(player: bo, email: "bo@example.com", passwordHash: "h", confirmed: true)
        #expect(try await store.requestConfirmation(player: bo, codeHash: Data([1]), code: "1") == .nothingToConfirm)
        #expect(try await store.confirmEmail(player: bo, codeHash: Data([1])) == .nothingToConfirm)
        #expect(try await store.requestConfirmation(player: ann, codeHash: Data([1]), code: "1") == .mailed("ann@example.com"))
        #expect(try await store.requestConfirmation(player: ann, codeHash: Data([2]), code: "2") == .mailed("ann@example.com"))
        #expect(try await store.confirmEmail(player: ann, codeHash: Data([1])) == .wrongCode)
        #expect(try await store.confirmEmail(player: ann, codeHash: Data([2])) == .confirmed("ann@example.com"))
        #expect(try await store.confirmEmail(player: ann, codeHash: Data([2])) == .nothingToConfirm)
        // An address gets a few codes a day, however many accounts link it (+tags included).
        let cy = store.addPlayer(name: "Cy").id
        try await store.linkEmail(player: cy, email: "ann+cy@example.com", passwordHash: "h", confirmed: false)
        let limit = AccountStore.confirmationMailsPerDay
        for i in 2..<limit { #expect(try await store.requestConfirmation(player: cy, codeHash: Data([UInt8(i)]), code: "") == .mailed("ann+cy@example.com")) }
        #expect(try await store.requestConfirmation(player: cy, codeHash: Data([9]), code: "") == .limited("ann+cy@example.com"))
    }

    @Test func rowsMustNameStoredPlayersAndMatches() async throws {
        let (store, row) = try await Self.seeded()
        var stranger = row
        stranger.id = "m99"
        stranger.creator = "p404"
        #expect(await Self.refusal { try await store.commit([.insertMatch(stranger)]) } == .refused)
        #expect(await Self.refusal { try await store.commit([.insertMatch(row)]) } == .refused, "the id is taken")
        #expect(await Self.refusal { try await store.commit([.ply(PlyRow(match: "m404", ply: 1, move: "f5", playedAt: Self.t0))]) } == .refused)
        #expect(await Self.refusal { try await store.commit([.stats(StatsRow(player: "p404", game: "reversi"))]) } == .refused)
        #expect(try await store.match("m99") == nil)
    }

    @Test func statsAreUpsertedAndTheLatestOfABatchWins() async throws {
        let (store, row) = try await Self.seeded()
        var s = StatsRow(player: row.seats[0], game: "reversi")
        s.played = 1
        var later = s
        later.played = 2
        try await store.commit([.stats(s), .stats(later)])
        #expect(try await store.stats(of: row.seats[0]).map(\.played) == [2])
    }

    @Test func injectedFaultsFailAsADatabaseWould() async throws {
        let (store, row) = try await Self.seeded()
        store.failNextCommit(.unavailable)
        #expect(await Self.refusal { try await store.commit([Self.ply(row, 1, "f5")]) } == .unavailable)
        #expect(store.moves(of: row.id) == [])
        store.failNextCommit(.outcomeUnknown(stored: true))
        #expect(await Self.refusal { try await store.commit([Self.ply(row, 1, "f5")]) } == .outcomeUnknown)
        #expect(store.moves(of: row.id) == ["f5"])
    }

    @Test func devicesAndSessionsFindTheirPlayer() async throws {
        let store = MemoryStorage(now: { Self.t0 })
        let (made, new) = try await store.loginDevice(Data([1, 2]))
        #expect(new)
        let (found, again) = try await store.loginDevice(Data([1, 2]))
        #expect(!again && found == made)
        try await store.createSession(hash: Data([9]), player: made.id)
        #expect(await Self.refusal { try await store.createSession(hash: Data([9]), player: made.id) } == .refused)
        #expect(try await store.sessionPlayer(hash: Data([9])) == made.id)
        try await store.deleteSession(hash: Data([9]))
        #expect(try await store.sessionPlayer(hash: Data([9])) == nil)
        // Past the cap, a new session ends the oldest, as the PostgreSQL store does.
        let cap = AccountStore.maximumSessionsPerPlayer
        for i in 0...cap { try await store.createSession(hash: Data([1, UInt8(i / 256), UInt8(i % 256)]), player: made.id) }
        #expect(try await store.sessionPlayer(hash: Data([1, 0, 0])) == nil)
        #expect(try await store.sessionPlayer(hash: Data([1, 0, 1])) == made.id)
        #expect(try await store.sessionPlayer(hash: Data([1, UInt8(cap / 256), UInt8(cap % 256)])) == made.id)
        // A session used again is the last to go: the next login ends the one after it.
        _ = await store.lazy(.sessionUsed(player: made.id, tokenHash: Data([1, 0, 1])))
        try await store.createSession(hash: Data([2]), player: made.id)
        #expect(try await store.sessionPlayer(hash: Data([1, 0, 1])) == made.id)
        #expect(try await store.sessionPlayer(hash: Data([1, 0, 2])) == nil)
    }
}
