import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import PlyEngine
import PlyJSON
import Prometheus
import ServiceLifecycle
import Synchronization

/// Publishes the `STATS` figures as swift-metrics gauges once a second, and, when a port
/// is given, serves them in Prometheus text format at `GET /metrics`.
struct MetricsService: Service {
    let engine: Engine
    let port: Int?
    let host: String
    let logger: Logger

    /// swift-metrics has one backend per process; the first server to start picks it.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    func run() async throws {
        let registry = Self.registry
        var listener: (any Channel)?
        if let port { listener = try await bind(port, registry: registry) }
        await cancelWhenGracefulShutdown {
            var gauges: [String: Metrics.Gauge] = [:]
            while !Task.isCancelled {
                for field in await engine.statsSnapshot() {
                    let value: Double
                    switch field.value {
                    case .int(let i): value = Double(i)
                    case .double(let d): value = d
                    case .bool(let b): value = b ? 1 : 0
                    default: continue
                    }
                    let gauge = gauges[field.key] ?? Metrics.Gauge(label: "ply_\(field.key)")
                    gauges[field.key] = gauge
                    gauge.record(value)
                }
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
