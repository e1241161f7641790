import Foundation
import Logging
import PlyProtocol
import PostgresNIO
import Synchronization
import Testing

@testable import PlyEngine
@testable import PlyStore

/// A player leaves memory only by retiring inside its own actor; a connection that reached
/// the old actor afterwards is refused (and looks the player up again) instead of binding to
/// an object nobody will send events to.
@Suite struct PlayerRetirementTests {
    /// A writer whose database is never contacted: these tests only enqueue lazy writes.
    static func player() -> Player {
        let logger = Logger(label: "ply.test.retire")
        let client = PostgresClient(
            configuration: .init(host: "127.0.0.1", port: 1, username: "nobody", password: nil, database: nil, tls: .disable),
            backgroundLogger: logger)
        let writer = DatabaseWriter(client: client, logger: logger)
        let row = PlayerRow(id: "p1", name: "Ann", data: "{}", createdAt: Date(timeIntervalSince1970: 0))
        return Player(row: row, stats: [], unread: [], writer: writer)
    }

    static let outbound = Outbound(send: { _ in }, close: {})

    @Test func aRetiredPlayerTakesNoConnection() async throws {
        let p = Self.player()
        #expect(try await p.attach(connection: 1, outbound: Self.outbound, tokenHash: Data([1])) != nil)
        #expect(await p.retireIfIdle(before: .distantFuture) == false, "a connected player stays")
        await p.detach(connection: 1)
        #expect(await p.retireIfIdle(before: .distantPast) == false, "used after the cutoff: stays")
        #expect(await p.retireIfIdle(before: .distantFuture) == true)
        #expect(try await p.attach(connection: 2, outbound: Self.outbound, tokenHash: Data([1])) == nil)
        #expect(await p.connectionCount == 0)
    }

    /// `LOGOUT ALL` racing a resume: a token read from the database before every session
    /// was ended is refused when its connection comes to attach; one read afterwards (a new
    /// session's) is not, and every connection attached before was let go and closed.
    @Test func aResumeThatReadItsTokenBeforeLogoutAllIsRefused() async throws {
        let p = Self.player()
        let closed = Mutex(0)
        let other = Outbound(send: { _ in }, close: { closed.withLock { $0 += 1 } })
        #expect(try await p.attach(connection: 1, outbound: Self.outbound, tokenHash: Data([1])) != nil)
        #expect(try await p.attach(connection: 2, outbound: other, tokenHash: Data([2])) != nil)
        let readBefore = ContinuousClock.now
        await p.revokeAll(except: 1)
        #expect(await p.connectionCount == 0)
        #expect(closed.withLock { $0 } == 1, "the other connection is closed, not the caller's")
        await #expect(throws: PlyError.self) {
            _ = try await p.attach(connection: 3, outbound: Self.outbound, tokenHash: Data([2]), lookedUp: readBefore)
        }
        #expect(try await p.attach(connection: 4, outbound: Self.outbound, tokenHash: Data([3]), lookedUp: .now) != nil)
    }
}
