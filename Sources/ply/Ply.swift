import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

struct Ply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ply",
        abstract: "An asynchronous, turn-based multiplayer game server.",
        subcommands: [
            ServeCommand.self, MigrateCommand.self, PerftCommand.self, LegalCommand.self, ReplayCommand.self, BenchCommand.self, ChaosCommand.self,
            AdminCommand.self, UHPCommand.self, BotCommand.self, ScriptCommand.self,
        ]
    )
}

@main
enum Main {
    static func main() async {
        // Swift concurrency's jobs (the match, player and writer actors) run on NIO's event
        // loops instead of a second pool of threads: an actor called from a connection's
        // loop usually runs right there, without a thread switch. PLY_NIO_EXECUTOR=0 keeps
        // Swift's own pool (for comparison).
        let environment = ProcessInfo.processInfo.environment
        // Event-loop threads (default: one per core).
        if let loops = environment["PLY_EVENT_LOOPS"].flatMap(Int.init), loops > 0 {
            NIOSingletons.groupLoopCountSuggestion = loops
        }
        if environment["PLY_NIO_EXECUTOR"] != "0" {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await Ply.main()
    }
}
