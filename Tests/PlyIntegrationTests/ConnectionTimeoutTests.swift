import Foundation
import NIOCore
import PlyServer
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
struct ConnectionTimeoutTests {
    @Test func silentConnectionsAreClosedAndBusyOnesKept() async throws {
        // Six seconds: under the whole suite's load on two cores a loop can lag a few seconds,
        // and a busy connection must not look idle for that.
        let server = try await TestServer.start { $0.server.idleTimeout = .seconds(6) }
        let (silent, _) = try await server.player("silent")
        let (busy, _) = try await server.player("busy")
        // The busy client's PINGs come from a timer on its event loop, not from this task: a
        // test task can wait seconds for a thread when CPU-bound tests fill the pool, and the
        // busy connection would then look silent too.
        let channel = busy.channel
        let pings = channel.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(250), delay: .milliseconds(250)) { _ in
            channel.writeAndFlush(ByteBuffer(string: "PING\n"), promise: nil)
        }
        #expect(await silent.isClosed(within: .seconds(14)), "no request for over six seconds: closed")
        try await Task.sleep(for: .seconds(1))
        pings.cancel()
        #expect(!(await busy.isClosed(within: .milliseconds(10))), "a connection that keeps sending stays")
        #expect(try await busy.reply() == "OK")
        try await server.stop()
    }

    @Test func connectionsThatNeverLogInAreClosed() async throws {
        // Three seconds leave room for the anonymous PING and the member's whole AUTH inside
        // the window, even on a loaded machine; with less, the expiry ERR could arrive first
        // and be taken for the PING's reply, or close the member before it logs in.
        let server = try await TestServer.start { $0.server.handshakeTimeout = .seconds(3) }
        let anonymous = try await server.client()
        // PING first, right after connecting: its reply must come before the window ends.
        #expect(try await anonymous.call("PING") == "OK")
        let (member, _) = try await server.player("member")
        let last = try await anonymous.nextLine(timeout: .seconds(8))
        #expect(last.hasPrefix("ERR unauthenticated "))
        #expect(await anonymous.isClosed(within: .seconds(5)))
        #expect(try await member.call("PING") == "OK", "logged-in connections stay")
        try await server.stop()
    }
}
