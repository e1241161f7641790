import ArgumentParser
import Foundation
import PlyRules

/// `ply replay <game> --moves "..."`: plays the moves and prints the resulting state as
/// one JSON line; the first illegal move is reported on standard error with status 1.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play a list of moves and print the state they reach as JSON."
    )

    @Argument(help: "The game, as its id (reversi, hive, khet).") var game: String
    @Option(help: "The game's own settings, as a JSON object.") var settings: String?
    @Option(help: "The moves, separated by ';'.") var moves: String

    func run() throws {
        let replay: RulesTool.Replay
        do {
            replay = try RulesTool.replay(game: game, settings: settings, moves: moves)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
        print(RulesTool.summaryLine(replay))
    }
}
