import ArgumentParser
import Foundation
import PlyRules
import PlyStore

/// `ply perft <game> <depth>`: the node count on the last line of standard output, the
/// time and speed on standard error.
struct PerftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perft",
        abstract: "Count the leaves of a game's legal-move tree."
    )

    @Argument(help: "The game, as its id (reversi, hive, khet).") var game: String
    @Argument(help: "How many plies deep to count.") var depth: Int
    @Option(help: "The game's own settings, as a JSON object.") var settings: String?
    @Option(help: "Moves to play before counting, separated by ';'.") var moves: String?

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let nodes: Int
        do {
            nodes = try RulesTool.perft(game: game, settings: settings, moves: moves, depth: depth)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
        let seconds = (clock.now - start).seconds
        let rate = seconds > 0 ? Double(nodes) / seconds : 0
        FileHandle.standardError.write(Data(String(format: "%.3f s, %.0f nodes/s\n", seconds, rate).utf8))
        print(nodes)
    }
}
