import Foundation
import PlyClient
import PlyJSON
import Synchronization
import Testing

/// The client library against a real server: the same paths a game or `ply bench` takes.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .serialized)
struct PlyClientIntegrationTests {
    @Test func logsInPingsAndPipelines() async throws {
        let server = try await TestServer.start()
        let client = try await PlyClient.connect(host: "127.0.0.1", port: server.port)
        #expect(client.hello?.type == "hello")
        #expect(client.hello?.body["protocol"] == 1)
        let refused = await #expect(throws: PlyClientError.self) { try await client.call("PROFILE") }
        #expect(refused?.serverCode == "unauthenticated")
        let login = try await client.authDevice("client-\(UUID().uuidString)")
        #expect(login.new)
        #expect(client.session == login.session)
        try await client.ping()

        // 200 requests in flight at once, with three kinds of reply, each matched by tag.
        let replies = try await withThrowingTaskGroup(of: (Int, PlyReply).self) { group in
            for i in 0..<200 {
                group.addTask {
                    let line = switch i % 3 {
                    case 0: "PING"
                    case 1: "MATCH missing\(i)"
                    default: "PROFILE"
                    }
                    return (i, try await client.request(line))
                }
            }
            var all: [Int: PlyReply] = [:]
            for try await (i, r) in group { all[i] = r }
            return all
        }
        #expect(replies.count == 200)
        for (i, reply) in replies {
            switch (i % 3, reply) {
            case (0, .ok(nil)): break
            case (1, .error(code: "not_found", _)): break
            case (2, .ok(let profile?)): #expect(profile["player"]?.stringValue == login.player)
            default: Issue.record("request \(i) got \(reply)")
            }
        }
        #expect(client.inFlight == 0)
        await client.close()
        await #expect(throws: PlyClientError.notConnected) { try await client.ping() }
        try await server.stop()
    }

    @Test func playsReversiWithEventsAndResumes() async throws {
        let server = try await TestServer.start()
        let ann = try await PlyClient.connect(host: "127.0.0.1", port: server.port)
        let bo = try await PlyClient.connect(host: "127.0.0.1", port: server.port)
        let annInbox = EventInbox(ann)
        let boInbox = EventInbox(bo)
        let annID = try await ann.authDevice("client-ann-\(UUID().uuidString)").player
        let boID = try await bo.authDevice("client-bo-\(UUID().uuidString)").player

        let created = try await ann.callObject(#"CHALLENGE \#(boID) reversi {"side":"first"}"#)
        let match = try #require(created["match"]?.stringValue)
        let challenge = try await boInbox.next("challenge")
        #expect(challenge.body["from"]?.stringValue == annID)
        try await bo.call("ACCEPT \(match)")
        #expect(try await annInbox.next("start").body["match"]?.stringValue == match)
        _ = try await boInbox.next("start")

        let moves = try Games.playout("reversi", seed: 11)
        func play(_ ply: Int) async throws {
            let (mover, watcher) = ply % 2 == 1 ? (ann, boInbox) : (bo, annInbox)
            let reply = try await mover.move(match: match, ply: ply, move: moves[ply - 1])
            #expect(reply["ply"]?.intValue == ply)
            let event = try await watcher.next("move")
            #expect(event.body["ply"]?.intValue == ply)
            #expect(event.body["move"]?.stringValue == moves[ply - 1])
        }
        for ply in 1...4 { try await play(ply) }
        let early = await #expect(throws: PlyClientError.self) { try await bo.move(match: match, ply: 5, move: moves[4]) }
        #expect(early?.serverCode == "not_your_turn")

        // Ann's network drops; Bo cannot reach her, then she resumes and plays on.
        await ann.disconnect()
        await #expect(throws: PlyClientError.notConnected) { try await ann.ping() }
        let resumed = try await ann.resume()
        #expect(resumed.player == annID)
        #expect(ann.isConnected)
        for ply in 5...8 { try await play(ply) }
        let duplicate = try await bo.move(match: match, ply: 8, move: moves[7])
        #expect(duplicate["duplicate"] == true)

        await ann.close()
        await bo.close()
        #expect(await annInbox.finished(), "close() finishes the event stream")
        try await server.stop()
    }
}

extension PlyClientError {
    var serverCode: String? {
        if case .server(let code, _) = self { code } else { nil }
    }
}

/// Drains a client's `events` in a task, so a test can wait for one with a time limit.
final class EventInbox: Sendable {
    private struct State {
        var events: [PlyEvent] = []
        var finished = false
    }
    private let state = Mutex(State())

    init(_ client: PlyClient) {
        let events = client.events
        Task {
            for await e in events { self.state.withLock { $0.events.append(e) } }
            self.state.withLock { $0.finished = true }
        }
    }

    func next(_ type: String, timeout: Duration = .seconds(10)) async throws -> PlyEvent {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = state.withLock { s -> PlyEvent? in
                guard let i = s.events.firstIndex(where: { $0.type == type }) else { return nil }
                return s.events.remove(at: i)
            }
            if let found { return found }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw TestFailure("no \(type) event within \(timeout)")
    }

    func finished(timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.finished }) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }
}
