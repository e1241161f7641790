import PlyClient
import PlyRules

// Uses both libraries a game takes from Ply: the rules (to check a move before sending it)
// and the client (its types; no server is needed to build).
let reversi = GameCatalog.game("reversi")!
var state = try GameState(game: reversi, settings: [:])
state = try state.applying("f5").state
let legal = state.legalMoves()
precondition(legal.count == 3, "reversi after f5 has 3 replies, got \(legal)")
let error: PlyClientError = .notConnected
print("consumer: \(reversi.name) after f5: \(legal.sorted().joined(separator: " ")); \(error)")
