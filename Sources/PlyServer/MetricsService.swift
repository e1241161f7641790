import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import PlyEngine
import PlyJSON
import PlyStore
import Prometheus
import ServiceLifecycle
import Synchronization

/// Serves the server's metrics in Prometheus text format at `GET /metrics` when a port is
/// given. Counters, timers and gauges of events are recorded where things happen
/// (`EngineMetrics`, `StoreMetrics`); the figures that are a state (what is in memory, the
/// resident set, percentiles over a recent window) are sampled here once a second from their
/// sources.
struct MetricsService: Service {
    let engine: Engine
    let port: Int?
    let host: String
    let logger: Logger

    /// swift-metrics has one backend per process; the first server to start picks it, before
    /// it creates any metric (a metric made before the choice would stay a no-op).
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// The sampled state figures.
    private struct Samples {
        let playersInMemory = Gauge(label: "ply_players_in_memory")
        let matchesInMemory = Gauge(label: "ply_matches_in_memory")
        let rss = Gauge(label: "ply_rss_bytes")
        let commitP50 = Gauge(label: "ply_commit_p50_ms")
        let commitP99 = Gauge(label: "ply_commit_p99_ms")
        let commitMax = Gauge(label: "ply_commit_max_ms")
        let lagP50 = Gauge(label: "ply_event_loop_lag_p50_ms")
        let lagP99 = Gauge(label: "ply_event_loop_lag_p99_ms")
        let lagMax = Gauge(label: "ply_event_loop_lag_max_ms")

        func sample(_ engine: Engine) async {
            playersInMemory.record(engine.players.count)
            matchesInMemory.record(engine.matches.count)
            rss.record(ProcessMemory.residentBytes())
            if let writer = engine.writer {
                let recent = await writer.recentCommits()
                if let p50 = recent.p50 { commitP50.record(p50) }
                if let p99 = recent.p99 { commitP99.record(p99) }
                commitMax.record(await writer.commitHistogram.maximum)
            }
            let lag = engine.loopLag.summary()
            if let p50 = lag.p50 { lagP50.record(p50) }
            if let p99 = lag.p99 { lagP99.record(p99) }
            if let max = lag.max { lagMax.record(max) }
        }
    }

    func run() async throws {
        let registry = Self.registry
        var listener: (any Channel)?
        if let port { listener = try await bind(port, registry: registry) }
        let samples = Samples()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await samples.sample(engine)
                try? await Task.sleep(for: .seconds(1))
            }
        }
        try? await listener?.close()
    }

    private func bind(_ port: Int, registry: PrometheusCollectorRegistry) async throws -> any Channel {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(MetricsHTTPHandler(registry: registry))
                }
            }
            .bind(host: host, port: port).get()
        logger.info("metrics endpoint listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        return channel
    }
}

/// Answers `GET /metrics` with the registry's text; anything else is 404.
final class MetricsHTTPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let found = head.method == .GET && head.uri.split(separator: "?").first == "/metrics"
        let body = found ? registry.emitToString() : "not found\n"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4" : "text/plain")
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: found ? .ok : .notFound, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
