import Foundation
import NIOCore
import NIOPosix
import PlyClient
import PlyJSON
import PlyLines
import PlyRules
import Synchronization

/// Hostile traffic against a running server while honest players play: random bytes,
/// huge lines, half-open connections, connect/disconnect storms and brute-force logins.
/// At the end every move the honest players got an `OK` for must be in the match.
public struct ChaosRun: Sendable {
    public var host: String
    public var port: Int
    public var seconds: Double
    public var honestMatches = 4

    public init(host: String, port: Int, seconds: Double) {
        self.host = host
        self.port = port
        self.seconds = seconds
    }

    /// What happened, for the summary table.
    public struct Tally: Sendable {
        public var inputs: [String: Int] = [:]
        public var errors: [String: Int] = [:]
        public var refusedOrClosed = 0
        public var movesAcknowledged = 0
        public var movesVerified = 0
        public var honestErrors: [String: Int] = [:]
        public var rssStart = 0
        public var rssEnd = 0
        /// Harm the abuse scenarios (floods, the rating trap, harassment) got through.
        public var abuseFailures: [String] = []
    }

    /// What the abuse scenarios found, shared with the task that runs them.
    final class Findings: Sendable {
        let list = Mutex<[String]>([])
    }

    final class Counter: Sendable {
        let tally = Mutex(Tally())
        func input(_ kind: String, _ n: Int = 1) { tally.withLock { $0.inputs[kind, default: 0] += n } }
        func error(_ code: String) { tally.withLock { $0.errors[code, default: 0] += 1 } }
        func closed() { tally.withLock { $0.refusedOrClosed += 1 } }
    }

    public func run() async throws -> Tally {
        let counter = Counter()
        let observer = try await PlyClient.connect(host: host, port: port)
        // The checker at the end logs in with this device too: by then the flood has used up
        // this address's new accounts.
        let observerDevice = "chaos-observer-\(UInt64.random(in: 0...UInt64.max))"
        _ = try await observer.authDevice(observerDevice)
        let rssStart = try await observer.stats()["rss_bytes"]?.intValue ?? 0
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))

        let abuseFailures = Findings()
        let honest = try await withThrowingTaskGroup(of: [String: [String]].self) { group in
            group.addTask {
                try await HonestPlayers(addresses: [PlyAddress(host: host, port: port)], matches: honestMatches)
                    .play(until: deadline)
            }
            group.addTask { await self.attack(until: deadline, counter: counter); return [:] }
            group.addTask {
                // After the honest players have logged in: the flood uses up new accounts.
                try await Task.sleep(for: .seconds(2))
                let found = await self.abuse(counter)
                abuseFailures.list.withLock { $0 = found }
                return [:]
            }
            var games: [String: [String]] = [:]
            for try await g in group { games.merge(g) { a, _ in a } }
            return games
        }
        // Let timeouts and closes settle, then check every acknowledged move.
        try await Task.sleep(for: .seconds(2))
        let check = try await HonestPlayers(addresses: [PlyAddress(host: host, port: port)], matches: honestMatches)
            .verify(honest, device: observerDevice)
        // Silent all run long, the observer's connection has met the idle timeout: resume it.
        if (try? await observer.ping()) == nil { _ = try await observer.resume() }
        let rssEnd = try await observer.stats()["rss_bytes"]?.intValue ?? 0
        await observer.close()
        return counter.tally.withLock { t in
            t.movesAcknowledged = check.acknowledged
            t.movesVerified = check.verified
            t.rssStart = rssStart
            t.rssEnd = rssEnd
            t.abuseFailures = abuseFailures.list.withLock { $0 } + check.findings
            return t
        }
    }

    // MARK: attackers

    func attack(until deadline: ContinuousClock.Instant, counter: Counter) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.randomBytes(until: deadline, counter) }
            group.addTask { await self.hugeLines(until: deadline, counter) }
            group.addTask { await self.halfOpen(until: deadline, counter) }
            group.addTask { await self.churn(until: deadline, counter) }
            group.addTask { await self.bruteForce(until: deadline, counter) }
        }
    }

    func randomBytes(until deadline: ContinuousClock.Instant, _ counter: Counter) async {
        var rng = SystemRandomNumberGenerator()
        while ContinuousClock.now < deadline {
            guard let c = try? await RawConnection.open(host: host, port: port, counter: counter) else {
                counter.closed()
                continue
            }
            var bytes = [UInt8](repeating: 0, count: 4096)
            for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
            for i in stride(from: 0, to: bytes.count, by: 97) { bytes[i] = 0x0A }
            await c.send(bytes)
            counter.input("random bytes (4 KiB)")
            try? await Task.sleep(for: .milliseconds(50))
            await c.close()
        }
    }

    func hugeLines(until deadline: ContinuousClock.Instant, _ counter: Counter) async {
        while ContinuousClock.now < deadline {
            guard let c = try? await RawConnection.open(host: host, port: port, counter: counter) else {
                counter.closed()
                continue
            }
            await c.send(Array(("PING " + String(repeating: "x", count: 9000) + "\n").utf8))
            counter.input("line over 8 KiB")
            await c.send([UInt8](repeating: UInt8(ascii: "y"), count: (1 << 20) + 4096))
            counter.input("1 MiB without newline")
            try? await Task.sleep(for: .milliseconds(300))
            await c.close()
        }
    }

    func halfOpen(until deadline: ContinuousClock.Instant, _ counter: Counter) async {
        var held: [RawConnection] = []
        while ContinuousClock.now < deadline {
            if let c = try? await RawConnection.open(host: host, port: port, counter: counter) {
                await c.send(Array("AUTH DEVICE slowloris-".utf8))  // never finished
                held.append(c)
                counter.input("half-open connection")
            } else {
                counter.closed()
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        for c in held { await c.close() }
    }

    func churn(until deadline: ContinuousClock.Instant, _ counter: Counter) async {
        while ContinuousClock.now < deadline {
            if let c = try? await RawConnection.open(host: host, port: port, counter: counter) {
                await c.close()
                counter.input("connect/disconnect")
            } else {
                counter.closed()
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    func bruteForce(until deadline: ContinuousClock.Instant, _ counter: Counter) async {
        var n = 0
        while ContinuousClock.now < deadline {
            guard let c = try? await RawConnection.open(host: host, port: port, counter: counter) else {
                counter.closed()
                continue
            }
            for _ in 0..<6 {
                n += 1
                await c.send(Array("AUTH EMAIL victim@example.com guess-\(n)\n".utf8))
                counter.input("login attempt")
            }
            try? await Task.sleep(for: .milliseconds(100))
            await c.close()
        }
    }
}

public struct ChaosFailure: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// A bare TCP connection that counts the error codes it is sent and notices being closed.
final class RawConnection: Sendable {
    let channel: any Channel

    static func open(host: String, port: Int, counter: ChaosRun.Counter) async throws -> RawConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(2))
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandlers(ErrorCounter.handlers(counter)) }
            }
            .connect(host: host, port: port).get()
        return RawConnection(channel: channel)
    }

    init(channel: any Channel) { self.channel = channel }

    func send(_ bytes: [UInt8]) async {
        try? await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    func close() async { try? await channel.close() }
}

/// Counts `ERR <code>` lines and closes by the server.
enum ErrorCounter {
    static func handlers(_ counter: ChaosRun.Counter) -> [any ChannelHandler] {
        LineReader.handlers(
            maximumLineBytes: 1 << 16,
            onLine: { line in
                let words = line.split(separator: " ")
                if let i = words.firstIndex(of: "ERR"), i + 1 < words.count { counter.error(String(words[i + 1])) }
            },
            onClose: { counter.closed() })
    }
}
