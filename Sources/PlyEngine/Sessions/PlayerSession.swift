import Foundation
import Logging
import PlyJSON
import PlyProtocol
import PlyRules
import PlyStore
import PostgresNIO
import Synchronization

/// One connection's conversation with the server. It parses each line, checks that the
/// connection may run the command, runs it and queues exactly one reply, in request order.
///
/// The session runs on its connection's event loop (a custom executor), so the network
/// handler hands it lines without a thread hop, and a request that needs nothing but the
/// session (`PING`, `HELP`, `GAMES`, a parse error) is answered right there. Requests that
/// wait on anything else queue up in `inbox` and are run one at a time by a drain task that
/// exists only while there is work: an idle session holds no task.
public actor PlayerSession {
    nonisolated let outbound: Outbound
    nonisolated let connectionID: Int
    nonisolated let executor: any SerialExecutor
    let engine: Engine
    let remoteAddress: String
    let flow: InboundFlow

    var player: Player?
    /// Set by `AUTH ADMIN`: an operator connection, with no player.
    var isOperator = false
    var tokenHash: Data?
    var failedAuth = 0
    /// Matches this connection watches, to stop watching when it closes.
    var watching: Set<String> = []
    public var isAuthenticated: Bool { player != nil || isOperator }

    /// Set by QUIT: the server closes the connection after the reply.
    public internal(set) var wantsClose = false

    /// Requests read but not yet started, in order (the drain task holds the one it is
    /// answering), and the task answering them.
    private var inbox: [Pending] = []
    private var drainTask: Task<Void, Never>?
    private var readingPaused = false
    /// No more requests are taken (QUIT or server shutdown).
    private var stopping = false
    /// `end` ran: the connection closed (once, however many tell it).
    private var ended = false

    enum Pending: Sendable {
        case command(Command, tag: String?)
        case reply(Reply, tag: String?)
    }

    private static let nextID = Atomic<Int>(1)

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public init(engine: Engine, outbound: Outbound, remoteAddress: String, executor: any SerialExecutor, flow: InboundFlow) {
        self.engine = engine
        self.outbound = outbound
        self.remoteAddress = remoteAddress
        self.executor = executor
        self.flow = flow
        connectionID = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        engine.counters.connected()
    }

    /// Built when something is logged: a session that logs nothing carries no logger.
    var logger: Logger {
        var logger = engine.logger
        logger[metadataKey: "connection"] = "\(connectionID)"
        if let player { logger[metadataKey: "player"] = "\(player.id)" }
        return logger
    }

    public static let version = "0.1.0"

    /// The greeting every connection gets first.
    public nonisolated func hello() {
        outbound.send(Event("hello", ["server": "ply", "version": .string(Self.version), "protocol": 1]).line)
    }

    // MARK: input

    /// Takes one line as framed by the server (without its `\n`). Answers it at once when
    /// nothing is waiting ahead of it and the answer needs nothing outside this session;
    /// otherwise queues it for the drain task.
    public func receive(line bytes: some BidirectionalCollection<UInt8>) {
        guard !stopping else { return }
        var bytes = bytes[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            take(.reply(.error(.badRequest("invalid UTF-8")), tag: nil))
            return
        }
        if text.allSatisfy({ $0 == " " || $0 == "\t" }) { return }  // empty lines are ignored
        engine.counters.request()
        let request = CommandParser.parse(text)
        switch request.command {
        case .failure(let e): take(.reply(.error(e), tag: request.tag))
        case .success(let command): take(.command(command, tag: request.tag))
        }
    }

    /// A line over the limit was discarded by the framing.
    public func receiveTooLong(limit: Int) {
        guard !stopping else { return }
        take(.reply(.error(PlyError(.tooLong, "line longer than \(limit) bytes")), tag: nil))
    }

    private func take(_ request: Pending) {
        if drainTask == nil, let reply = immediateReply(request) {
            send(reply.reply, tag: reply.tag)
            if wantsClose { stop() }
            return
        }
        guard drainTask != nil else {
            // The first request of a burst travels in the task itself, not through `inbox`.
            drainTask = Task { await self.drain(first: request) }
            return
        }
        inbox.append(request)
        // Unanswered: the ones queued and the one the drain task is on.
        if inbox.count + 1 >= flow.maximumQueued, !readingPaused {
            readingPaused = true
            flow.pause()
        }
    }

    /// The reply to a request that needs nothing but this session, or nil.
    private func immediateReply(_ request: Pending) -> (reply: Reply, tag: String?)? {
        switch request {
        case .reply(let reply, let tag): return (reply, tag)
        case .command(let command, let tag):
            guard let reply = answerLocally(command) else { return nil }
            return (reply, tag)
        }
    }

    /// Answers `first`, then the requests queued behind it, in order.
    private func drain(first: Pending) async {
        var next: Pending? = first
        while let request = next, !wantsClose {
            // Unanswered: this request and the ones queued behind it.
            if readingPaused, !stopping, inbox.count + 1 <= flow.maximumQueued / 2 {
                readingPaused = false
                flow.resume()
            }
            switch request {
            case .reply(let reply, let tag): send(reply, tag: tag)
            case .command(let command, let tag): send(await run(command), tag: tag)
            }
            next = inbox.isEmpty ? nil : inbox.removeFirst()
        }
        inbox.removeAll()
        drainTask = nil
        if wantsClose || stopping { stop() }
    }

    /// Takes no more requests and closes the connection once the queued replies are out.
    private func stop() {
        stopping = true
        outbound.close()
    }

    /// Graceful shutdown: requests already read are answered, then the connection closes.
    public func quiesce() {
        guard !stopping else { return }
        stopping = true
        readingPaused = true
        flow.pause()
        if drainTask == nil { stop() }
    }

    /// Closes a connection that did not log in within the handshake time.
    public func handshakeExpired(after seconds: Int64) {
        guard !isAuthenticated, !stopping else { return }
        outbound.send("ERR unauthenticated no login within \(seconds) seconds; closing\n")
        stop()
    }

    /// The connection closed: finish the requests already read, then the player may be
    /// offline.
    public func end() async {
        guard !ended else { return }
        ended = true
        stopping = true
        if let drainTask { await drainTask.value }
        await disconnected()
    }

    /// The connection closed; the player may now be offline.
    func disconnected() async {
        if let player {
            await player.detach(connection: connectionID)
        }
        for id in watching { engine.matches.unwatch(id, connection: connectionID) }
        watching = []
        player = nil
        engine.counters.disconnected()
    }

    func send(_ reply: Reply, tag: String?) {
        outbound.send(reply.line(tag: tag))
    }

    // MARK: dispatch

    /// Commands answered from this session alone, without waiting on anything.
    func answerLocally(_ command: Command) -> Reply? {
        guard command.allowedBeforeAuth || isAuthenticated else {
            return .error(.unauthenticated("log in first with AUTH"))
        }
        switch command {
        case .ping: return .ok(nil)
        case .help: return .ok(["commands": .array(CommandParser.verbs.map { .string($0) })])
        case .quit:
            wantsClose = true
            return .ok(nil)
        case .games: return .ok(Self.gameList)
        default: return nil
        }
    }

    static let gameList = JSONValue.array(GameCatalog.all.map(describe))

    func run(_ command: Command) async -> Reply {
        guard command.allowedBeforeAuth || isAuthenticated else {
            return .error(.unauthenticated("log in first with AUTH"))
        }
        // A ban or a deletion that landed after these requests were read: none of them runs.
        if let player, !player.isInGoodStanding() {
            self.player = nil
            wantsClose = true
            return .error(.forbidden("this account is banned or deleted"))
        }
        do {
            return try await dispatch(command)
        } catch let e as PlyError {
            return .error(e)
        } catch {
            logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return .error(PlyError(failure: error))
        }
    }

    func dispatch(_ command: Command) async throws -> Reply {
        switch command {
        case .ping, .help, .quit, .games:
            return answerLocally(command) ?? .error(PlyError(.internal, "no local answer"))
        case .authDevice(let id): return try await authDevice(id)
        case .authEmail(let email, let password): return try await authEmail(email, password)
        case .authExternal(let provider, let token): return try await authExternal(provider, token)
        case .authSession(let token, let lastSeq): return try await authSession(token, lastSeq: lastSeq)
        case .linkEmail(let email, let password): return try await linkEmail(email, password)
        case .confirmEmail(let code): return try await confirmEmail(code)
        case .linkExternal(let provider, let token): return try await linkExternal(provider, token)
        case .logout: return try await logout()
        case .logoutAll: return try await logoutEverywhere()
        case .profile(let id): return try await profile(id)
        case .name(let name): return try await setName(name)
        case .profileSet(let data): return try await setData(data)
        case .stats: return .ok(.object(await stats()))
        case .challenge(let opponent, let game, let settings):
            return try await challenge(opponent: opponent, game: game, settings: settings)
        case .open(let game): return try await openChallenges(game: game)
        case .queue(let game, let settings): return try await queue(game: game, settings: settings)
        case .unqueue(let game): return try await unqueue(game: game)
        case .matches(let filter): return try await matchList(filter)
        case .top(let game, let count): return try await top(game: game, count: count)
        case .match, .move, .legal, .record, .accept, .decline, .resign, .draw, .watch, .unwatch, .say, .conditional, .takeback:
            return try await matchCommand(command)
        case .vacation(let days): return try await vacation(days: days)
        case .notifications: return try await notifications()
        case .seen(let id): return try await seen(id)
        case .authAdmin(let token): return try await authAdmin(token)
        case .block(let id): return try await block(id)
        case .unblock(let id): return try await unblock(id)
        case .blocks: return .ok(.array(try await me().blockList.map { .string($0) }))
        case .report(let id, let text): return try await report(id, text: text)
        case .export: return try await export()
        case .deleteAccount(let id): return try await deleteAccount(confirming: id)
        case .admin(let request):
            guard isOperator else { throw PlyError.forbidden("operator verbs need a connection opened with AUTH ADMIN") }
            return try await admin(request)
        }
    }

    static func describe(_ game: any GameRules) -> JSONValue {
        var settings: JSONObject = ["side": "random", "turn_seconds": 259_200]
        for f in game.defaultSettingsJSON { settings[f.key] = f.value }
        return [
            "game": .string(game.id), "name": .string(game.name), "players": .int(game.seatNames.count),
            "seats": .array(game.seatNames.map { .string($0) }), "settings": .object(settings),
        ]
    }

    func stats() async -> JSONObject { await engine.statsSnapshot() }

}

extension GameRules {
    var defaultSettingsJSON: JSONObject { json(defaultSettings) }
}
