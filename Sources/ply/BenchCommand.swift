import ArgumentParser
import PlyBench
import PlyJSON

/// `ply bench ping|moves|sessions|cold|fsync`: load against a server. Each prints a table, then
/// its figures as one JSON object on the last line.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a running server: round trips or whole games under load.",
        subcommands: [Ping.self, Moves.self, Sessions.self, Cold.self, Poll.self, Fsync.self, Bots.self, ReversiEngineBench.self, SearchBench.self]
    )

    struct Ping: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "PING round trips, one in flight per connection (also works against redis-server).")

        @Option(help: "Connections, each with one request in flight.") var connections = 50
        @Option(help: "Seconds to run.") var duration = 5.0
        @Option(help: "The server, as host:port.") var target = "127.0.0.1:7420"
        @OptionGroup var tls: TLSOptions
        @Flag(help: "Over a WebSocket (GET /ws) on the server's HTTP port (--http-port) instead of the line port.")
        var ws = false

        func run() async throws {
            let result = try await PingBench.run(
                .init(
                    target: try parseTarget(target), connections: connections, duration: try seconds(duration),
                    tls: try tls.configuration(), webSocket: ws))
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
        @Option(help: "Total moves per second to offer, spread evenly over the matches (default: as fast as answered).")
        var rate: Double?
        @Option(help: "The settings of each challenge, a JSON object (e.g. with a clock).") var settings = #"{"side":"first"}"#
        @OptionGroup var tls: TLSOptions

        func run() async throws {
            if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
            var options = MovesBench.Options(
                target: try parseTarget(target), matches: matches, duration: try seconds(duration), game: game,
                rate: rate, tls: try tls.configuration())
            options.settings = settings
            let result = try await MovesBench.run(options)
            emit(result.report)
        }
    }
}

extension BenchCommand {
    struct Sessions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Idle logged-in connections: time to open them and server memory per session.",
            discussion: """
                Each connection logs in with AUTH DEVICE and a device id of its own (a new account). \
                Against a 127.x.x.x target the connections bind 127.0.0.2, 127.0.0.3, ... in turn, one \
                address per 20,000 connections, so N may exceed one address's ephemeral ports. The \
                command raises its open-file limit to the hard limit; the server needs a limit above N too.
                """)

        @Option(help: "Connections to open and log in.") var count = 10_000
        @Option(help: "The server, as host:port.") var target = "127.0.0.1:7420"
        @Option(help: "Connections connecting at once.") var window = 500
        @Option(help: "Source addresses to bind (0: none; default: one per 20,000 connections on loopback).")
        var sources: Int?
        @Option(help: "Seconds to wait after the last login before reading the server's memory.") var settle = 1.0

        func run() async throws {
            guard count > 0 else { throw ValidationError("--count must be positive") }
            let result = try await SessionsBench.run(
                .init(
                    target: try parseTarget(target), count: count, window: window, sources: sources,
                    settle: try seconds(settle)))
            emit(result.report)
        }
    }

    struct Cold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start-up time and first-access latency with many matches stored and none in memory.",
            discussion: """
                Seeds N Reversi matches (ids cold-m0, cold-m1, ...; half finished, half waiting, four plies \
                each) and their players straight into PostgreSQL, reusing rows already there. Then runs \
                --restart-command if given, launches --server-binary with --server-args (split on spaces) \
                and times it until PING is answered, reads MATCH for a random sample of the seeded matches \
                one at a time, and stops the server. Without --server-binary the server at --target must \
                already run and start-up is not measured.
                """)

        @Option(help: "Matches to have in the database.") var matches = 1_000_000
        @Option(help: "The server, as host:port.") var target = "127.0.0.1:7420"
        @Option(help: "The server's database, postgres://user@host:port/db.") var databaseURL: String
        @Option(help: "Shell command run after seeding and before the server starts (e.g. restart PostgreSQL).")
        var restartCommand: String?
        @Option(help: "The ply binary to launch and time.") var serverBinary: String?
        @Option(help: "Its arguments, split on spaces, e.g. \"serve --port 7421 --database-url ...\".")
        var serverArgs = ""
        @Option(help: "File for the launched server's output (default: discarded).") var serverLog: String?
        @Option(help: "Matches to read after start-up.") var sample = 1000

        func run() async throws {
            guard matches > 0, sample > 0 else { throw ValidationError("--matches and --sample must be positive") }
            let result = try await ColdBench.run(
                .init(
                    target: try parseTarget(target), matches: matches, databaseURL: databaseURL,
                    restartCommand: restartCommand, serverBinary: serverBinary,
                    serverArguments: serverArgs.split(separator: " ").map(String.init), serverLog: serverLog,
                    sample: sample))
            emit(result.report)
        }
    }
}

extension BenchCommand {
    struct Poll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The deadline poll's queries against many stored matches, some of them on clocks.",
            discussion: """
                Seeds --matches cold matches as `ply bench cold` does (reusing rows already there), puts \
                --clocked of the waiting ones on correspondence clocks with deadlines and reminders spread \
                over the next hour, then times --polls runs of what one deadline poll asks PostgreSQL \
                (overdue matches, due reminders, stale open challenges), one after another.
                """)

        @Option(help: "Matches to have in the database.") var matches = 1_000_000
        @Option(help: "Of them, waiting matches to put on clocks.") var clocked = 100_000
        @Option(help: "Polls to time.") var polls = 200
        @Option(help: "The database, postgres://user@host:port/db.") var databaseURL: String

        func run() async throws {
            guard matches > 0, clocked >= 0, polls > 0 else { throw ValidationError("--matches and --polls must be positive") }
            let result = try await PollBench.run(matches: matches, clocked: clocked, polls: polls, databaseURL: databaseURL)
            emit(result)
        }
    }
}

extension BenchCommand {
    struct Fsync: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The disk alone: 8 KiB written and fdatasync'ed in a loop, as PostgreSQL flushes its WAL at COMMIT.",
            discussion: """
                Back to back it gives the most durable commits a second the disk allows; with \
                --interval-ms it can run beside another benchmark and count the disk's stalls during it. \
                The file is created in --directory (put it on the database's file system) and removed.
                """)

        @Option(help: "Directory on the file system to measure.") var directory = "."
        @Option(help: "Seconds to run.") var duration = 10.0
        @Option(help: "Milliseconds to pause between flushes (default: none).") var intervalMs: Double?
        @Option(help: "A flush longer than this many milliseconds counts as a stall.") var stallMs = 20.0

        func run() throws {
            if let intervalMs, intervalMs < 0 { throw ValidationError("--interval-ms must not be negative") }
            guard stallMs > 0 else { throw ValidationError("--stall-ms must be positive") }
            let result = try FsyncBench.run(
                .init(
                    directory: directory, duration: try seconds(duration),
                    interval: intervalMs.map { .microseconds(Int64($0 * 1000)) }, stallMilliseconds: stallMs))
            emit(result.report)
        }
    }
}

private func seconds(_ value: Double) throws -> Duration {
    guard value > 0 else { throw ValidationError("--duration must be positive") }
    return .milliseconds(Int64(value * 1000))
}

/// The table, then the JSON object as the last line.
private func emit(_ report: BenchReport) {
    print(report.table + report.json.description)
}
