import Foundation
import PlyEngine
import PlyJSON
import PlyRules
import PlyServer
import Testing

/// `RECORD <match>` through a real server: each game's record reads back to the match's
/// moves, position and result.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct RecordTests {
    @Test("RECORD gives each game's exchange format", arguments: [
        ("reversi", #"{"side":"first"}"#, "ggf"),
        ("hive", #"{"side":"first","expansions":"MLP"}"#, "uhp"),
        ("khet", #"{"side":"first","layout":"imhotep"}"#, "ply-khet"),
    ])
    func recordOfAMatch(game: String, settings: String, format: String) async throws {
        let server = try await TestServer.start()
        let t = try await server.table(game, settings: settings)
        let own = try JSONValue.parseObject(settings).filter { $0.key != "side" }
        // Random legal moves that do not end the game, so a resignation can end it.
        var state = try GameState(game: try #require(GameCatalog.game(game)), settings: JSONObject(own.map { ($0.key, $0.value) }))
        var rng = SeededRandom(seed: 3)
        var plies: [String] = []
        while plies.count < 12 {
            let quiet = state.legalMoves().filter { m in
                m != "draw" && (try? state.applying(m).state.outcome.isOver) == false
            }
            guard !quiet.isEmpty else { break }
            let m = quiet[Int(rng.next() % UInt64(quiet.count))]
            plies.append(m)
            state = try state.applying(m).state
        }
        try await server.play(t, plies)
        // A resignation is a result the board does not show; the record keeps it.
        try await t.second.ok("RESIGN \(t.match)")
        for c in [t.first, t.second] {
            let r = try await c.ok("RECORD \(t.match)")
            #expect(r["format"]?.stringValue == format)
            let text = try #require(r["text"]?.stringValue)
            let (replay, result, back) = try RulesTool.replay(record: text)
            #expect(back.moves == plies)
            let match = try await c.ok("MATCH \(t.match)")
            #expect(replay.state.describe() == match["position"]?.stringValue)
            #expect(result?.winner == 0, "the first player won by resignation")
        }
        try await t.first.err("RECORD m987654321", "not_found")
        try await server.stop()
    }
}

/// The real `ply uhp` process, driven line by line over every reference position.
@Suite(.timeLimit(.minutes(5)))
struct UHPProcessTests {
    final class UHPProcess {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        var buffer = Data()

        init() throws {
            process.executableURL = CrashTests.binary
            process.arguments = ["uhp"]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
        }

        /// The lines up to and including `ok`.
        func answer() throws -> [String] {
            var lines: [String] = []
            while true {
                while let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self)
                    buffer = Data(buffer[buffer.index(after: nl)...])
                    lines.append(line)
                    if line == "ok" { return lines }
                }
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { throw TestFailure("ply uhp closed its output after \(lines)") }
                buffer.append(chunk)
            }
        }

        func send(_ line: String) throws -> [String] {
            input.fileHandleForWriting.write(Data((line + "\n").utf8))
            return try answer()
        }

        func close() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CrashTests.binary.path), "build the ply binary first"))
    func validMovesOverEveryReferencePosition() throws {
        let uhp = try UHPProcess()
        let greeting = try uhp.answer()
        #expect(greeting.first?.hasPrefix("id Ply") == true)
        #expect(greeting.contains("Mosquito;Ladybug;Pillbug"))
        let rows = UHPReference.rows()
        #expect(rows.count == 205)
        let clock = ContinuousClock()
        var spent: Duration = .zero
        for row in rows {
            let started = try uhp.send("newgame \(row.gameString)")
            #expect(started.count == 2 && !started[0].hasPrefix("err") && !started[0].hasPrefix("invalidmove"), "\(row.label)")
            let t0 = clock.now
            let out = try uhp.send("validmoves")
            spent += clock.now - t0
            let ours = Set(out[0].split(separator: ";").map(String.init))
            var mine = ours
            if !row.complete {
                let pieces = Set(row.moves.map { String($0.prefix { $0 != " " }) })
                mine = mine.filter { pieces.contains(String($0.prefix { $0 != " " })) }
            }
            #expect(mine == Set(row.moves), "\(row.label)")
        }
        let invalid = try uhp.send("play wQ")
        #expect(invalid[0].hasPrefix("invalidmove ") || invalid[0].hasPrefix("err "))
        #expect(try uhp.send("nonsense")[0].hasPrefix("err "))
        print("ply uhp validmoves: \(rows.count) positions, \(spent) in validmoves round trips")
        uhp.close()
    }
}

enum UHPReference {
    struct Row {
        let label: String
        let gameString: String
        let moves: [String]
        let complete: Bool
    }

    static func rows() -> [Row] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("Vectors/hive")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasPrefix("Board_ValidMoves") }.sorted()
        return files.flatMap { file -> [Row] in
            let text = (try? String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)) ?? ""
            return text.replacingOccurrences(of: "\u{FEFF}", with: "").split(separator: "\n").enumerated().compactMap { i, raw in
                let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                let f = line.split(separator: "\t")
                guard !line.hasPrefix("#"), f.count == 2 else { return nil }
                return Row(
                    label: "\(file):\(i + 1)", gameString: String(f[0]),
                    moves: f[1].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) },
                    complete: file.contains("RealGames"))
            }
        }
    }
}

/// `ply bot` as a process against a real server: it takes an open challenge marked
/// `"bots":true` and plays a whole match against a scripted player, in each game, and it
/// finishes a match across a server restart.
@Suite(
    .enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"),
    .enabled(if: FileManager.default.isExecutableFile(atPath: CrashTests.binary.path), "build the ply binary first"),
    .timeLimit(.minutes(5)), .serialized)
struct BotProcessTests {
    static func startBot(_ game: String, port: Int, device: String) throws -> Process {
        let p = Process()
        p.executableURL = CrashTests.binary
        p.arguments = ["bot", game, "--target", "127.0.0.1:\(port)", "--device", device, "--level", "1", "--poll-seconds", "0.2"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// The scripted player: a seeded random legal move whenever it is its turn, until the
    /// match ends; a game still going at ply 300 (a Hive random mover can shuffle for long,
    /// and the bot's moves depend on its time budget) ends by its resignation. Returns the
    /// match's final description.
    static func playScripted(_ c: TestClient, match: String, me: String, seed: UInt64, restart: (() async throws -> TestClient)? = nil) async throws -> JSONObject {
        var rng = SeededRandom(seed: seed)
        var client = c
        var restarted = false
        for _ in 0..<4000 {
            let m = try #require(try await client.ok("MATCH \(match)").objectValue)
            if m["status"]?.stringValue == "finished" { return m }
            if let restart, !restarted, (m["ply"]?.intValue ?? 0) >= 6 {
                client = try await restart()
                restarted = true
                continue
            }
            if m["to_move"]?.stringValue == me, (m["ply"]?.intValue ?? 0) >= 300 {
                _ = try await client.ok("RESIGN \(match)")
            } else if m["to_move"]?.stringValue == me {
                let legal = try #require(try await client.ok("LEGAL \(match)").arrayValue).compactMap(\.stringValue).filter { $0 != "draw" }
                let ply = (m["ply"]?.intValue ?? 0) + 1
                _ = try await client.ok("MOVE \(match) \(ply) \(legal[Int(rng.next() % UInt64(legal.count))])")
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw TestFailure("the match did not end")
    }

    @Test("a whole match of each game against a scripted player", arguments: ["reversi", "khet", "hive"])
    func wholeMatch(_ game: String) async throws {
        let server = try await TestServer.start()
        let bot = try Self.startBot(game, port: server.port, device: "bot-\(game)-\(UUID().uuidString)")
        defer { bot.terminate() }
        let (c, me) = try await server.player("human")
        let created = try await c.ok("CHALLENGE open \(game) {\"side\":\"first\",\"bots\":true}")
        let match = try #require(created["match"]?.stringValue)
        _ = try await c.event("start", timeout: .seconds(30))
        let final = try await Self.playScripted(c, match: match, me: me.player, seed: 9)
        #expect(final["status"]?.stringValue == "finished")
        let moves = try #require(final["moves"]?.arrayValue).count
        #expect(moves > 0)
        // A level-1 bot beats a random mover nearly always; the result is not the test.
        print("bot \(game): \(moves) plies, result \(final["result"].map { "\($0)" } ?? "none")")
        bot.terminate()
        try await server.stop()
    }

    /// `--automatch-bot reversi=<device>` with one second: a player waiting alone is handed
    /// to the bot, which plays; a player who blocked the bot is not, and stays queued.
    @Test func automatchHandsALonePlayerToTheBot() async throws {
        let device = "bot-automatch-\(UUID().uuidString)"
        // Its own database: automatch queues are stored, and other tests' must not pair here.
        let server = try await TestServer.start(database: TestDatabase.fresh()) {
            $0.engine.automatchBots = ["reversi": device]
            $0.engine.automatchBotSeconds = 1
            $0.engine.deadlinePollSeconds = 0.2
        }
        let bot = try Self.startBot("reversi", port: server.port, device: device)
        defer { bot.terminate() }
        let (a, ann) = try await server.player("alone")
        let queuedAt = ContinuousClock.now
        #expect(try await a.ok("QUEUE reversi")["queued"]?.boolValue == true)
        let start = try await a.event("start", timeout: .seconds(20))
        #expect(ContinuousClock.now - queuedAt >= .seconds(1))
        let match = try #require(start["match"]?.stringValue)
        let players = try #require(start["players"]?.arrayValue).compactMap { $0["player"]?.stringValue }
        let botID = try #require(players.first { $0 != ann.player })
        #expect(players.count == 2 && players.contains(ann.player))
        // Nobody else is connected: every move of the other seat is the bot's.
        let final = try await Self.playScripted(a, match: match, me: ann.player, seed: 5)
        #expect(final["status"]?.stringValue == "finished")
        let moves = try #require(final["moves"]?.arrayValue).count
        #expect(moves > 20)

        let (b, _) = try await server.player("blocker")
        try await b.ok("BLOCK \(botID)")
        #expect(try await b.ok("QUEUE reversi")["queued"]?.boolValue == true)
        #expect(await !b.hasEvent("start", within: .seconds(3)))
        // Still waiting: the next player pairs with them at once.
        let (c, _) = try await server.player("latecomer")
        let paired = try await c.ok("QUEUE reversi")
        let second = try #require(paired["match"]?.stringValue)
        let bStart = try await b.event("start")
        #expect(bStart["match"]?.stringValue == second)
        #expect(!(try #require(bStart["players"]?.arrayValue).compactMap { $0["player"]?.stringValue }.contains(botID)))
        bot.terminate()
        try await server.stop()
    }

    @Test func finishesAMatchAcrossAServerRestart() async throws {
        let database = try await TestDatabase.fresh()
        let port = freePort()
        var server = try await TestServer.start(database: database) { $0.server.port = port }
        let bot = try Self.startBot("reversi", port: port, device: "bot-restart-\(UUID().uuidString)")
        defer { bot.terminate() }
        let device = "human-\(UUID().uuidString)"
        let c = try await server.client()
        let me = try await c.authDevice(device)
        let created = try await c.ok("CHALLENGE open reversi {\"side\":\"first\",\"bots\":true}")
        let match = try #require(created["match"]?.stringValue)
        _ = try await c.event("start", timeout: .seconds(30))
        let final = try await Self.playScripted(c, match: match, me: me.player, seed: 4) {
            try await server.stop()
            server = try await TestServer.start(database: database) { $0.server.port = port }
            let again = try await server.client()
            _ = try await again.authDevice(device)
            return again
        }
        #expect(final["status"]?.stringValue == "finished")
        bot.terminate()
        try await server.stop()
    }
}
