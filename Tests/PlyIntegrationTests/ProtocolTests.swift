import Foundation
import PlyJSON
import PlyServer
import Testing

/// Framing, replies, tags, errors: the parts of the protocol every command shares.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
struct ProtocolTests {
    @Test func helloPingHelpQuit() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        #expect(try await c.call("PING") == "OK")
        #expect(try await c.call("ping") == "OK", "verbs are case-insensitive")
        let help = try await c.ok("HELP")
        let verbs = try #require(help["commands"]?.arrayValue).compactMap(\.stringValue)
        #expect(verbs.contains("AUTH") && verbs.contains("MOVE"))
        #expect(try await c.call("QUIT") == "OK")
        #expect(await c.isClosed())
        try await server.stop()
    }

    @Test func errorsBeforeAuthAndForBadInput() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        try await c.err("PROFILE", "unauthenticated")
        try await c.err("NAME Ann", "unauthenticated")
        try await c.err("FROB x", "unknown_command")
        try await c.err("AUTH DEVICE short", "bad_request")
        try await c.err("AUTH DEVICE", "bad_request")
        try await c.err("AUTH TELEPATHY x", "bad_request")
        try await c.err("PING extra", "bad_request")
        // Invalid UTF-8.
        try await c.sendRaw([0x50, 0xFF, 0xFE, 0x0A])
        #expect(try await c.reply().hasPrefix("ERR bad_request "))
        // Empty lines and CRLF.
        try await c.sendRaw(Array("\n\n   \nPING\r\n".utf8))
        #expect(try await c.reply() == "OK")
        try await server.stop()
    }

    @Test func gamesListsEachGameWithItsDefaultSettings() async throws {
        let server = try await TestServer.start()
        let anonymous = try await server.client()
        try await anonymous.err("GAMES", "unauthenticated")
        let (c, _) = try await server.player("games")
        let games = try #require(try await c.ok("GAMES").arrayValue)
        let byID = Dictionary(uniqueKeysWithValues: games.compactMap { g in g["game"]?.stringValue.map { ($0, g) } })
        #expect(Set(byID.keys) == ["reversi", "hive", "khet"])
        for (_, g) in byID {
            #expect(g["players"]?.intValue == 2)
            #expect(g["settings"]?["side"]?.stringValue == "random")
            #expect(g["settings"]?["turn_seconds"]?.intValue == 259_200, "three days")
        }
        #expect(byID["hive"]?["settings"]?["expansions"]?.stringValue == "")
        #expect(byID["khet"]?["settings"]?["layout"]?.stringValue == "classic")
        #expect(byID["reversi"]?["seats"] == ["black", "white"])
        try await server.stop()
    }

    @Test func tagsAreEchoed() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        #expect(try await c.call("#17 PING") == "#17 OK")
        #expect(try await c.call("#a-b FROB").hasPrefix("#a-b ERR unknown_command "))
        #expect(try await c.call("#x PROFILE").hasPrefix("#x ERR unauthenticated "))
        try await server.stop()
    }

    @Test func longLinesAreRefusedAndTheConnectionKept() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        try await c.send("PING " + String(repeating: "x", count: 9000))
        #expect(try await c.reply().hasPrefix("ERR too_long "))
        #expect(try await c.call("PING") == "OK", "the connection stays usable")
        // A line of exactly the limit is not too long (it fails for its content only).
        try await c.send("#t " + String(repeating: "y", count: 8192 - 3))
        #expect(try await c.reply().hasPrefix("#t ERR unknown_command"))
        try await server.stop()
    }

    @Test func aMegabyteWithoutNewlineCloses() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        let chunk = [UInt8](repeating: UInt8(ascii: "z"), count: 64 * 1024)
        for _ in 0..<17 {
            do { try await c.sendRaw(chunk) } catch { break }
        }
        #expect(try await c.reply().hasPrefix("ERR too_long "))
        #expect(await c.isClosed(within: .seconds(10)))
        // The server is still there for others.
        let d = try await server.client()
        #expect(try await d.call("PING") == "OK")
        try await server.stop()
    }

    @Test func thousandPipelinedRequestsAnswerInOrder() async throws {
        let server = try await TestServer.start()
        let (c, _) = try await server.player("pipe")
        var batch = ""
        for i in 0..<1000 {
            batch += i % 3 == 0 ? "#\(i) PING\n" : (i % 3 == 1 ? "#\(i) PROFILE\n" : "#\(i) NOPE\n")
        }
        try await c.sendRaw(Array(batch.utf8))
        for i in 0..<1000 {
            let r = try await c.reply()
            #expect(r.hasPrefix("#\(i) "), "reply \(i) was \(r.prefix(40))")
            if i % 3 == 2 { #expect(r.hasPrefix("#\(i) ERR unknown_command")) }
        }
        try await server.stop()
    }

    /// With a read-ahead of two requests the server stops and resumes reading hundreds of
    /// times in this batch; every request is still answered, in order, and the connection
    /// stays usable.
    @Test func pipeliningPastTheReadAheadLimitLosesNothing() async throws {
        let server = try await TestServer.start { $0.server.maximumPipelinedRequests = 2 }
        let (c, _) = try await server.player("pipe2")
        var batch = ""
        for i in 0..<600 { batch += i % 2 == 0 ? "#\(i) PROFILE\n" : "#\(i) PING\n" }
        try await c.sendRaw(Array(batch.utf8))
        for i in 0..<600 {
            let r = try await c.reply()
            #expect(r.hasPrefix(i % 2 == 0 ? "#\(i) OK {" : "#\(i) OK"), "reply \(i) was \(r.prefix(40))")
        }
        #expect(try await c.call("PING") == "OK")
        try await server.stop()
    }

    /// A graceful stop answers the requests already read, then closes the connection: a move
    /// waiting in a slow `COMMIT` when the stop begins, and the requests read behind it.
    @Test func aGracefulStopAnswersWhatWasReadThenCloses() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await TestServer.start(database: database)
        let t = try await server.table("reversi")
        try await slowCommits(database, seconds: 2, when: "NEW.move = 'f5'")
        try await t.first.sendRaw(Array("#0 MOVE \(t.match) 1 f5\n#1 MATCH \(t.match)\n#2 PROFILE\n".utf8))
        try await waitForSleepingCommit(database)
        let stopping = Task { try await server.stop() }
        #expect(try await t.first.reply().hasPrefix("#0 OK {"))
        let match = try await t.first.reply()
        #expect(match.hasPrefix("#1 OK {") && match.contains(#""ply":1"#), "\(match.prefix(80))")
        #expect(try await t.first.reply().hasPrefix("#2 OK {"))
        #expect(await t.first.isClosed())
        try await stopping.value
        #expect(try await query(database, "SELECT move FROM plies WHERE match_id = '\(t.match)'") == ["f5"])
    }
}
