import PlyProtocol
import NIOCore
import NIOPosix
import NIOSSL
import PlyClient
import PlyJSON
import PlyRules
import PlyStore
import Synchronization

/// `ply bench moves`: pairs of players play real games as fast as the server answers.
/// Each pair logs in with `AUTH DEVICE`, meets through `CHALLENGE`/`ACCEPT`, and plays
/// random legal moves chosen locally with `PlyRules`, starting a new match when one ends.
/// A move is timed from send to `OK` (which the server sends only once the move is
/// durable) and from send to the opponent's `EVENT move`.
public enum MovesBench {
    public struct Options: Sendable {
        public var target: BenchTarget
        public var matches: Int
        public var duration: Duration
        public var game: String
        /// Moves per second over all matches; nil: as fast as the server answers. Each pair
        /// then sends its moves on a fixed schedule (matches / rate apart; a pair running late
        /// catches up by at most four intervals).
        public var rate: Double?

        /// TLS to the server (its port must speak TLS); nil: plain TCP.
        public var tls: TLSConfiguration?
        /// The settings of each `CHALLENGE` (a JSON object), e.g. with a `clock`.
        public var settings = #"{"side":"first"}"#

        public init(
            target: BenchTarget, matches: Int, duration: Duration, game: String = "reversi", rate: Double? = nil,
            tls: TLSConfiguration? = nil
        ) {
            self.tls = tls
            self.target = target
            self.matches = matches
            self.duration = duration
            self.game = game
            self.rate = rate
        }
    }

    public struct Result: Sendable {
        public var moves: Int
        public var seconds: Double
        public var reply: LatencySummary
        public var event: LatencySummary
        public var matchesFinished: Int
        public var errors: Int
        public var commits: Int?
        public var rowsCommitted: Int?
        public var rssBytes: Int?
        /// The server's commits during the run (`STATS` histograms before and after): p50
        /// and p99 are bucket bounds (within 12%), the maximum is exact where it can be.
        public var commitLatencies: DurationHistogram?

        public var report: BenchReport {
            let rowsPerCommit: Double? =
                if let commits, let rowsCommitted, commits > 0 { Double(rowsCommitted) / Double(commits) } else { nil }
            return BenchReport(
                title: "moves",
                figures: [
                    ("moves", Double(moves)), ("seconds", seconds),
                    ("moves_per_s", seconds > 0 ? Double(moves) / seconds : nil),
                    ("p50_ms", reply.p50), ("p99_ms", reply.p99), ("p999_ms", reply.p999), ("max_ms", reply.max),
                    ("event_p50_ms", event.p50), ("event_p99_ms", event.p99),
                    ("matches_finished", Double(matchesFinished)), ("errors", Double(errors)),
                    ("commits", commits.map(Double.init)), ("rows_committed", rowsCommitted.map(Double.init)),
                    ("rows_per_commit", rowsPerCommit),
                    ("commit_p50_ms", commitLatencies?.percentile(50)), ("commit_p99_ms", commitLatencies?.percentile(99)),
                    ("commit_max_ms", commitLatencies.flatMap { $0.total > 0 ? $0.maximum : nil }),
                    ("rss_mb", rssBytes.map { Double($0) / 1_048_576 }),
                ])
        }
    }

    public static func run(_ options: Options, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> Result
    {
        guard let rules = GameCatalog.game(options.game) else {
            throw PlyClientError.invalidRequest("no game \(options.game)")
        }
        let run = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let players = try await withThrowingTaskGroup(of: (Int, PlyClient).self) { tasks in
            for i in 0..<(2 * options.matches) {
                tasks.addTask {
                    let c = try await PlyClient.connect(
                        host: options.target.host, port: options.target.port, group: group, tls: options.tls)
                    _ = try await c.authDevice("bench-\(run)-\(i)")
                    return (i, c)
                }
            }
            var clients: [PlyClient?] = Array(repeating: nil, count: 2 * options.matches)
            for try await (i, c) in tasks { clients[i] = c }
            return clients.map { $0! }
        }
        do {
            let result = try await measure(options, players: players, rules: rules)
            await closeAll(players)
            return result
        } catch {
            await closeAll(players)
            throw error
        }
    }

    static func closeAll(_ players: [PlyClient]) async {
        await withTaskGroup(of: Void.self) { g in
            for p in players { g.addTask { await p.close() } }
        }
    }

    static func measure(_ options: Options, players: [PlyClient], rules: any GameRules) async throws -> Result {
        let before = try await players[0].stats()
        let sent = SendTimes()
        let listeners = players.map { p in
            Task {
                for await event in p.events where event.type == "move" {
                    guard let match = event.body["match"]?.stringValue, let ply = event.body["ply"]?.intValue else { continue }
                    sent.arrived(match: match, ply: ply)
                }
            }
        }

        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + options.duration
        let interval: Duration? = options.rate.map { .nanoseconds(Int64(Double(options.matches) / $0 * 1e9)) }
        let tallies = await withTaskGroup(of: Tally.self) { pairs in
            for m in 0..<options.matches {
                pairs.addTask {
                    await playPair(
                        first: players[2 * m], second: players[2 * m + 1], rules: rules, game: options.game,
                        settings: options.settings,
                        until: deadline, sent: sent, interval: interval)
                }
            }
            var total = Tally()
            for await t in pairs { total.merge(t) }
            return total
        }
        let seconds = LatencySamples.milliseconds(clock.now - start) / 1000
        let after = try await players[0].stats()
        for l in listeners { l.cancel() }

        func delta(_ field: String) -> Int? {
            guard let a = after[field]?.intValue, let b = before[field]?.intValue else { return nil }
            return a - b
        }
        return Result(
            moves: tallies.reply.count, seconds: seconds, reply: tallies.reply.summary(),
            event: sent.samples().summary(), matchesFinished: tallies.finished, errors: tallies.errors,
            commits: delta("commits"), rowsCommitted: delta("rows_committed"), rssBytes: after["rss_bytes"]?.intValue,
            commitLatencies: commitHistogram(after).flatMap { a in commitHistogram(before).map { a.since($0) } })
    }

    /// The commit histogram a `STATS` reply lists (nil from a server without one).
    public static func commitHistogram(_ stats: JSONObject) -> DurationHistogram? {
        guard case .array(let rows)? = stats["commit_histogram_ms"], let maximum = stats["commit_max_ms"]?.doubleValue
        else { return nil }
        var buckets: [(upperBound: Double, count: Int)] = []
        for row in rows {
            guard case .array(let pair) = row, pair.count == 2, let bound = pair[0].doubleValue, let count = pair[1].intValue
            else { return nil }
            buckets.append((bound, count))
        }
        return DurationHistogram(buckets: buckets, maximum: maximum)
    }

    struct Tally: Sendable {
        var reply = LatencySamples()
        var finished = 0
        var errors = 0
        mutating func merge(_ o: Tally) {
            reply.merge(o.reply)
            finished += o.finished
            errors += o.errors
        }
    }

    /// One pair's matches, one after another, until the deadline. A move the server refuses
    /// abandons that match (the local position may be wrong) and starts a new one.
    static func playPair(
        first: PlyClient, second: PlyClient, rules: any GameRules, game: String, settings: String = #"{"side":"first"}"#,
        until deadline: ContinuousClock.Instant, sent: SendTimes, interval: Duration? = nil
    ) async -> Tally {
        var tally = Tally()
        let clock = ContinuousClock()
        // Paced pairs start spread over one interval, so the load is even.
        var nextSend = clock.now + (interval.map { $0 * Double.random(in: 0..<1) } ?? .zero)
        guard let secondID = second.player else { return tally }
        var rng = SystemRandomNumberGenerator()
        while clock.now < deadline {
            var match: String?
            do {
                let created = try await first.callObject("CHALLENGE \(secondID) \(game) \(settings)")
                guard let id = created["match"]?.stringValue else { throw PlyClientError.unexpectedReply("\(created)") }
                match = id
                try await second.call("ACCEPT \(id)")
                var state = try GameState(game: rules, settings: [:])
                var ply = 1
                while !state.outcome.isOver {
                    guard clock.now < deadline else {
                        _ = try? await first.request("RESIGN \(id)")
                        return tally
                    }
                    let mover = state.sideToMove == 0 ? first : second
                    let legal = state.legalMoves().filter { $0 != "draw" }
                    let pick = legal[Int.random(in: 0..<legal.count, using: &rng)]
                    if let interval {
                        if nextSend > clock.now { try? await Task.sleep(until: nextSend, clock: clock) }
                        nextSend = max(nextSend + interval, clock.now - interval * 4)
                    }
                    let t0 = sent.sending(match: id, ply: ply)
                    try await mover.move(match: id, ply: ply, move: pick)
                    tally.reply.record(clock.now - t0)
                    state = try state.applying(pick).state
                    ply += 1
                }
                tally.finished += 1
            } catch PlyClientError.connectionClosed, PlyClientError.notConnected {
                tally.errors += 1
                return tally
            } catch {
                tally.errors += 1
                if let match { _ = try? await first.request("RESIGN \(match)") }
            }
        }
        return tally
    }
}

/// When each move was sent, so the opponent's connection can time its `EVENT move`.
final class SendTimes: Sendable {
    private struct State {
        var open: [String: ContinuousClock.Instant] = [:]
        var samples = LatencySamples()
    }
    private let state = Mutex(State())
    private let clock = ContinuousClock()

    /// Registers a move about to leave and returns its send time.
    func sending(match: String, ply: Int) -> ContinuousClock.Instant {
        let now = clock.now
        state.withLock { $0.open["\(match) \(ply)"] = now }
        return now
    }

    func arrived(match: String, ply: Int) {
        let now = clock.now
        state.withLock { s in
            if let t0 = s.open.removeValue(forKey: "\(match) \(ply)") { s.samples.record(now - t0) }
        }
    }

    func samples() -> LatencySamples { state.withLock { $0.samples } }
}
