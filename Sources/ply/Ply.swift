import ArgumentParser

@main
struct Ply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ply",
        abstract: "An asynchronous, turn-based multiplayer game server.",
        subcommands: [PerftCommand.self, LegalCommand.self, ReplayCommand.self]
    )
}
