import PlyProtocol
import Foundation
import NIOCore
import NIOPosix
import PlyClient
import PlyJSON
import Synchronization
import Testing

/// The client library against a real server: the same paths a game or `ply bench` takes.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
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

        // Now Bo drops and misses Ann's move; his resume replays what he has not seen (his
        // own last move's event, Ann's move, the your-turn notice left while he was away) on
        // the same stream, numbered on from the last event he had.
        let seenByBo = try #require(bo.lastSeq)
        await bo.disconnect()
        _ = try await ann.move(match: match, ply: 5, move: moves[4])
        let boBack = try await bo.resume()
        let replayed = try #require(boBack.replayed)
        #expect(replayed >= 1 && !boBack.resync, "\(boBack)")
        var missed = try await boInbox.next("move")
        while missed.body["ply"]?.intValue != 5 { missed = try await boInbox.next("move") }
        #expect(missed.body["move"]?.stringValue == moves[4])
        #expect(bo.lastSeq == seenByBo + replayed, "the replayed events are numbered on without a gap")
        for ply in 6...8 { try await play(ply) }
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

/// The exact `last-seq` that `resume()` sends, and `seq` tracking when events arrive out of
/// order, checked against a scripted server (the real server is used above).
@Suite struct PlyClientResumeTests {
    @Test func resumeAsksForTheEventsAfterTheHighestSeqSeen() async throws {
        let server = try await ScriptedServer.start()
        let client = try await PlyClient.connect(host: "127.0.0.1", port: server.port)
        let inbox = EventInbox(client)
        #expect(client.lastSeq == nil)
        await #expect(throws: PlyClientError.noSession) { try await client.resume() }
        let login = try await client.authDevice("scripted-device-1")
        #expect(login.session == "tok")
        for _ in 0..<3 { _ = try await inbox.next("chat") }
        #expect(client.lastSeq == 9, "the highest seq, though 8 came last")

        await client.disconnect()
        let resumed = try await client.resume()
        #expect(resumed == PlyResumed(player: "p1", replayed: 2, resync: false))
        #expect(server.received.contains("AUTH SESSION tok 9"))
        #expect(try await inbox.next("chat").seq == 10, "a replayed event arrives on the same stream")
        #expect(client.lastSeq == 10)
        await client.close()
        try await server.stop()
    }
}

/// A fake server speaking just enough of the protocol, with numbered events.
final class ScriptedServer: Sendable {
    let channel: any Channel
    private let log: ScriptLog

    var port: Int { channel.localAddress?.port ?? 0 }
    /// Request lines received, without their tags.
    var received: [String] { log.lines.withLock { $0 } }

    static func start() async throws -> ScriptedServer {
        let log = ScriptLog()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ScriptHandler(log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedServer(channel: channel, log: log)
    }

    private init(channel: any Channel, log: ScriptLog) {
        self.channel = channel
        self.log = log
    }

    func stop() async throws { try await channel.close() }
}

final class ScriptLog: Sendable {
    let lines = Mutex<[String]>([])
}

final class ScriptHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let log: ScriptLog
    var pending = ""

    init(log: ScriptLog) { self.log = log }

    func channelActive(context: ChannelHandlerContext) {
        write(context, #"EVENT hello {"server":"scripted","protocol":1}"#)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending += String(buffer: unwrapInboundIn(data))
        while let nl = pending.firstIndex(of: "\n") {
            let line = String(pending[..<nl])
            pending.removeSubrange(...nl)
            let words = line.split(separator: " ", maxSplits: 1)
            let (tag, request) = (String(words[0]), words.count > 1 ? String(words[1]) : "")
            log.lines.withLock { $0.append(request) }
            switch request {
            case let r where r.hasPrefix("AUTH DEVICE "):
                write(context, #"\#(tag) OK {"player":"p1","name":"P","session":"tok","new":true}"#)
                for seq in [7, 9, 8] { write(context, #"EVENT chat {"match":"m1","text":"hi","seq":\#(seq)}"#) }
            case let r where r.hasPrefix("AUTH SESSION "):
                write(context, #"EVENT chat {"match":"m1","text":"missed","seq":10}"#)
                write(context, #"\#(tag) OK {"player":"p1","name":"P","replayed":2}"#)
            case "QUIT":
                write(context, "\(tag) OK")
                context.close(promise: nil)
            default:
                write(context, "\(tag) OK")
            }
        }
    }

    private func write(_ context: ChannelHandlerContext, _ line: String) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line + "\n")), promise: nil)
    }
}
