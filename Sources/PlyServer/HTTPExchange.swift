import NIOCore
import PlyEngine
import Synchronization

/// `POST /line` and `GET /events` for platforms that can only make HTTP requests. Each
/// request is a short-lived session of its own: with `Authorization: Bearer <session>` it
/// first resumes that session (`AUTH SESSION`), so the same sessions, limits and events
/// serve it as a TCP or WebSocket connection.
enum HTTPExchange {
    /// What a request's session sends: replies and events apart, with a wait for enough of
    /// them.
    final class Collected: Sendable {
        private struct State {
            var replies: [String] = []
            var events: [String] = []
            var waiters: [(wanted: (Int, Int) -> Bool, promise: EventLoopPromise<Void>)] = []
        }
        private let state = Mutex(State())

        func append(_ line: String) {
            var text = line
            if text.last == "\n" { text.removeLast() }
            let ready: [EventLoopPromise<Void>] = state.withLock { s in
                if text.hasPrefix("EVENT ") { s.events.append(text) } else { s.replies.append(text) }
                let (r, e) = (s.replies.count, s.events.count)
                let done = s.waiters.filter { $0.wanted(r, e) }.map(\.promise)
                s.waiters.removeAll { $0.wanted(r, e) }
                return done
            }
            for p in ready { p.succeed() }
        }

        var replies: [String] { state.withLock { $0.replies } }
        var events: [String] { state.withLock { $0.events } }

        /// Completes once `wanted(replies, events)` holds.
        func wait(on loop: any EventLoop, until wanted: @escaping @Sendable (Int, Int) -> Bool) -> EventLoopFuture<Void> {
            let promise = loop.makePromise(of: Void.self)
            let now: Bool = state.withLock { s in
                if wanted(s.replies.count, s.events.count) { return true }
                s.waiters.append((wanted, promise))
                return false
            }
            if now { promise.succeed() }
            return promise.futureResult
        }
    }

    /// Runs `lines` in order on a session of their own, on `loop`; `collected` gets every
    /// line the session sends. The caller ends it (`PlayerSession.end`).
    static func session(server: LineServer, remote: String, loop: any EventLoop, lines: [String], collected: Collected)
        -> PlayerSession
    {
        let outbound = Outbound(send: { collected.append($0) }, close: {})
        let flow = InboundFlow(maximumQueued: server.configuration.maximumPipelinedRequests, pause: {}, resume: {})
        let session = PlayerSession(
            engine: server.engine, outbound: outbound, remoteAddress: remote, executor: loop.executor, flow: flow)
        for line in lines { session.assumeIsolated { $0.receive(line: Array(line.utf8)) } }
        return session
    }

    /// The bearer token of a request, if it has one.
    static func bearer(_ authorization: String?) -> String? {
        guard let a = authorization, a.lowercased().hasPrefix("bearer ") else { return nil }
        let token = a.dropFirst(7).drop(while: { $0 == " " })
        return token.isEmpty || token.contains(" ") ? nil : String(token)
    }
}
