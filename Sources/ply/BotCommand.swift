import ArgumentParser
import Foundation
import PlyBench
import PlyBots
import PlyClient
import PlyJSON
import PlyRules

/// `ply bot <game> --target HOST:PORT --device ID [--level 1..5] [--tls]`: a bot account
/// playing through the protocol with `PlyClient`. It accepts invitations, takes open
/// challenges marked `"bots":true`, and plays every match it is in whose turn is its own,
/// in any game it has an engine for; when the connection drops or the server restarts it
/// connects again, logs in with its device id and carries on from `MATCHES`.
struct BotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bot",
        abstract: "Play as a bot account with a built-in engine."
    )

    @Argument(help: "The game whose open challenges the bot takes (reversi, hive, khet); it plays any game it is invited to.")
    var game: String
    @Option(help: "The server, as host:port.") var target: String
    @Option(help: "The bot account's device id (10 to 128 printable characters).") var device: String
    @Option(help: "Strength, 1 to 5.") var level = 3
    @Option(help: "Seconds between looks at the server when no event arrives.") var pollSeconds = 2.0
    @Option(help: "Stop after this many finished matches (0: never); for tests.") var stopAfter = 0
    @OptionGroup var tlsOptions: TLSOptions

    func validate() throws {
        guard Bots.games.contains(game) else { throw ValidationError("no bot plays \(game); games: \(Bots.games.joined(separator: ", "))") }
        guard (1...5).contains(level) else { throw ValidationError("--level is 1 to 5") }
        _ = try parseTarget(target)
    }

    func run() async throws {
        let endpoint = try parseTarget(target)
        let tls = try tlsOptions.configuration()
        var bot = BotPlayer(game: game, device: device, level: level, poll: pollSeconds, stopAfter: stopAfter)
        var backoff = 0.2
        while true {
            do {
                let client = try await PlyClient.connect(host: endpoint.host, port: endpoint.port, tls: tls)
                backoff = 0.2
                let done = try await bot.play(on: client)
                await client.close()
                if done { return }
            } catch {
                log("bot connection lost: \(error); reconnecting in \(backoff) s")
                try await Task.sleep(for: .milliseconds(Int(backoff * 1000)))
                backoff = min(backoff * 2, 5)
            }
        }
    }
}

func log(_ text: String) {
    FileHandle.standardError.write(Data("\(text)\n".utf8))
}

/// One bot's play on one connection at a time; what it has finished survives reconnects.
struct BotPlayer {
    let game: String
    let device: String
    let level: Int
    let poll: Double
    let stopAfter: Int
    var random = BotRandom(seed: UInt64.random(in: 1...UInt64.max))
    var finished: Set<String> = []

    init(game: String, device: String, level: Int, poll: Double, stopAfter: Int) {
        self.game = game
        self.device = device
        self.level = level
        self.poll = poll
        self.stopAfter = stopAfter
    }

    /// Plays until the connection fails (throws) or `stopAfter` matches finished (true).
    mutating func play(on client: PlyClient) async throws -> Bool {
        let me = try await client.authDevice(device).player
        log("bot \(me) playing \(game) at level \(level)")
        // Any event is a reason to look again at once; otherwise look every `poll` seconds.
        let (wake, wakeSink) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let listener = Task {
            for await _ in client.events { wakeSink.yield() }
            wakeSink.finish()
        }
        defer { listener.cancel() }
        var wakeIterator = wake.makeAsyncIterator()
        while true {
            try await takeChallenges(client, me: me)
            try await playTurns(client, me: me)
            if stopAfter > 0 && finished.count >= stopAfter { return true }
            guard client.isConnected else { throw PlyClientError.notConnected }
            let pause = poll
            let ticker = Task {
                try? await Task.sleep(for: .milliseconds(Int(pause * 1000)))
                wakeSink.yield()
            }
            _ = await wakeIterator.next()
            ticker.cancel()
        }
    }

    /// Open challenges marked `"bots":true` for its game, and every invitation to it.
    func takeChallenges(_ client: PlyClient, me: String) async throws {
        for case .object(let c) in try await client.call("OPEN \(game)")?.arrayValue ?? [] {
            guard c["settings"]?.objectValue?["bots"]?.boolValue == true, c["from"]?.stringValue != me,
                let id = c["match"]?.stringValue
            else { continue }
            _ = try await client.request("ACCEPT \(id)")  // another bot may have taken it first
        }
    }

    mutating func playTurns(_ client: PlyClient, me: String) async throws {
        for case .object(let m) in try await client.call("MATCHES all")?.arrayValue ?? [] {
            guard let id = m["match"]?.stringValue else { continue }
            switch m["status"]?.stringValue {
            case "invited":
                // The bot never invites, so an invitation is to it.
                _ = try await client.request("ACCEPT \(id)")
            case "active":
                if m["to_move"]?.stringValue == me { try await move(client, match: id) }
            case "finished", "aborted":
                finished.insert(id)
            default: break
            }
        }
    }

    mutating func move(_ client: PlyClient, match id: String) async throws {
        let m = try await client.callObject("MATCH \(id)")
        guard let game = m["game"]?.stringValue, let rules = GameCatalogIDs.rules(game) else { return }
        let moves = (m["moves"]?.arrayValue ?? []).compactMap(\.stringValue)
        var own: JSONObject = [:]
        let keys = rules
        for f in m["settings"]?.objectValue ?? [:] where keys.contains(f.key) { own[f.key] = f.value }
        guard let move = try Bots.move(game: game, settings: own, moves: moves, level: level, random: &random) else { return }
        // A stale ply or a turn that passed meanwhile is answered ERR and looked at again.
        _ = try await client.request("MOVE \(id) \(moves.count + 1) \(move)")
    }
}

/// The settings fields each game's rules read.
enum GameCatalogIDs {
    static func rules(_ game: String) -> Set<String>? {
        switch game {
        case "reversi": []
        case "hive": ["expansions"]
        case "khet": ["layout"]
        default: nil
        }
    }
}
