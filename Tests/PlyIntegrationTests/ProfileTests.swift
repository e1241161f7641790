import Foundation
import PlyJSON
import PlyServer
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
struct ProfileTests {
    @Test func profileNameAndDataWithEvents() async throws {
        let server = try await TestServer.start()
        let (a, me) = try await server.player("profile")
        let a2 = try await server.client()
        try await a2.ok("AUTH SESSION \(me.session)")

        let p = try await a.ok("PROFILE")
        #expect(p["player"]?.stringValue == me.player)
        #expect(p["online"]?.boolValue == true)
        #expect(p["data"]?.objectValue == [:])
        #expect(p["stats"]?.objectValue != nil)
        #expect(p["created_at"]?.stringValue?.hasSuffix("Z") == true)

        try await a.ok("NAME   Ann the Bold  ")
        let event = try await a2.event("profile")
        #expect(event["name"]?.stringValue == "Ann the Bold", "rest arguments are trimmed")
        #expect(!(await a.hasEvent("profile", within: .milliseconds(200))), "not echoed to the sender")

        try await a.ok(#"PROFILE SET {"theme":"dark","volume":7,"nested":{"k":[1,2]}}"#)
        let dataEvent = try await a2.event("profile")
        #expect(dataEvent["data"]?["theme"]?.stringValue == "dark")
        let mine = try await a2.ok("PROFILE")
        #expect(mine["data"]?["volume"]?.intValue == 7)

        // Others see the name, never the blob.
        let (b, _) = try await server.player("viewer")
        let seen = try await b.ok("PROFILE \(me.player)")
        #expect(seen["name"]?.stringValue == "Ann the Bold")
        #expect(seen["data"] == nil)
        try await b.err("PROFILE p999999999", "not_found")
        try await b.err("PROFILE bad!id", "bad_request")
        try await server.stop()
    }

    /// The blob limit (16 KiB) is above the default line limit (8 KiB), so a server that
    /// wants full-size blobs raises `--max-line-bytes`; each limit holds on its own.
    @Test func profileLimits() async throws {
        let server = try await TestServer.start { $0.server.maximumLineBytes = 32 * 1024 }
        let (a, _) = try await server.player("limits")
        try await a.err("NAME " + String(repeating: "n", count: 33), "bad_request")
        try await a.ok("NAME " + String(repeating: "é", count: 32))
        try await a.err("NAME", "bad_request")
        try await a.err("NAME tab\u{7}bell", "bad_request")
        let big = #"{"k":""# + String(repeating: "x", count: 16 * 1024) + #""}"#
        try await a.err("PROFILE SET " + big, "bad_request")
        let fits = #"{"k":""# + String(repeating: "x", count: 16 * 1024 - 10) + #""}"#
        try await a.ok("PROFILE SET " + fits)
        try await a.err("PROFILE SET [1,2]", "bad_request")
        try await a.err("PROFILE SET {bad json", "bad_request")
        try await a.err("PROFILE SET", "bad_request")
        try await server.stop()

        let standard = try await TestServer.start()
        let (b, _) = try await standard.player("limits2")
        try await b.err("PROFILE SET " + fits, "too_long")
        try await b.ok("PROFILE SET {}")
        try await standard.stop()
    }

    @Test func profileSurvivesRestart() async throws {
        var server = try await TestServer.start()
        let (a, me) = try await server.player("durable-profile")
        try await a.ok("NAME Durable")
        try await a.ok(#"PROFILE SET {"b":1,"a":2}"#)
        try await server.stop()
        server = try await TestServer.start()
        let b = try await server.client()
        try await b.ok("AUTH SESSION \(me.session)")
        let p = try await b.ok("PROFILE")
        #expect(p["name"]?.stringValue == "Durable")
        #expect(p["data"]?.description == #"{"b":1,"a":2}"#, "the blob comes back with its key order")
        try await server.stop()
    }
}
