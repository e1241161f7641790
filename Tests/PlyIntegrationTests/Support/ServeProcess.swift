import Foundation
import Testing

/// `ply serve` on `port` as a child process, not started yet: the test database unless
/// another is given, only errors logged, `environment` on top of the test's own.
func serveProcess(port: Int, databaseURL: String? = nil, environment: [String: String] = [:]) throws -> Process {
    let process = Process()
    process.executableURL = CrashTests.binary
    process.arguments = [
        "serve", "--port", String(port), "--database-url", try databaseURL ?? #require(TestDatabase.urlText),
        "--log-level", "error",
    ]
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    process.standardOutput = FileHandle.nullDevice
    return process
}

/// Whether a server greets a connection on `port` within ten seconds.
func isListening(port: Int) async throws -> Bool {
    for _ in 0..<100 {
        if (try? await TestClient.connect(port: port)) != nil { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return false
}
