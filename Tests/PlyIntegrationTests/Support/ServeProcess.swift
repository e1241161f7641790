import Foundation
import PlyJSON
import Synchronization
import Testing

/// `ply serve` on `port` as a child process, not started yet: the test database unless
/// another is given, only errors logged, `environment` on top of the test's own. Without the
/// primary lease unless `environment` asks for it (`PLY_LEASE=1`): many tests run servers on
/// the shared test database at once, and with the lease each would wait for the others.
func serveProcess(port: Int, databaseURL: String? = nil, environment: [String: String] = [:]) throws -> Process {
    let process = Process()
    process.executableURL = CrashTests.binary
    process.arguments = [
        "serve", "--port", String(port), "--database-url", try databaseURL ?? #require(TestDatabase.urlText),
        "--log-level", "error",
    ]
    process.environment = ProcessInfo.processInfo.environment.merging(["PLY_LEASE": "0"].merging(environment) { _, new in new }) {
        _, new in new
    }
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

    /// A stream that finishes when the process exits; set up before `run()`.
    func exitWatch() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        terminationHandler = { _ in continuation.finish() }
        return stream
    }

    /// SIGTERM, then waits for `exited` (from `exitWatch`); a process still running after
    /// `killAfter` is killed. Returns how long it took to end.
    func sigterm(waitingFor exited: AsyncStream<Void>, killAfter: Duration) async -> Duration {
        let started = ContinuousClock.now
        let pid = processIdentifier
        kill(pid, SIGTERM)
        let watchdog = Task {
            try await Task.sleep(for: killAfter)
            kill(pid, SIGKILL)
        }
        for await _ in exited {}
        watchdog.cancel()
        return ContinuousClock.now - started
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

/// Two players logged in on a server at `port` and a Reversi match between them (the
/// first plays first), ready for its first move; public, so that a reader after a restart
/// may read it back.
func openTable(port: Int, label: String) async throws -> (first: TestClient, second: TestClient, match: String) {
    let first = try await TestClient.connect(port: port)
    let second = try await TestClient.connect(port: port)
    _ = try await first.authDevice("\(label)-a-\(UUID().uuidString)")
    let bo = try await second.authDevice("\(label)-b-\(UUID().uuidString)")
    let id = try #require(try await first.ok(#"CHALLENGE \#(bo.player) reversi {"side":"first","public":true}"#)["match"]?.stringValue)
    try await second.ok("ACCEPT \(id)")
    return (first, second, id)
}
