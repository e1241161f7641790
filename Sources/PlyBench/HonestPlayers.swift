import Foundation
import PlyClient
import PlyJSON
import PlyRules

/// Pairs of players playing Reversi through whatever happens to the server: an
/// `unavailable` move is retried with the same ply, a dropped connection is resumed (at the
/// next of `addresses` that serves, after a failover). At the end every move that got an
/// `OK` must be stored, each once and in its place (`verify`).
public struct HonestPlayers: Sendable {
    public var addresses: [PlyAddress]
    public var matches: Int
    /// Pause between a move and the next.
    public var pause: Duration = .milliseconds(20)

    public init(addresses: [PlyAddress], matches: Int) {
        self.addresses = addresses
        self.matches = matches
    }

    /// Plays until `deadline`, each pair starting a new match when one ends; returns the
    /// moves acknowledged per match. A move refused for any reason but `unavailable` is a
    /// failure.
    public func play(until deadline: ContinuousClock.Instant) async throws -> [String: [String]] {
        try await withThrowingTaskGroup(of: [String: [String]].self) { group in
            for i in 0..<matches {
                group.addTask { try await self.playPair(i, until: deadline) }
            }
            var out: [String: [String]] = [:]
            for try await games in group { out.merge(games) { a, _ in a } }
            return out
        }
    }

    private func playPair(_ i: Int, until deadline: ContinuousClock.Instant) async throws -> [String: [String]] {
        let a = try await PlyClient.connect(addresses: addresses)
        let b = try await PlyClient.connect(addresses: addresses)
        _ = try await a.authDevice("honest-a\(i)-\(UInt64.random(in: 0...UInt64.max))")
        let bo = try await b.authDevice("honest-b\(i)-\(UInt64.random(in: 0...UInt64.max))")
        var games: [String: [String]] = [:]
        while ContinuousClock.now < deadline {
            let (match, moves) = try await playMatch(a, b, opponent: bo.player, until: deadline)
            games[match] = moves
        }
        await a.close()
        await b.close()
        return games
    }

    /// One Reversi match of `a` (first) against `b`, to its end or the deadline.
    private func playMatch(
        _ a: PlyClient, _ b: PlyClient, opponent: String, until deadline: ContinuousClock.Instant
    ) async throws -> (String, [String]) {
        // Public, so that `verify`'s checker, a player of none of them, may read them back.
        let created = try await retrying(a, until: deadline) {
            try await a.callObject(#"CHALLENGE \#(opponent) reversi {"side":"first","public":true}"#)
        }
        let match = created["match"]?.stringValue ?? ""
        _ = try await retrying(b, until: deadline) { try await b.call("ACCEPT \(match)") }
        var acked: [String] = []
        var state = try GameState(game: GameCatalog.game("reversi")!, settings: [:])
        var rng = SystemRandomNumberGenerator()
        while ContinuousClock.now < deadline && !state.outcome.isOver {
            let legal = state.legalMoves()
            let move = legal[Int.random(in: 0..<legal.count, using: &rng)]
            let mover = acked.count % 2 == 0 ? a : b
            while ContinuousClock.now < deadline + .seconds(30) {
                do {
                    _ = try await mover.move(match: match, ply: acked.count + 1, move: move)
                    acked.append(move)
                    state = try state.applying(move).state
                    break
                } catch PlyClientError.server(let code, _) where code == "unavailable" {
                    try await Task.sleep(for: .milliseconds(100))  // the database is away, or a failover: same ply again
                } catch PlyClientError.server(let code, let message) {
                    throw ChaosFailure("honest move refused: \(code) \(message)")
                } catch {
                    try await Task.sleep(for: .milliseconds(100))
                    _ = try? await mover.resume()
                }
            }
            try await Task.sleep(for: pause)
        }
        return (match, acked)
    }

    /// A request that is not a move, retried through outages and failovers (the client
    /// resumes after a dropped connection). A retried challenge may make a second one; only
    /// the one answered is played.
    private func retrying<T>(
        _ client: PlyClient, until deadline: ContinuousClock.Instant, _ call: () async throws -> T
    ) async throws -> T {
        while true {
            do {
                return try await call()
            } catch PlyClientError.server(let code, _) where code == "unavailable" && ContinuousClock.now < deadline + .seconds(30) {
                try await Task.sleep(for: .milliseconds(100))
            } catch let e as PlyClientError where ContinuousClock.now < deadline + .seconds(30) {
                if case .server = e { throw e }
                try await Task.sleep(for: .milliseconds(100))
                _ = try? await client.resume()
            }
        }
    }

    /// What the store holds of the acknowledged moves.
    public struct Verification: Sendable {
        public var acknowledged = 0
        /// Acknowledged moves stored at their ply.
        public var verified = 0
        /// Matches whose stored moves are not the acknowledged ones (a move lost, changed, or
        /// stored twice), described.
        public var findings: [String] = []
    }

    /// Reads each match back (`MATCH`, through the server that serves now) and compares.
    /// A match may hold one move more than was acknowledged (the `OK` that a crash ate and
    /// no retry came for), never fewer or others.
    public func verify(_ acknowledged: [String: [String]], device: String) async throws -> Verification {
        let checker = try await PlyClient.connect(addresses: addresses)
        _ = try await checker.authDevice(device)
        var v = Verification()
        for (match, moves) in acknowledged.sorted(by: { $0.key < $1.key }) {
            v.acknowledged += moves.count
            let m = try await checker.callObject("MATCH \(match)")
            let stored = (m["moves"]?.arrayValue ?? []).compactMap(\.stringValue)
            for (i, move) in moves.enumerated() where i < stored.count && stored[i] == move { v.verified += 1 }
            if Array(stored.prefix(moves.count)) != moves || stored.count > moves.count + 1 {
                v.findings.append("\(match): acknowledged \(moves.joined(separator: " ")); stored \(stored.joined(separator: " "))")
            }
        }
        await checker.close()
        return v
    }
}
