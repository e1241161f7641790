import ArgumentParser
import Foundation
import PlyBench
import PlyClient
import PlyScript
import PlyTesting

/// `ply script FILE`: plays a file of protocol lines as named players against a server and
/// checks the replies and events (the format is `Script`'s). Exit status 0 when every
/// expectation held; 1 with the first that did not; a file that cannot be read or parsed
/// is a usage error.
struct ScriptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "script",
        abstract: "Play a script of protocol lines against a server and check the replies.",
        discussion: """
            Lines: `ann> REQUEST` sends as player ann (a connection of its own); `ann< OK {json}` \
            checks the reply to ann's latest request (the JSON lists only the fields that must be \
            there); `ann< ERR code`; `ann< EVENT type {json}` waits for ann's next event of that \
            type. `$m` in a pattern captures a value, and is replaced by it in later requests; `$_` \
            matches anything; `$run` is a random word for this run. `#` starts a comment line.
            """)

    @Argument(help: "The script file.") var file: String
    @Option(help: "The server, as host:port.") var target = "127.0.0.1:7420"
    @Option(help: "Seconds an event expectation waits for its event.") var eventTimeoutSeconds = 5.0
    @Option(help: "Seconds a request waits for its reply.") var replyTimeoutSeconds = 30.0
    @OptionGroup var tls: TLSOptions

    func validate() throws {
        _ = try parseTarget(target)
        guard eventTimeoutSeconds > 0 else { throw ValidationError("--event-timeout-seconds must be positive") }
        guard replyTimeoutSeconds > 0 else { throw ValidationError("--reply-timeout-seconds must be positive") }
        _ = try tls.configuration()
    }

    func run() async throws {
        let server = try parseTarget(target)
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(file): \(error.localizedDescription)")
        }
        let script: Script
        do {
            script = try Script(parsing: text)
        } catch {
            throw ValidationError("\(file): \(error)")
        }
        let runner = ScriptRunner(
            host: server.host, port: server.port, tls: try tls.configuration(),
            eventTimeout: .milliseconds(Int(eventTimeoutSeconds * 1000)),
            replyTimeout: .milliseconds(Int(replyTimeoutSeconds * 1000)))
        do {
            let held = try await runner.run(script)
            print("\(file): \(held) expectations held")
        } catch {
            FileHandle.standardError.write(Data("\(file): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
