import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import PlyEngine
import PlyLines
import PlyStore
import Synchronization

/// The HTTP/1.1 listener (`--http-port`; HTTPS with the TLS flags): `GET /ws` upgrades to a
/// WebSocket carrying the line protocol (`WebSocketLineCodec` in front of the line port's
/// `SessionHandler`), `GET /healthz` says whether the server accepts play, `GET /` and its
/// modules are the web client (`WebClientFiles`), `POST /line` and `GET /events` serve
/// HTTP-only clients. It shares the line port's connection limits and shutdown.
extension LineServer {
    /// Where the server is in its life, for `/healthz`.
    enum Phase: Int {
        case starting, running, stopping
        /// Waiting for the primary lease (`ply serve --standby`).
        case standby
    }

    func bindHTTP(port: Int) async throws -> any Channel {
        let configuration = self.configuration
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(
                .writeBufferWaterMark,
                value: .init(low: min(32 * 1024, configuration.maximumOutboundBytes / 2), high: configuration.maximumOutboundBytes))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    // Counted in the line port's connection limits, in all and per address. With
                    // TLS the count comes after the TLS handler, which holds a refusal's 503 back
                    // until the handshake is done, so an HTTPS client can read it (see
                    // `HTTPConnectionBudget` for the refusals that get no handshake).
                    if let tls = configuration.tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
                    try pipeline.addHandler(HTTPConnectionBudget(server: self, tls: configuration.tls != nil))
                    try pipeline.addHandler(IdleStateHandler(readTimeout: TimeAmount(configuration.idleTimeout)))
                    try pipeline.addHandler(CloseWhenIdle())
                    try pipeline.addHandler(CloseSlowReader())
                    let http = HTTPRequestHandler(server: self)
                    let bound = NIOLoopBound(http, eventLoop: channel.eventLoop)
                    let upgrader = NIOWebSocketServerUpgrader(
                        // Frames up to the unterminated-line limit are read (a longer line answers
                        // too_long, as on the line port); beyond it the connection closes.
                        maxFrameSize: configuration.maximumUnterminatedBytes,
                        automaticErrorHandling: true,
                        shouldUpgrade: { channel, head in
                            channel.eventLoop.makeSucceededFuture(
                                head.uri.split(separator: "?").first == "/ws" && [.running, .standby].contains(self.phase)
                                    && self.originAllowed(head) ? HTTPHeaders() : nil)
                        },
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                let gate = LineGate()
                                try channel.pipeline.syncOperations.addHandlers(
                                    // A message split into fragments is put back together (at most
                                    // 64 of them, within the frame limit) before it is a line.
                                    NIOWebSocketFrameAggregator(
                                        minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: 64,
                                        maxAccumulatedFrameSize: configuration.maximumUnterminatedBytes),
                                    WebSocketLineCodec(maximumLineBytes: configuration.maximumLineBytes, gate: gate),
                                    SessionHandler(server: self, gate: gate, admitted: true))
                            }
                        })
                    try pipeline.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.syncOperations.removeHandler(bound.value, promise: nil)
                        }))
                    try pipeline.addHandler(http)
                }
            }
            .bind(host: configuration.host, port: port)
            .get()
    }

    /// Whether the page a request comes from may play here (`OriginPolicy`).
    func originAllowed(_ head: HTTPRequestHead) -> Bool {
        OriginPolicy(allowed: configuration.allowedOrigins)
            .allows(origin: head.headers.first(name: "Origin"), host: head.headers.first(name: "Host"))
    }

    /// Why the server does not accept play now, or nil: `/healthz`'s answer.
    var unhealthyReason: String? {
        switch phase {
        case .starting: return "starting"
        case .standby: return "standby"
        case .stopping: return "shutting down"
        case .running: return engine.writer?.isDown == true ? "database down" : nil
        }
    }
}

/// Answers the plain HTTP requests; an upgrade to `/ws` is taken over by NIO's upgrader.
///
/// A connection must send a whole request within the handshake time of connecting or of
/// its last response (a client sending a header a byte a minute holds no place for long),
/// and the session a request runs on ends when its connection closes, even mid-request.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: LineServer
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var bodyTooLong = false
    /// The session of the request being answered (`POST /line`, `GET /events`).
    private var session: PlayerSession?
    /// Closes the connection unless a whole request comes in time.
    private var requestDeadline: Scheduled<Void>?

    init(server: LineServer) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        awaitRequest(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        requestDeadline?.cancel()
        requestDeadline = nil
        finishSession()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Upgraded to a WebSocket: the session handler's own handshake time applies now.
        requestDeadline?.cancel()
        requestDeadline = nil
    }

    private func awaitRequest(_ context: ChannelHandlerContext) {
        requestDeadline?.cancel()
        let channel = context.channel
        requestDeadline = context.eventLoop.scheduleTask(in: TimeAmount(server.configuration.handshakeTimeout)) {
            channel.close(promise: nil)
        }
    }

    /// Ends the request's session, once.
    private func finishSession() {
        guard let s = session else { return }
        session = nil
        Task { await s.end() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
            bodyTooLong = false
        case .body(var part):
            // A line over the limit is answered too_long; the rest of it is not kept.
            if body.readableBytes + part.readableBytes > server.configuration.maximumLineBytes + 2 {
                bodyTooLong = true
            } else {
                body.writeBuffer(&part)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            requestDeadline?.cancel()
            requestDeadline = nil
            respond(context, head)
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let path = head.uri.split(separator: "?").first.map(String.init) ?? "/"
        if head.method == .GET, let file = WebClientFiles.file(at: path) {
            return send(
                context, head, .ok, file.bytes, contentType: file.contentType,
                extraHeaders: [("Content-Security-Policy", WebClientFiles.securityPolicy)])
        }
        if ["/ws", "/line", "/events"].contains(path), !server.originAllowed(head) {
            return send(context, head, .forbidden, "ERR forbidden pages of this origin may not play here (see --allow-origin)\n")
        }
        switch (head.method, path) {
        case (.GET, "/healthz"):
            if let why = server.unhealthyReason {
                send(context, head, .serviceUnavailable, why + "\n")
            } else {
                send(context, head, .ok, "ok\n")
            }
        case (.GET, "/ws"):
            send(context, head, .serviceUnavailable, (server.unhealthyReason ?? "not a WebSocket upgrade") + "\n")
        case (.POST, "/line"):
            postLine(context, head)
        case (.GET, "/events"):
            events(context, head)
        default:
            send(context, head, .notFound, "not found\n")
        }
    }

    /// `POST /line`: one request line as the body; the reply line as the body, status 200
    /// whatever the reply.
    private func postLine(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        if let why = server.unhealthyReason, server.phase != .running {
            return send(context, head, .ok, "ERR unavailable \(why)\n")
        }
        if bodyTooLong {
            return send(context, head, .ok, "ERR too_long line longer than \(server.configuration.maximumLineBytes) bytes\n")
        }
        // The first line, by scalars: "\r\n" is one Character, which `firstIndex(of: "\n")` misses.
        var text = Substring(body.readString(length: body.readableBytes) ?? "").unicodeScalars
        if let nl = text.firstIndex(of: "\n") { text = text[..<nl] }
        if text.last == "\r" { text.removeLast() }
        let line = String(text)
        // A blank line gets no reply on the line port; here the request needs one.
        if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
            return send(context, head, .ok, "ERR bad_request send one request line as the body\n")
        }
        let token = HTTPExchange.bearer(head.headers.first(name: "Authorization"))
        let lines = (token.map { ["AUTH SESSION \($0)"] } ?? []) + [line]
        let collected = HTTPExchange.Collected()
        let loop = context.eventLoop
        let session = HTTPExchange.session(
            server: server, remote: ClientAddress.key(context.channel.remoteAddress), loop: loop, lines: lines,
            collected: collected)
        self.session = session
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        collected.wait(on: loop) { replies, _ in replies >= lines.count }.whenComplete { _ in
            let replies = collected.replies
            // A refused session is the answer; otherwise the line's own reply.
            let answer = token != nil && replies.first?.hasPrefix("ERR ") == true ? replies[0] : (replies.last ?? "")
            bound.value.0.finishSession()
            bound.value.0.send(bound.value.1, head, .ok, answer + "\n")
        }
    }

    /// `GET /events?after=<seq>`: the player's events after `seq`, one line each, waiting up
    /// to `longPollSeconds` for the first.
    private func events(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        guard let token = HTTPExchange.bearer(head.headers.first(name: "Authorization")) else {
            return send(context, head, .unauthorized, "ERR unauthenticated give Authorization: Bearer <session>\n")
        }
        let query = head.uri.split(separator: "?").dropFirst().first ?? ""
        let after = query.split(separator: "&").compactMap { pair -> Int? in
            let kv = pair.split(separator: "=", maxSplits: 1)
            return kv.count == 2 && kv[0] == "after" ? Int(kv[1]) : nil
        }.first ?? 0
        let collected = HTTPExchange.Collected()
        let loop = context.eventLoop
        let session = HTTPExchange.session(
            server: server, remote: ClientAddress.key(context.channel.remoteAddress), loop: loop,
            lines: ["AUTH SESSION \(token) \(max(0, after))"], collected: collected)
        self.session = session
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let wait = TimeAmount(server.configuration.longPoll)
        collected.wait(on: loop) { replies, _ in replies >= 1 }.whenComplete { _ in
            let reply = collected.replies.first ?? ""
            guard reply.hasPrefix("OK") else {
                bound.value.0.finishSession()
                bound.value.0.send(bound.value.1, head, .unauthorized, reply + "\n")
                return
            }
            let answer: @Sendable () -> Void = {
                let lines = collected.events
                let resync = reply.contains(#""resync":true"#)
                bound.value.0.finishSession()
                bound.value.0.send(
                    bound.value.1, head, .ok, lines.map { $0 + "\n" }.joined(), extraHeaders: resync ? [("X-Ply-Resync", "true")] : [])
            }
            if !collected.events.isEmpty || reply.contains(#""resync":true"#) { return answer() }
            // Nothing yet: wait for the first event, or the long poll's end.
            let done = loop.makePromise(of: Void.self)
            let fired = NIOLoopBoundBox(false, eventLoop: loop)
            @Sendable func fire() {
                guard !fired.value else { return }
                fired.value = true
                done.succeed()
            }
            collected.wait(on: loop) { _, events in events >= 1 }.whenComplete { _ in fire() }
            let timer = loop.scheduleTask(in: wait) { fire() }
            done.futureResult.whenComplete { _ in
                timer.cancel()
                answer()
            }
        }
    }

    private func send(
        _ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus, _ body: String,
        contentType: String = "text/plain; charset=utf-8", extraHeaders: [(String, String)] = []
    ) {
        send(context, request, status, Array(body.utf8), contentType: contentType, extraHeaders: extraHeaders)
    }

    private func send(
        _ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus, _ body: [UInt8],
        contentType: String, extraHeaders: [(String, String)] = []
    ) {
        var headers = HTTPHeaders()
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: "\(body.count)")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
        if keepAlive, channel.isActive { awaitRequest(context) }
    }
}

/// The web client (`GET /` and its modules), embedded in the binary from `Web/` by
/// Package.swift, so a server is one file to deploy.
enum WebClientFiles {
    struct File {
        let bytes: [UInt8]
        let contentType: String
    }

    /// Scripts and styles only from this server, no inline script, and connections only
    /// back to it (the WebSocket included); the page may not be framed.
    static let securityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static func file(at path: String) -> File? {
        let script = "text/javascript; charset=utf-8"
        switch path {
        case "/", "/index.html": return File(bytes: PackageResources.index_html, contentType: "text/html; charset=utf-8")
        case "/style.css": return File(bytes: PackageResources.style_css, contentType: "text/css; charset=utf-8")
        case "/app.js": return File(bytes: PackageResources.app_js, contentType: script)
        case "/ply.js": return File(bytes: PackageResources.ply_js, contentType: script)
        case "/svg.js": return File(bytes: PackageResources.svg_js, contentType: script)
        case "/reversi.js": return File(bytes: PackageResources.reversi_js, contentType: script)
        case "/hive.js": return File(bytes: PackageResources.hive_js, contentType: script)
        case "/khet.js": return File(bytes: PackageResources.khet_js, contentType: script)
        default: return nil
        }
    }
}

/// Admits an HTTP connection into the server's connection limits (the line port's), or
/// answers 503 and closes it; releases its place when it closes. A connection admitted while
/// the server is stopping is turned away the same way. Over HTTPS the 503 waits for the
/// handshake, which costs the server a handshake and a socket for a while: an address past
/// its own limit is closed at once instead, and at most
/// `LineServer.refusalsAwaitingHandshake` refused connections wait, a few seconds at most.
final class HTTPConnectionBudget: ChannelInboundHandler {
    typealias InboundIn = NIOAny
    private let server: LineServer
    private let tls: Bool
    private var admitted = false
    private var waitingForHandshake = false
    private var deadline: Scheduled<Void>?
    private var remote = "unknown"

    init(server: LineServer, tls: Bool) {
        self.server = server
        self.tls = tls
    }

    func channelActive(context: ChannelHandlerContext) {
        remote = ClientAddress.key(context.channel.remoteAddress)
        guard let refusal = server.connections.admit(context.channel, from: remote) else {
            admitted = true
            context.fireChannelActive()
            return
        }
        let channel = context.channel
        if tls {
            guard refusal != .budget(.addressFull), reserveHandshakeWait() else {
                context.close(promise: nil)
                return
            }
            waitingForHandshake = true
            let wait = min(TimeAmount(server.configuration.handshakeTimeout), .seconds(5))
            deadline = context.eventLoop.scheduleTask(in: wait) { channel.close(promise: nil) }
        }
        let body = refusal == .shuttingDown ? "shutting down\n" : "too many connections; retry later\n"
        let response =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n" + body
        context.writeAndFlush(NIOAny(channel.allocator.buffer(string: response))).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Takes one of the places for refusals waiting for their handshake, if one is free.
    private func reserveHandshakeWait() -> Bool {
        if server.refusedInHandshake.wrappingAdd(1, ordering: .relaxed).newValue <= LineServer.refusalsAwaitingHandshake {
            return true
        }
        server.refusedInHandshake.wrappingSubtract(1, ordering: .relaxed)
        return false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if admitted { context.fireChannelRead(data) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if admitted {
            admitted = false
            server.connections.release(context.channel, from: remote)
        }
        if waitingForHandshake {
            waitingForHandshake = false
            deadline?.cancel()
            server.refusedInHandshake.wrappingSubtract(1, ordering: .relaxed)
        }
        context.fireChannelInactive()
    }

    /// At shutdown a WebSocket session answers what it has read, then closes; a plain HTTP
    /// connection (between requests, or in a long poll) closes now.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent,
            (try? context.pipeline.syncOperations.handler(type: WebSocketLineCodec.self)) == nil
        {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
