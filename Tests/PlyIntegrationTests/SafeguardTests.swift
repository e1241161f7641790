import Foundation
import PlyJSON
import Testing

/// Behaviours a hostile or unlucky client could otherwise break: event numbering under
/// concurrent events, automatch clocks, watch limits, login limits under parallel attempts.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"))
struct SafeguardTests {
    /// A player in several matches receives events from all of them at once; on the wire
    /// their `seq` still rises by exactly one, with no gap, no repeat and no reordering.
    @Test func eventsFromManyMatchesAtOnceAreNumberedInOrder() async throws {
        let server = try await TestServer.start()
        let (hub, me) = try await server.player("hub")
        var opponents: [(TestClient, String)] = []
        for i in 0..<12 {
            let (o, them) = try await server.player("spoke\(i)")
            let created = try await hub.ok(#"CHALLENGE \#(them.player) reversi {"side":"first"}"#)
            let match = try #require(created["match"]?.stringValue)
            _ = try await o.event("challenge")
            try await o.ok("ACCEPT \(match)")
            _ = try await o.event("start")
            opponents.append((o, match))
        }
        _ = me
        // Drain what the hub has had so far, noting the last number.
        var last = 0
        while let line = try? await hub.nextLine(timeout: .milliseconds(300)) {
            if let seq = Self.seq(line) { last = seq }
        }
        // Every opponent talks in its match at once: 12 x 40 chat events for the hub.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (o, match) in opponents {
                group.addTask { for n in 0..<40 { try await o.send("SAY \(match) line \(n)") } }
            }
            try await group.waitForAll()
        }
        var seen: [Int] = []
        while seen.count < 480, let line = try? await hub.nextLine(timeout: .seconds(10)) {
            if line.hasPrefix("EVENT chat "), let seq = Self.seq(line) { seen.append(seq) }
        }
        #expect(seen.count == 480)
        #expect(seen == Array((last + 1)...(last + seen.count)), "seq on the wire: \(seen)")
        try await server.stop()
    }

    /// Automatch pairs only players who asked for the same time per turn: nobody is put on a
    /// clock they did not choose (a one-second clock against someone away is a free win).
    @Test func automatchPairsOnlyTheSameTimePerTurn() async throws {
        // Its own database: automatch queues are stored, and other tests' must not pair here.
        let server = try await TestServer.start(database: TestDatabase.fresh())
        let (patient, _) = try await server.player("patient")
        let (hasty, h) = try await server.player("hasty")
        let (quick, q) = try await server.player("quick")
        #expect(try await patient.ok("QUEUE reversi")["queued"]?.boolValue == true)
        let one = #"{"turn_seconds":60}"#
        #expect(try await hasty.ok("QUEUE reversi \(one)")["queued"]?.boolValue == true, "not paired with the default clock")
        let paired = try await quick.ok("QUEUE reversi \(one)")
        let match = try #require(paired["match"]?.stringValue)
        let start = try await quick.event("start")
        let players = try #require(start["players"]?.arrayValue).compactMap { $0["player"]?.stringValue }
        #expect(Set(players) == [h.player, q.player])
        #expect(try await quick.ok("MATCH \(match)")["settings"]?["turn_seconds"]?.intValue == 60)
        try await patient.ok("UNQUEUE reversi")  // still waiting: it was never paired
        try await server.stop()
    }

    static func seq(_ line: String) -> Int? {
        guard line.hasPrefix("EVENT "), let brace = line.firstIndex(of: "{") else { return nil }
        return (try? JSONValue(parsing: String(line[brace...])))?["seq"]?.intValue
    }
}
