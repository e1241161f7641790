import PlyJSON
import PlyRules
import Testing

/// Reversi with the protocol's default perft (legalMoves and play at every node), so the
/// bitboard override can be checked against it.
struct ReversiWithDefaultPerft: GameRules {
    let rules = Reversi()
    var id: String { rules.id }
    var name: String { rules.name }
    var seatNames: [String] { rules.seatNames }
    var defaultSettings: Reversi.Settings { rules.defaultSettings }
    func settings(from json: JSONObject) throws(SettingsError) -> Reversi.Settings { try rules.settings(from: json) }
    func json(_ settings: Reversi.Settings) -> JSONObject { rules.json(settings) }
    func initialPosition(_ settings: Reversi.Settings) -> ReversiPosition { rules.initialPosition(settings) }
    func sideToMove(_ position: ReversiPosition) -> Seat { rules.sideToMove(position) }
    func outcome(_ position: ReversiPosition) -> Outcome { rules.outcome(position) }
    func legalMoves(_ position: ReversiPosition) -> [ReversiMove] { rules.legalMoves(position) }
    func apply(_ move: ReversiMove, to position: ReversiPosition) throws(RuleError) -> ReversiPosition {
        try rules.apply(move, to: position)
    }
    func parseMove(_ text: String, in position: ReversiPosition) throws(RuleError) -> ReversiMove {
        try rules.parseMove(text, in: position)
    }
    func notation(_ move: ReversiMove, in position: ReversiPosition) -> String { rules.notation(move, in: position) }
    func score(_ position: ReversiPosition) -> JSONObject { rules.score(position) }
    func describe(_ position: ReversiPosition) -> String { rules.describe(position) }
}

@Suite("Reversi perft")
struct ReversiPerftTests {
    let rules = Reversi()
    let plain = ReversiWithDefaultPerft()

    @Test(arguments: ReversiVectors.perft.filter { $0.depth <= 8 })
    func fromTheStart(row: ReversiVectors.PerftRow) {
        #expect(rules.perft(.start, depth: row.depth) == row.nodes)
    }

    @Test func theTableReachesDepthEight() {
        #expect(ReversiVectors.perft.filter { $0.depth <= 8 }.map(\.depth) == Array(1...8))
    }

    @Test(arguments: 0...6)
    func theDefaultCountAgreesFromTheStart(depth: Int) {
        #expect(plain.perft(.start, depth: depth) == rules.perft(.start, depth: depth))
    }

    /// Near the end of each recorded game the tree holds forced passes and finished
    /// games, where the two counts are most likely to part.
    @Test(arguments: ReversiVectors.games)
    func theDefaultCountAgreesNearTheEnd(game: ReversiVectors.Game) throws {
        let replay = try ReversiReplay(game.moves)
        // Short games end near the start, where a deep tree would be slow to walk twice.
        let back = replay.moves.count >= 40 ? 9 : 5
        let p = replay.positions[replay.positions.count - 1 - back]
        for depth in 1...back + 1 {
            #expect(plain.perft(p, depth: depth) == rules.perft(p, depth: depth), "depth \(depth)")
        }
    }

    @Test func aForcedPassIsAPlyAndAFinishedGameIsOneLeaf() throws {
        let p = try #require(ReversiPosition(board: "xo" + String(repeating: ".", count: 62), toMove: .white))
        // pass, then c1, then the game is over: every depth from 1 on counts one leaf.
        for depth in 1...4 {
            #expect(rules.perft(p, depth: depth) == 1)
            #expect(plain.perft(p, depth: depth) == 1)
        }
        #expect(rules.perft(p, depth: 0) == 1)
    }

    @Test func theCatalogAndTheErasedStateUseTheSameCount() throws {
        let game = try #require(GameCatalog.game("reversi"))
        let state = try GameState(game: game, settings: [:])
        let row = try #require(ReversiVectors.perft.first { $0.depth == 6 })
        #expect(state.perft(depth: row.depth) == row.nodes)
    }
}
