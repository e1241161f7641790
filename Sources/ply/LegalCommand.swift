import ArgumentParser
import Foundation
import PlyRules

/// `ply legal <game>`: the legal moves, one a line, in the game's notation.
struct LegalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "legal",
        abstract: "List the legal moves of a position, one a line."
    )

    @Argument(help: "The game, as its id (reversi, hive, khet).") var game: String
    @Option(help: "The game's own settings, as a JSON object.") var settings: String?
    @Option(help: "Moves to play first, separated by ';'.") var moves: String?

    func run() throws {
        let legal: [String]
        do {
            legal = try RulesTool.legal(game: game, settings: settings, moves: moves)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
        for move in legal { print(move) }
    }
}
