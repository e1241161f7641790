import NIOSSL

/// Network settings of the line server.
public struct ServerConfiguration: Sendable {
    /// With a context the line port speaks TLS only (the same lines inside); without, plain.
    public var tls: NIOSSLContext?
    /// The HTTP/WebSocket port (`/ws`, `/healthz`, `/`); nil: none. 0 picks a free port.
    public var httpPort: Int?
    /// How long `GET /events` waits for the first event.
    public var longPoll = Duration.seconds(25)
    /// Web pages, besides the server's own, whose scripts may play through the HTTP port
    /// (`https://game.example`; `*`: any). See `OriginPolicy`.
    public var allowedOrigins: [String] = []

    public var host = "127.0.0.1"
    /// 0 picks a free port (tests read the bound port from `onBound`).
    public var port = 7420
    public var maximumLineBytes = 8192
    public var maximumUnterminatedBytes = 1 << 20
    /// A connection that sends nothing for this long is closed (half-open links, slowloris).
    public var idleTimeout = Duration.seconds(300)
    /// A connection that has not logged in after this long is closed.
    public var handshakeTimeout = Duration.seconds(30)

    /// Open connections allowed in all, and from one client address.
    public var maximumConnections = 100_000
    public var maximumConnectionsPerAddress = 5_000
    /// Requests read ahead of the one being answered; past this the server stops reading
    /// from the socket (TCP back-pressure) instead of buffering.
    public var maximumPipelinedRequests = 64
    /// Replies queued for a client that does not read them; past this it is disconnected.
    public var maximumOutboundBytes = 1 << 20

    public init() {}
}
