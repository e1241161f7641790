import ArgumentParser
import PlyBench
import PlyJSON

/// `ply bench ping|moves`: load against a running server. Each prints a table, then its
/// figures as one JSON object on the last line.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a running server: round trips or whole games under load.",
        subcommands: [Ping.self, Moves.self]
    )

    struct Ping: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "PING round trips, one in flight per connection (also works against redis-server).")

        @Option(help: "Connections, each with one request in flight.") var connections = 50
        @Option(help: "Seconds to run.") var duration = 5.0
        @Option(help: "The server, as host:port.") var target = "127.0.0.1:7420"

        func run() async throws {
            let result = try await PingBench.run(
                .init(target: try parseTarget(target), connections: connections, duration: try seconds(duration)))
            emit(result.report)
        }
    }

    struct Moves: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pairs of players playing random legal Reversi moves as fast as the server answers.")

        @Option(help: "Matches played at once (two players each).") var matches = 16
        @Option(help: "Seconds to run.") var duration = 10.0
        @Option(help: "The server, as host:port.") var target = "127.0.0.1:7420"
        @Option(help: "The game to play.") var game = "reversi"

        func run() async throws {
            let result = try await MovesBench.run(
                .init(target: try parseTarget(target), matches: matches, duration: try seconds(duration), game: game))
            emit(result.report)
        }
    }
}

private func parseTarget(_ text: String) throws -> BenchTarget {
    guard let target = BenchTarget(parsing: text) else { throw ValidationError("--target must be host:port, not \(text)") }
    return target
}

private func seconds(_ value: Double) throws -> Duration {
    guard value > 0 else { throw ValidationError("--duration must be positive") }
    return .milliseconds(Int64(value * 1000))
}

/// The table, then the JSON object as the last line.
private func emit(_ report: BenchReport) {
    print(report.table + report.json.description)
}
