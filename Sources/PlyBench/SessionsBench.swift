import NIOCore
import NIOPosix
import PlyClient
import PlyJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `ply bench sessions`: how much server memory an idle, logged-in connection costs.
///
/// Opens `count` connections, each logging in with `AUTH DEVICE` and a device id of its own,
/// and keeps them open while it reads the server's `rss_bytes` from `STATS`. Connections are
/// cheap on this side: one shared event-loop group, a small channel handler per connection
/// (no `PlyClient`, no Swift task), the `AUTH` line written as soon as the socket connects
/// (pipelined ahead of the server's hello), and a window of connections in progress at once.
public enum SessionsBench {
    public struct Options: Sendable {
        public var target: BenchTarget
        public var count: Int
        /// Connections connecting and logging in at once.
        public var window: Int
        /// Source addresses; nil: as many loopback ones as `count` needs.
        public var sources: Int?
        /// How long to let the server settle before the second `STATS`.
        public var settle: Duration

        public init(target: BenchTarget, count: Int, window: Int = 500, sources: Int? = nil, settle: Duration = .seconds(1)) {
            self.target = target
            self.count = count
            self.window = window
            self.sources = sources
            self.settle = settle
        }
    }

    public struct Result: Sendable {
        public var count: Int
        public var failures: Int
        public var connectSeconds: Double
        public var rssBefore: Int?
        public var rssAfter: Int?
        public var sources: Int
        public var fileLimit: Int?

        public var perSessionKB: Double? {
            guard let rssBefore, let rssAfter, count > 0 else { return nil }
            return Double(rssAfter - rssBefore) / Double(count) / 1024
        }

        public var report: BenchReport {
            BenchReport(
                title: "sessions",
                figures: [
                    ("count", Double(count)), ("failures", Double(failures)), ("connect_s", connectSeconds),
                    ("sessions_per_s", connectSeconds > 0 ? Double(count) / connectSeconds : nil),
                    ("rss_before_mb", rssBefore.map { Double($0) / 1_048_576 }),
                    ("rss_after_mb", rssAfter.map { Double($0) / 1_048_576 }),
                    ("rss_per_session_kb", perSessionKB), ("source_addresses", Double(sources)),
                    ("client_fd_limit", fileLimit.map(Double.init)),
                ])
        }
    }

    public static func run(_ options: Options, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> Result
    {
        let fileLimit = raiseFileLimit()
        let run = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let sources = SourceAddresses(connections: options.count, target: options.target.host, count: options.sources)
        let observer = try await PlyClient.connect(host: options.target.host, port: options.target.port, group: group)
        _ = try await observer.authDevice("bench-sessions-\(run)-observer")
        let before = try await observer.stats()["rss_bytes"]?.intValue

        var channels: [any Channel] = []
        channels.reserveCapacity(options.count)
        var failures = 0
        var firstError: (any Error)?
        let clock = ContinuousClock()
        let start = clock.now
        var next = 0
        while next < options.count {
            let batch = next..<min(options.count, next + max(1, options.window))
            next = batch.upperBound
            var futures: [EventLoopFuture<any Channel>] = []
            futures.reserveCapacity(batch.count)
            for i in batch {
                futures.append(
                    open(
                        index: i, deviceID: "bench-s-\(run)-\(i)", source: sources.address(for: i),
                        target: options.target, group: group))
            }
            for f in futures {
                do {
                    channels.append(try await f.get())
                } catch {
                    failures += 1
                    if firstError == nil { firstError = error }
                }
            }
        }
        let connectSeconds = LatencySamples.milliseconds(clock.now - start) / 1000
        try? await Task.sleep(for: options.settle)
        let after = try? await observer.stats()["rss_bytes"]?.intValue

        // Close in windows too, so the server is not flooded with disconnects at once.
        for chunk in stride(from: 0, to: channels.count, by: max(1, options.window)) {
            let closing = channels[chunk..<min(channels.count, chunk + max(1, options.window))].map { $0.close() }
            for f in closing { try? await f.get() }
        }
        await observer.close()
        if channels.isEmpty, let firstError { throw firstError }
        if let firstError { print("warning: \(failures) connections failed; first: \(firstError)") }
        return Result(
            count: channels.count, failures: failures, connectSeconds: connectSeconds, rssBefore: before,
            rssAfter: after ?? nil, sources: sources.addresses.count, fileLimit: fileLimit)
    }

    /// One connection: connect (from `source` when given), send `AUTH DEVICE`, and succeed
    /// with the channel once the server says `OK`.
    static func open(index: Int, deviceID: String, source: String?, target: BenchTarget, group: any EventLoopGroup)
        -> EventLoopFuture<any Channel>
    {
        let loop = group.next()
        let loggedIn = loop.makePromise(of: Void.self)
        var bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.seconds(30))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AuthHandler(deviceID: deviceID, done: loggedIn))
                }
            }
        if let source {
            do {
                bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0))
            } catch {
                return loop.makeFailedFuture(error)
            }
        }
        return bootstrap.connect(host: target.host, port: target.port).flatMap { channel in
            loggedIn.futureResult.map { channel }.flatMapErrorThrowing { error in
                channel.close(promise: nil)
                throw error
            }
        }
    }

    /// Raises the soft limit on open files to the hard limit; returns the limit now in force.
    @discardableResult
    public static func raiseFileLimit() -> Int? {
        var limit = rlimit()
        #if canImport(Glibc)
            let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
            let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > UInt64(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}

/// Writes `AUTH DEVICE` on connect and completes `done` with the reply: success on `OK`,
/// failure on `ERR` or a closed connection. Afterwards it only drops what arrives.
final class AuthHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Refused: Error, CustomStringConvertible {
        var line: String
        var description: String { "AUTH refused: \(line)" }
    }
    struct Closed: Error, CustomStringConvertible {
        var description: String { "connection closed before the AUTH reply" }
    }

    private let deviceID: String
    private let done: EventLoopPromise<Void>
    private var answered = false
    /// The start of the line being read: enough to tell `EVENT`, `OK` and `ERR` apart.
    private var line: [UInt8] = []

    init(deviceID: String, done: EventLoopPromise<Void>) {
        self.deviceID = deviceID
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: deviceID.utf8.count + 13)
        buffer.writeString("AUTH DEVICE ")
        buffer.writeString(deviceID)
        buffer.writeInteger(UInt8(ascii: "\n"))
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        let buffer = unwrapInboundIn(data)
        for byte in buffer.readableBytesView {
            guard byte == UInt8(ascii: "\n") else {
                if line.count < 64 { line.append(byte) }
                continue
            }
            defer { line.removeAll(keepingCapacity: false) }
            if line.starts(with: "EVENT ".utf8) { continue }
            answered = true
            if line.starts(with: "OK".utf8) {
                done.succeed(())
            } else {
                done.fail(Refused(line: String(decoding: line, as: UTF8.self)))
            }
            return
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !answered {
            answered = true
            done.fail(Closed())
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !answered {
            answered = true
            done.fail(error)
        }
        context.close(promise: nil)
    }
}
