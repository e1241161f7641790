import PlyProtocol
import NIOCore
import NIOPosix
import NIOSSL
import PlyJSON
import PlyLines
import Synchronization

/// A connection to a Ply server speaking the line protocol (`PROTOCOL.md`).
///
/// Every request is sent with a fresh tag and its reply is matched by that tag, so any
/// number of tasks may call at once on one connection (pipelining). Events arrive on
/// `events`, one stream for the client's whole life: it spans `resume()` and finishes only
/// on `close()`. The client remembers the highest event `seq` it has seen and the session
/// token of its last login, which is all `resume()` needs after a dropped connection.
///
/// The transport is a plain channel handler that feeds lines into state behind a `Mutex`;
/// waiting callers hold checked continuations, each resumed exactly once: by its reply, or
/// with `connectionClosed` when the connection ends first.
public final class PlyClient: Sendable {
    /// The servers to try, in order: one, or a primary and its standbys (see `connect`).
    public let addresses: [PlyAddress]
    /// The address of the current (or last) connection.
    public var host: String { addresses[state.withLock { $0.current }].host }
    public var port: Int { addresses[state.withLock { $0.current }].port }
    /// Events from the server in arrival order, across reconnects; each greeting goes to `hello` instead.
    public let events: AsyncStream<PlyEvent>

    private let eventSink: AsyncStream<PlyEvent>.Continuation
    private let group: any EventLoopGroup
    private let maximumLineBytes: Int
    private let helloTimeout: TimeAmount
    private let tls: NIOSSLContext?
    private let state = Mutex(State())

    private typealias Waiter = CheckedContinuation<PlyReply, any Error>

    private struct State {
        var pending = PendingRequests<Waiter>()
        /// Bumped for each new connection, so lines and closes from a replaced one are ignored.
        var generation = 0
        var channel: (any Channel)?
        var hello: Result<PlyEvent, PlyClientError>?
        var helloWaiter: CheckedContinuation<PlyEvent, any Error>?
        var lastSeq: Int?
        var session: String?
        var player: String?
        var closed = false
        /// Which of `addresses` the current connection went to.
        var current = 0
    }

    /// Connects and waits for the server's `EVENT hello`. With `tls` (see `PlyClient.tls`) the
    /// connection is TLS, the server's certificate checked against the configuration's roots.
    public static func connect(
        host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        maximumLineBytes: Int = 1 << 20, helloTimeout: TimeAmount = .seconds(10), tls: TLSConfiguration? = nil
    ) async throws -> PlyClient {
        try await connect(
            addresses: [PlyAddress(host: host, port: port)], group: group, maximumLineBytes: maximumLineBytes,
            helloTimeout: helloTimeout, tls: tls)
    }

    /// Connects to the first of `addresses` that greets: a primary and its standbys, in any
    /// order (a standby turns connections away with `ERR unavailable standby`, and a dead
    /// server refuses them). `resume()` goes through the list the same way, starting with
    /// the address that served last, so a client follows a failover by resuming.
    public static func connect(
        addresses: [PlyAddress], group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        maximumLineBytes: Int = 1 << 20, helloTimeout: TimeAmount = .seconds(10), tls: TLSConfiguration? = nil
    ) async throws -> PlyClient {
        guard !addresses.isEmpty else { throw PlyClientError.invalidRequest("no address to connect to") }
        let context = try tls.map { try NIOSSLContext(configuration: $0) }
        let client = PlyClient(
            addresses: addresses, group: group, maximumLineBytes: maximumLineBytes, helloTimeout: helloTimeout,
            tls: context)
        do {
            try await client.openConnection()
        } catch {
            await client.close()
            throw error
        }
        return client
    }

    private init(
        addresses: [PlyAddress], group: any EventLoopGroup, maximumLineBytes: Int, helloTimeout: TimeAmount,
        tls: NIOSSLContext?
    ) {
        self.tls = tls
        self.addresses = addresses
        self.helloTimeout = helloTimeout
        self.group = group
        self.maximumLineBytes = maximumLineBytes
        let (stream, sink) = AsyncStream.makeStream(of: PlyEvent.self)
        events = stream
        eventSink = sink
    }

    deinit {
        eventSink.finish()
        state.withLock { $0.channel }?.close(promise: nil)
    }

    // MARK: state readers

    /// The current connection's greeting, once it has arrived.
    public var hello: PlyEvent? { state.withLock { try? $0.hello?.get() } }
    /// The highest event `seq` seen on any connection of this client.
    public var lastSeq: Int? { state.withLock { $0.lastSeq } }
    /// The session token of the last successful login, which `resume()` uses.
    public var session: String? { state.withLock { $0.session } }
    /// The logged-in player's id.
    public var player: String? { state.withLock { $0.player } }
    public var isConnected: Bool { state.withLock { $0.channel != nil } }
    /// Requests sent and not yet answered.
    public var inFlight: Int { state.withLock { $0.pending.count } }

    // MARK: requests

    /// Sends one request (without a tag; the client adds one) and returns its reply, `ERR`
    /// included. Throws only when there is no reply: no connection, or it dropped. The wait
    /// ignores task cancellation, because the request has left and its reply will come.
    public func request(_ line: String) async throws -> PlyReply {
        guard !line.contains(where: { $0 == "\n" || $0 == "\r" }) else {
            throw PlyClientError.invalidRequest("a request is one line")
        }
        return try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let channel: (any Channel)?
            let tag: String?
            (channel, tag) = state.withLock { s in
                guard let channel = s.channel else { return (nil, nil) }
                return (channel, s.pending.issue(waiter))
            }
            guard let channel, let tag else {
                waiter.resume(throwing: PlyClientError.notConnected)
                return
            }
            // Outside the lock: a failing write may close the channel inline, and the close
            // handler takes the lock. A lost write surfaces as `connectionClosed` from there.
            var buffer = channel.allocator.buffer(capacity: tag.utf8.count + line.utf8.count + 2)
            buffer.writeString(tag)
            buffer.writeInteger(UInt8(ascii: " "))
            buffer.writeString(line)
            buffer.writeInteger(UInt8(ascii: "\n"))
            channel.writeAndFlush(buffer, promise: nil)
        }
    }

    /// Sends a request that must succeed; returns its JSON (nil for a bare `OK`) or throws
    /// `PlyClientError.server`.
    @discardableResult
    public func call(_ line: String) async throws -> JSONValue? {
        switch try await request(line) {
        case .ok(let value): return value
        case .error(let code, let message): throw PlyClientError.server(code: code, message: message)
        }
    }

    /// `call` for replies that must be a JSON object.
    public func callObject(_ line: String) async throws -> JSONObject {
        let value = try await call(line)
        guard let object = value?.objectValue else {
            throw PlyClientError.unexpectedReply("\(line.prefix(40)) -> \(value.map { "\($0)" } ?? "OK")")
        }
        return object
    }

    public func ping() async throws {
        try await call("PING")
    }

    /// Logs in with a device id, creating the account on first use.
    public func authDevice(_ deviceID: String) async throws -> PlyLogin {
        let o = try await callObject("AUTH DEVICE \(deviceID)")
        guard let player = o["player"]?.stringValue, let session = o["session"]?.stringValue else {
            throw PlyClientError.unexpectedReply("AUTH DEVICE -> \(o)")
        }
        state.withLock { s in
            s.session = session
            s.player = player
        }
        return PlyLogin(player: player, name: o["name"]?.stringValue, session: session, new: o["new"]?.boolValue ?? false)
    }

    /// Logs in with a session token. With `lastSeq` the server first replays the events
    /// after it (they arrive on `events` before the reply).
    public func authSession(_ token: String, lastSeq: Int?) async throws -> PlyResumed {
        let line = lastSeq.map { "AUTH SESSION \(token) \($0)" } ?? "AUTH SESSION \(token)"
        let o = try await callObject(line)
        guard let player = o["player"]?.stringValue else {
            throw PlyClientError.unexpectedReply("AUTH SESSION -> \(o)")
        }
        state.withLock { s in
            s.session = token
            s.player = player
        }
        return PlyResumed(player: player, replayed: o["replayed"]?.intValue, resync: o["resync"]?.boolValue ?? false)
    }

    /// Plays `move` as ply number `ply`; returns the reply object (`status`, `to_move`, ...).
    /// Safe to repeat after a dropped connection: a repeat answers with `"duplicate":true`.
    @discardableResult
    public func move(match: String, ply: Int, move: String) async throws -> JSONObject {
        try await callObject("MOVE \(match) \(ply) \(move)")
    }

    /// The server's counters.
    public func stats() async throws -> JSONObject {
        try await callObject("STATS")
    }

    // MARK: connection

    /// After a dropped connection (or at any time): connects again and logs in with the
    /// session token, asking for the events after the last `seq` seen. With no event seen
    /// yet it asks from 0: the client cannot tell what it missed, so it takes whatever the
    /// server still holds, or a `resync`.
    @discardableResult
    public func resume() async throws -> PlyResumed {
        guard let token = session else { throw PlyClientError.noSession }
        try await openConnection()
        return try await authSession(token, lastSeq: lastSeq ?? 0)
    }

    /// Says `QUIT`, closes the connection and finishes `events`. Requests still open fail
    /// with `connectionClosed`.
    public func close() async {
        let wasOpen = state.withLock { s in
            defer { s.closed = true }
            return !s.closed && s.channel != nil
        }
        if wasOpen { _ = try? await request("QUIT") }
        let channel = state.withLock { $0.channel }
        try? await channel?.close()
        connectionEnded(generation: state.withLock { $0.generation })
        eventSink.finish()
    }

    /// Drops the connection without `QUIT`, as a lost network would, keeping the session,
    /// the last `seq` and `events` for `resume()`. Open requests fail with `connectionClosed`.
    public func disconnect() async {
        let channel = state.withLock { $0.channel }
        try? await channel?.close()
    }

    /// Opens a new connection (closing any current one) to the first address that greets,
    /// starting with the current one; throws the last address's error when none does.
    private func openConnection() async throws {
        let first = state.withLock { $0.current }
        var lastError: any Error = PlyClientError.notConnected
        for step in addresses.indices {
            let index = (first + step) % addresses.count
            do {
                try await openConnection(to: addresses[index], index: index)
                return
            } catch {
                lastError = error
                if state.withLock({ $0.closed }) { break }
            }
        }
        throw lastError
    }

    /// Opens a new connection to `address` (closing any current one) and waits for its hello.
    private func openConnection(to address: PlyAddress, index: Int) async throws {
        let (generation, old, orphans) = state.withLock { s in
            s.generation += 1
            s.current = index
            s.hello = nil
            let old = s.channel
            s.channel = nil
            return (s.generation, old, s.pending.removeAll())
        }
        for w in orphans { w.resume(throwing: PlyClientError.connectionClosed) }
        old?.close(promise: nil)

        let maximumLineBytes = self.maximumLineBytes
        let (tls, host, port) = (self.tls, address.host, address.port)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // SNI takes a name, not an address; an address is checked against the
                        // certificate's IP entries instead.
                        let name = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: name))
                    }
                    // A server that sends a line over the limit is not speaking the protocol:
                    // the connection closes rather than letting the buffer grow.
                    try channel.pipeline.syncOperations.addHandlers(
                        LineReader.handlers(
                            maximumLineBytes: maximumLineBytes,
                            onLine: { [weak self] line in self?.received(line[...], generation: generation) },
                            onClose: { [weak self] in self?.connectionEnded(generation: generation) }))
                }
            }
            .connect(host: host, port: port).get()
        let stale = state.withLock { s in
            // Closed, replaced, or already dropped (its hello failed) while connecting.
            if s.generation != generation || s.closed { return true }
            if case .failure = s.hello { return true }
            s.channel = channel
            return false
        }
        if stale {
            channel.close(promise: nil)
            throw PlyClientError.connectionClosed
        }
        // Something that accepts connections but never greets is not a Ply server; closing
        // it fails the wait below instead of hanging.
        let noHello = channel.eventLoop.scheduleTask(in: helloTimeout) { channel.close(promise: nil) }
        defer { noHello.cancel() }
        do {
            try await waitForHello(generation: generation)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    private func waitForHello(generation: Int) async throws {
        _ = try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<PlyEvent, any Error>) in
            let ready = state.withLock { s -> Result<PlyEvent, PlyClientError>? in
                guard s.generation == generation else { return .failure(.connectionClosed) }
                if let hello = s.hello { return hello }
                s.helloWaiter = waiter
                return nil
            }
            if let ready { waiter.resume(with: ready.mapError { $0 as any Error }) }
        }
    }

    // MARK: from the event loop

    private func received(_ line: Substring, generation: Int) {
        let parsed: ServerLine
        do {
            parsed = try ServerLine(parsing: line)
        } catch {
            // A reply we cannot read still answers its request, so nobody waits forever.
            let tag = line.first == "#" ? line.split(separator: " ", maxSplits: 1).first.map(String.init) : nil
            guard tag != nil, let w = state.withLock({ $0.pending.resolve(tag: tag) }) else { return }
            w.resume(throwing: PlyClientError.unexpectedReply(String(line)))
            return
        }
        switch parsed {
        case .reply(let tag, let reply):
            if tag == nil, case .error(let code, let message) = reply, refused(code: code, message: message, generation: generation) {
                return
            }
            let waiter = state.withLock { s in s.generation == generation ? s.pending.resolve(tag: tag) : nil }
            waiter?.resume(returning: reply)
        case .event(let event) where event.type == "hello":
            let waiter = state.withLock { s -> CheckedContinuation<PlyEvent, any Error>? in
                guard s.generation == generation, s.hello == nil else { return nil }
                s.hello = .success(event)
                defer { s.helloWaiter = nil }
                return s.helloWaiter
            }
            waiter?.resume(returning: event)
        case .event(let event):
            let current = state.withLock { s in
                guard s.generation == generation else { return false }
                if let seq = event.seq { s.lastSeq = max(s.lastSeq ?? seq, seq) }
                return true
            }
            if current { eventSink.yield(event) }
        }
    }

    /// An `ERR` said instead of a greeting (`ERR unavailable standby`, a full server) fails
    /// the wait for the hello with it. False once the connection was greeted.
    private func refused(code: String, message: String, generation: Int) -> Bool {
        let (refused, waiter) = state.withLock { s -> (Bool, CheckedContinuation<PlyEvent, any Error>?) in
            guard s.generation == generation, s.hello == nil else { return (false, nil) }
            s.hello = .failure(.server(code: code, message: message))
            defer { s.helloWaiter = nil }
            return (true, s.helloWaiter)
        }
        waiter?.resume(throwing: PlyClientError.server(code: code, message: message))
        return refused
    }

    private func connectionEnded(generation: Int) {
        let (waiters, helloWaiter) = state.withLock { s -> ([Waiter], CheckedContinuation<PlyEvent, any Error>?) in
            guard s.generation == generation else { return ([], nil) }
            s.channel = nil
            if s.hello == nil { s.hello = .failure(.connectionClosed) }
            defer { s.helloWaiter = nil }
            return (s.pending.removeAll(), s.helloWaiter)
        }
        for w in waiters { w.resume(throwing: PlyClientError.connectionClosed) }
        helloWaiter?.resume(throwing: PlyClientError.connectionClosed)
    }
}

/// What a login returns.
public struct PlyLogin: Sendable, Hashable {
    public var player: String
    public var name: String?
    public var session: String
    /// The account was created by this login.
    public var new: Bool

    public init(player: String, name: String?, session: String, new: Bool) {
        self.player = player
        self.name = name
        self.session = session
        self.new = new
    }
}

/// What a session login returns.
public struct PlyResumed: Sendable, Hashable {
    public var player: String
    /// How many events the server replayed before the reply, when it says.
    public var replayed: Int?
    /// The server no longer holds every missed event: re-read `MATCHES`.
    public var resync: Bool

    public init(player: String, replayed: Int?, resync: Bool) {
        self.player = player
        self.replayed = replayed
        self.resync = resync
    }
}

extension PlyClient {
    /// A TLS configuration that trusts the certificates in a PEM file (a private CA, or a
    /// self-signed server's own certificate), or the system's roots without one.
    public static func tls(trusting caFile: String? = nil) throws -> TLSConfiguration {
        var c = TLSConfiguration.makeClientConfiguration()
        if let caFile { c.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) }
        return c
    }
}

/// Where a server listens: `host:port` as given on a command line (`127.0.0.1:7420`,
/// `[::1]:7420`).
public struct PlyAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        var host = text[..<colon]
        if host.first == "[" && host.last == "]" { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { return nil }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
