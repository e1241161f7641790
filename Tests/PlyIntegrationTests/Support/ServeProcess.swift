import Foundation
import Synchronization
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

extension Process {
    /// Waits for the process to exit; one still running after `seconds` is killed and the
    /// test fails, so a child that does not stop (a server whose shutdown hangs) fails its
    /// test instead of blocking the run for good.
    func waitForExit(within seconds: Double = 30, _ what: String = "the child process", sourceLocation: SourceLocation = #_sourceLocation) {
        let pid = processIdentifier
        let killed = KilledFlag()
        let watchdog = DispatchWorkItem {
            killed.flag.store(true, ordering: .relaxed)
            kill(pid, SIGKILL)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
        waitUntilExit()
        watchdog.cancel()
        if killed.flag.load(ordering: .relaxed) {
            Issue.record("\(what) was still running \(seconds) s on and was killed", sourceLocation: sourceLocation)
        }
    }

    /// SIGTERM, then `waitForExit`.
    func terminateAndWait(within seconds: Double = 30, _ what: String = "ply serve", sourceLocation: SourceLocation = #_sourceLocation) {
        guard isRunning else { return }
        terminate()
        waitForExit(within: seconds, "\(what) after SIGTERM", sourceLocation: sourceLocation)
    }
}

private final class KilledFlag: Sendable {
    let flag = Atomic<Bool>(false)
}
