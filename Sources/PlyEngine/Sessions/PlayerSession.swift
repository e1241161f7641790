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
public actor PlayerSession {
    nonisolated let outbound: Outbound
    nonisolated let connectionID: Int
    let engine: Engine
    let remoteAddress: String
    var logger: Logger

    var player: Player?
    var tokenHash: Data?
    var failedAuth = 0
    /// Matches this connection watches, to stop watching when it closes.
    var watching: Set<String> = []
    public var isAuthenticated: Bool { player != nil }

    /// Set by QUIT: the server closes the connection after the reply.
    public private(set) var wantsClose = false

    private static let nextID = Atomic<Int>(1)

    public init(engine: Engine, outbound: Outbound, remoteAddress: String) {
        self.engine = engine
        self.outbound = outbound
        self.remoteAddress = remoteAddress
        connectionID = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        var logger = engine.logger
        logger[metadataKey: "connection"] = "\(connectionID)"
        self.logger = logger
        engine.counters.connected()
    }

    public static let version = "0.1.0"

    /// The greeting every connection gets first.
    public nonisolated func hello() {
        outbound.send(Event("hello", ["server": "ply", "version": .string(Self.version), "protocol": 1]).line)
    }

    // MARK: input

    /// Handles one line as framed by the server (without its `\n`).
    public func handle(line bytes: [UInt8]) async {
        var bytes = bytes[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            send(.error(.badRequest("invalid UTF-8")), tag: nil)
            return
        }
        if text.allSatisfy({ $0 == " " || $0 == "\t" }) { return }  // empty lines are ignored
        engine.counters.request()
        let request = CommandParser.parse(text)
        switch request.command {
        case .failure(let e):
            send(.error(e), tag: request.tag)
        case .success(let command):
            send(await run(command), tag: request.tag)
        }
    }

    /// A line over the limit was discarded by the framing.
    public func lineTooLong(limit: Int) {
        send(.error(PlyError(.tooLong, "line longer than \(limit) bytes")), tag: nil)
    }

    /// The connection closed; the player may now be offline.
    public func disconnected() async {
        if let player {
            await player.detach(connection: connectionID)
        }
        for id in watching {
            await (try? engine.matches.match(id))?.unwatch(connection: connectionID)
        }
        watching = []
        player = nil
        engine.counters.disconnected()
    }

    func send(_ reply: Reply, tag: String?) {
        outbound.send(reply.line(tag: tag))
    }

    // MARK: dispatch

    func run(_ command: Command) async -> Reply {
        guard command.allowedBeforeAuth || player != nil else {
            return .error(.unauthenticated("log in first with AUTH"))
        }
        do {
            return try await dispatch(command)
        } catch let e as PlyError {
            return .error(e)
        } catch {
            logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            if Self.isDatabaseUnavailable(error) { return .error(.unavailable()) }
            return .error(PlyError(.internal, "something went wrong; nothing was lost"))
        }
    }

    func dispatch(_ command: Command) async throws -> Reply {
        switch command {
        case .ping: return .ok(nil)
        case .help: return .ok(["commands": .array(CommandParser.verbs.map { .string($0) })])
        case .quit:
            wantsClose = true
            return .ok(nil)
        case .authDevice(let id): return try await authDevice(id)
        case .authEmail(let email, let password): return try await authEmail(email, password)
        case .authExternal(let provider, let token): return try await authExternal(provider, token)
        case .authSession(let token, let lastSeq): return try await authSession(token, lastSeq: lastSeq)
        case .linkEmail(let email, let password): return try await linkEmail(email, password)
        case .linkExternal(let provider, let token): return try await linkExternal(provider, token)
        case .logout: return try await logout()
        case .profile(let id): return try await profile(id)
        case .name(let name): return try await setName(name)
        case .profileSet(let data): return try await setData(data)
        case .games: return .ok(.array(GameCatalog.all.map(Self.describe)))
        case .stats: return .ok(.object(await stats()))
        case .challenge(let opponent, let game, let settings):
            return try await challenge(opponent: opponent, game: game, settings: settings)
        case .open(let game): return try await openChallenges(game: game)
        case .queue(let game, let settings): return try await queue(game: game, settings: settings)
        case .unqueue(let game): return try await unqueue(game: game)
        case .matches(let filter): return try await matchList(filter)
        case .top(let game, let count): return try await top(game: game, count: count)
        case .match, .move, .legal, .accept, .decline, .resign, .draw, .watch, .unwatch, .say:
            return try await matchCommand(command)
        case .notifications: return try await notifications()
        case .seen(let id): return try await seen(id)
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

    /// Whether an error means PostgreSQL could not be reached (as opposed to a bug).
    static func isDatabaseUnavailable(_ error: any Error) -> Bool {
        if error is DatabaseUnavailable || error is CommitFailure { return true }
        if let e = error as? PSQLError { return e.serverInfo == nil }
        return false
    }
}

extension GameRules {
    var defaultSettingsJSON: JSONObject { json(defaultSettings) }
}
