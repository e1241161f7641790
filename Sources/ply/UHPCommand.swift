import ArgumentParser
import Foundation
import PlyBots

/// `ply uhp`: a Universal Hive Protocol engine on standard input and output, so Hive
/// viewers and tools (MzingaViewer, hivegame.com's bridges) can use Ply's rules and bot.
struct UHPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uhp",
        abstract: "Speak the Universal Hive Protocol on standard input and output."
    )

    @Option(help: "The bot level whose evaluation bestmove uses (1 to 5).") var level = 5
    @Option(help: "Seed for breaking ties between equal moves.") var seed: UInt64 = 1

    func run() throws {
        var engine = UHPEngine(seed: seed, level: level)
        emit(UHPEngine.greeting)
        while let line = readLine(strippingNewline: true) {
            let command = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if command.lowercased() == "exit" || command.lowercased() == "quit" { break }
            emit(engine.handle(command))
        }
    }

    /// Writes whole answers at once and flushes, since the caller waits for `ok`.
    private func emit(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
