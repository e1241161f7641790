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
        if ProcessInfo.processInfo.environment["PLY_NIO_EXECUTOR"] != "0" {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await Ply.main()
    }
}
