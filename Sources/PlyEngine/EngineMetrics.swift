import CoreMetrics
import Metrics

/// The engine's metrics, recorded where each thing happens (swift-metrics; the server's
/// Prometheus backend exports them under these names, and `STATS` shows the same figures).
/// Figures that are a state rather than an event (players in memory, the event loops' lag)
/// are sampled by the server's metrics service from their sources. Made with the engine,
/// after the server has chosen its metrics backend.
struct EngineMetrics: Sendable {
    private let requests = Counter(label: "ply_requests")
    private let connections = Gauge(label: "ply_connections")
    private let connectionsTotal = Counter(label: "ply_connections_total")
    let playerLoads = Counter(label: "ply_player_loads")
    let matchLoads = Counter(label: "ply_match_loads")
    let playerEvictions = Counter(label: "ply_player_evictions")
    let matchEvictions = Counter(label: "ply_match_evictions")

    func connections(_ open: Int, opened: Bool) {
        connections.record(open)
        if opened { connectionsTotal.increment() }
    }

    func request() { requests.increment() }

    func loaded(_ kind: ResidentKind) {
        switch kind {
        case .player: playerLoads.increment()
        case .match: matchLoads.increment()
        }
    }

    func evicted(_ kind: ResidentKind, _ n: Int) {
        guard n > 0 else { return }
        switch kind {
        case .player: playerEvictions.increment(by: n)
        case .match: matchEvictions.increment(by: n)
        }
    }

}

/// What a `ResidentSet` holds, for its metrics.
enum ResidentKind: Sendable { case player, match }
