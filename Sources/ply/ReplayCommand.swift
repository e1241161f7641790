import ArgumentParser
import Foundation
import PlyJSON
import PlyRules

/// `ply replay <game> --moves "..."`: plays the moves and prints the resulting state as
/// one JSON line; the first illegal move is reported on standard error with status 1.
/// `--format record` prints the game as a record in its game's format instead;
/// `ply replay --record FILE` reads such a record back (`-` for standard input).
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play a list of moves and print the state they reach as JSON."
    )

    @Argument(help: "The game, as its id (reversi, hive, khet); not with --record.") var game: String?
    @Option(help: "The game's own settings, as a JSON object.") var settings: String?
    @Option(help: "The moves, separated by ';'.") var moves: String?
    @Option(help: "What to print: json (the state reached) or record (the game in its exchange format).")
    var format: String = "json"
    @Option(help: "Read the game from a record file (UHP GameString, GGF, Ply's Khet record); - for standard input.")
    var record: String?

    func validate() throws {
        guard ["json", "record"].contains(format) else { throw ValidationError("--format is json or record") }
        if record == nil && game == nil { throw ValidationError("give a game, or --record FILE") }
        if record != nil && (game != nil || moves != nil || settings != nil) {
            throw ValidationError("--record takes the game, settings and moves from the file")
        }
    }

    func run() throws {
        do {
            if let record {
                let text: String
                if record == "-" {
                    text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                } else {
                    guard let data = FileManager.default.contents(atPath: record) else {
                        throw RulesTool.Failure.badRecord("cannot read \(record)")
                    }
                    text = String(decoding: data, as: UTF8.self)
                }
                let (replay, result, game) = try RulesTool.replay(record: text)
                if format == "record" {
                    let rec = try RulesTool.rewrite(game)
                    print(rec.text, terminator: rec.text.hasSuffix("\n") ? "" : "\n")
                } else {
                    print(RulesTool.summary(replay, result: result).description)
                }
            } else if format == "record" {
                let rec = try RulesTool.record(game: game ?? "", settings: settings, moves: moves)
                print(rec.text, terminator: rec.text.hasSuffix("\n") ? "" : "\n")
            } else {
                print(RulesTool.summaryLine(try RulesTool.replay(game: game ?? "", settings: settings, moves: moves)))
            }
        } catch let error as RulesTool.Failure {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
