import ArgumentParser
import Foundation
import PlyBench
import PlyClient

/// `ply admin <verb> <args...>`: one operator request (PROTOCOL.md, "Operators"). The reply's
/// JSON goes to standard output and the exit status is 0; an `ERR` goes to standard error
/// with status 1; a server that cannot be reached, or drops the connection, gives status 2.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Send one operator request to a running server and print the reply's JSON.",
        discussion: """
            Verbs: player <player|email>, ban <player> <seconds|forever> <reason>, unban <player>, \
            mute <player> <seconds> <reason>, unmute <player>, reports [open|all] [after <report>], \
            resolve <report> <text>, abort <match> <reason>, delete <player>, bot <player> on|off, \
            unlink <player|email> <reason>. \
            The token is the one the server was started with (--admin-token); give it in \
            PLY_ADMIN_TOKEN rather than --token, which other users of the machine can read in \
            the process list.
            """)

    @Argument(help: "The operator verb: player, ban, unban, mute, unmute, reports, resolve, abort, delete or bot.")
    var verb: String
    @Argument(help: "Its arguments; a reason may be several words. Put -- before any that starts with a dash.")
    var arguments: [String] = []
    @Option(help: "The server, as host:port.") var target = "127.0.0.1:7420"
    @Option(help: "The server's admin token (default: env PLY_ADMIN_TOKEN).") var token: String?
    @Option(help: "Seconds to wait for the replies before giving up.") var timeoutSeconds = 30.0
    @OptionGroup var tls: TLSOptions

    // Here, rather than in run(), a mistake is shown with `ply admin`'s own usage.
    func validate() throws {
        _ = try prepared()
    }

    /// The server and the lines to send, or a usage error.
    private func prepared() throws -> (server: BenchTarget, request: AdminRequest) {
        let server = try parseTarget(target)
        guard timeoutSeconds > 0 else { throw ValidationError("--timeout-seconds must be positive") }
        guard let token = token ?? ProcessInfo.processInfo.environment["PLY_ADMIN_TOKEN"], !token.isEmpty else {
            throw ValidationError("no admin token: pass --token or set PLY_ADMIN_TOKEN (the server's --admin-token)")
        }
        do {
            return (server, try AdminRequest(verb: verb, arguments: arguments, token: token))
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() async throws {
        let (server, request) = try prepared()
        let tlsConfiguration = try tls.configuration()
        let client: PlyClient
        do {
            client = try await PlyClient.connect(host: server.host, port: server.port, tls: tlsConfiguration)
        } catch {
            Self.printError("error: cannot connect to Ply at \(server): \(error)")
            throw ExitCode(2)
        }
        let answered: AdminRequest.Outcome?
        do {
            answered = try await Self.exchange(request, on: client, timeLimit: .milliseconds(Int64(timeoutSeconds * 1000)))
        } catch {
            await client.close()
            Self.printError("error: the connection to \(server) ended before the reply (\(error))")
            throw ExitCode(2)
        }
        await client.close()
        guard let outcome = answered else {
            Self.printError("error: no reply from \(server) within \(String(format: "%g", timeoutSeconds)) s")
            throw ExitCode(2)
        }

        switch outcome {
        case .printed(let json):
            print(json)
        case .failed(let message):
            Self.printError(message)
            throw ExitCode(1)
        }
    }

    /// Logs in as the operator and sends the request; nil when the replies did not come within
    /// the time limit. A request waits for its reply even when cancelled, so the time limit
    /// drops the connection instead, which ends the wait.
    private static func exchange(
        _ request: AdminRequest, on client: PlyClient, timeLimit: Duration
    ) async throws -> AdminRequest.Outcome? {
        try await withThrowingTaskGroup(of: AdminRequest.Outcome?.self) { group in
            group.addTask {
                let login = AdminRequest.Outcome(try await client.request(request.authentication))
                guard case .printed = login else { return login }
                return AdminRequest.Outcome(try await client.request(request.line))
            }
            group.addTask {
                try await Task.sleep(for: timeLimit)
                return nil
            }
            let first = try await group.next() ?? nil
            if first == nil { await client.disconnect() }
            group.cancelAll()
            return first
        }
    }

    private static func printError(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }
}
