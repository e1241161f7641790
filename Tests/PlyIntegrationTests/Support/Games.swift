import Foundation
import PlyJSON
import PlyRules
import Testing

/// Moves for whole games, chosen or recorded, to play through the server.
enum Games {
    /// A deterministic playout: a winning move when there is one, otherwise a seeded
    /// random legal one. Ends every Reversi game and, with the preference for wins,
    /// Khet games too, in a few hundred plies.
    static func playout(_ game: String, settings: JSONObject = [:], seed: UInt64, maxPlies: Int = 3000) throws -> [String] {
        let rules = try #require(GameCatalog.game(game))
        var state = try GameState(game: rules, settings: settings)
        var rng = SeededRandom(seed: seed)
        var moves: [String] = []
        while !state.outcome.isOver && moves.count < maxPlies {
            let legal = state.legalMoves().filter { $0 != "draw" }
            let winning = legal.first { m in
                if case .win(let seat, _) = (try? state.applying(m).state.outcome) ?? .ongoing { return seat == state.sideToMove }
                return false
            }
            let pick = winning ?? legal[Int(rng.next() % UInt64(legal.count))]
            moves.append(pick)
            state = try state.applying(pick).state
        }
        #expect(state.outcome.isOver, "\(game) playout did not end in \(maxPlies) plies")
        return moves
    }

    /// A recorded Hive game that ends on the board, as UHP move strings.
    static func recordedHive() throws -> (moves: [String], result: String) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let file = root.appendingPathComponent("Vectors/hive/games/HV-Dumbot-Dargason-2018-11-02-1301.pgn")
        let text = try String(contentsOf: file, encoding: .utf8)
        var moves: [String] = []
        var result = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("[Result ") { result = String(line.split(separator: "\"")[1]) }
            guard let dot = line.firstIndex(of: "."), Int(line[..<dot]) != nil else { continue }
            moves.append(line[line.index(after: dot)...].trimmingCharacters(in: .whitespaces))
        }
        return (moves, result)
    }
}

