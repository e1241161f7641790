import NIOCore
import NIOPosix
import NIOSSL
import PlyClient
import PlyJSON
import PlyScript

/// Runs a `Script` against a server: one `PlyClient` per named player, opened on first use.
/// The checks are `ScriptState`'s; this type only sends, receives and waits.
public struct ScriptRunner: Sendable {
    public var host: String
    public var port: Int
    public var tls: TLSConfiguration?
    /// How long an event expectation waits for its event.
    public var eventTimeout: Duration
    /// How long a request waits for its reply; past it the player's connection is closed
    /// and the step fails, so a server that never answers cannot hang a CI job.
    public var replyTimeout: Duration

    public init(
        host: String, port: Int, tls: TLSConfiguration? = nil, eventTimeout: Duration = .seconds(5),
        replyTimeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.eventTimeout = eventTimeout
        self.replyTimeout = replyTimeout
    }

    /// Runs every step; returns the number of expectations that held, or throws the
    /// `ScriptFailure` of the first that did not (or of a request that could not be made).
    @discardableResult
    public func run(_ script: Script) async throws(ScriptFailure) -> Int {
        var players: [String: ScriptPlayer] = [:]
        let outcome = await run(script, players: &players)
        for player in players.values { await player.close() }
        return try outcome.get()
    }

    private func run(_ script: Script, players: inout [String: ScriptPlayer]) async -> Result<Int, ScriptFailure> {
        do throws(ScriptFailure) {
            return .success(try await steps(script, players: &players))
        } catch {
            return .failure(error)
        }
    }

    private func steps(_ script: Script, players: inout [String: ScriptPlayer]) async throws(ScriptFailure) -> Int {
        var state = ScriptState(run: Self.runWord())
        var lastReply: [String: PlyReply] = [:]
        var held = 0
        for step in script.steps {
            let player: ScriptPlayer
            if let known = players[step.player] {
                player = known
            } else {
                do {
                    player = try await ScriptPlayer.connect(host: host, port: port, tls: tls)
                } catch {
                    throw ScriptFailure(step: step, expected: "a connection to \(host):\(port)", got: "\(error)")
                }
                players[step.player] = player
            }
            switch step.action {
            case .send(let request):
                let line = try state.expand(request, step: step)
                // `request` waits through cancellation, so the limit drops the connection
                // (`close()` would say QUIT and wait for its reply, behind this one), which
                // ends the wait with `connectionClosed`.
                let client = player.client
                let limit = replyTimeout
                let timer = Task {
                    do { try await Task.sleep(for: limit) } catch { return false }
                    await client.disconnect()
                    return true
                }
                do {
                    lastReply[step.player] = try await client.request(line)
                    timer.cancel()
                } catch {
                    timer.cancel()
                    let got = await timer.value ? "no reply within \(limit)" : "\(error)"
                    throw ScriptFailure(step: step, expected: "a reply", got: got)
                }
            case .expectReply(let pattern):
                // The parser lets a reply expectation only follow a request of the same player.
                guard let reply = lastReply[step.player] else {
                    throw ScriptFailure(step: step, expected: "a reply", got: "no request was made")
                }
                if let failure = state.check(reply: reply, against: pattern, step: step) { throw failure }
                held += 1
            case .expectEvent(let type, let body):
                let event = await player.inbox.next(ofType: type, within: eventTimeout)
                if let failure = state.check(event: event, type: type, body: body, step: step, waited: eventTimeout) {
                    throw failure
                }
                held += 1
            }
        }
        return held
    }

    /// Eight random letters and digits, the script's `$run`.
    static func runWord() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyz23456789")
        return String((0..<8).map { _ in alphabet.randomElement()! })
    }
}

/// One named player of a script: its connection and its events.
final class ScriptPlayer: Sendable {
    let client: PlyClient
    let inbox: EventInbox
    private let pump: Task<Void, Never>

    private init(client: PlyClient, inbox: EventInbox, pump: Task<Void, Never>) {
        self.client = client
        self.inbox = inbox
        self.pump = pump
    }

    static func connect(host: String, port: Int, tls: TLSConfiguration?) async throws -> ScriptPlayer {
        let client = try await PlyClient.connect(host: host, port: port, tls: tls)
        let inbox = EventInbox()
        // The greeting is the connection's first event, for a script that checks it.
        if let hello = client.hello { await inbox.deliver(hello) }
        let pump = Task {
            for await event in client.events { await inbox.deliver(event) }
        }
        return ScriptPlayer(client: client, inbox: inbox, pump: pump)
    }

    func close() async {
        await client.close()
        pump.cancel()
    }
}

/// A player's events, kept until an expectation takes them: each expectation takes the
/// first event of its type, so events of other types wait for theirs.
actor EventInbox {
    private var events: [PlyEvent] = []
    private var waiter: (id: Int, type: String, continuation: CheckedContinuation<PlyEvent?, Never>)?
    private var nextID = 0

    func deliver(_ event: PlyEvent) {
        if let w = waiter, w.type == event.type {
            waiter = nil
            w.continuation.resume(returning: event)
        } else {
            events.append(event)
        }
    }

    /// The first event of `type`, waiting up to `limit` for one; nil when none came.
    func next(ofType type: String, within limit: Duration) async -> PlyEvent? {
        if let i = events.firstIndex(where: { $0.type == type }) { return events.remove(at: i) }
        nextID += 1
        let id = nextID
        let timer = Task { [weak self] in
            try? await Task.sleep(for: limit)
            await self?.expire(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            waiter = (id, type, continuation)
        }
    }

    private func expire(_ id: Int) {
        guard let w = waiter, w.id == id else { return }
        waiter = nil
        w.continuation.resume(returning: nil)
    }
}
