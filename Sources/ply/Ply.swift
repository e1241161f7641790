import ArgumentParser

@main
struct Ply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ply",
        abstract: "An asynchronous, turn-based multiplayer game server.",
        subcommands: [
            ServeCommand.self, MigrateCommand.self, PerftCommand.self, LegalCommand.self, ReplayCommand.self, BenchCommand.self, ChaosCommand.self,
        ]
    )
}
