import ArgumentParser
import Foundation
import PlyBench
import PlyClient
import PlyJSON

struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Hostile traffic against a running server while honest players play (Scripts/chaos drives it).")

    @Option(help: "host:port of the server (with --failover: of each server, comma-separated)")
    var target: String = "127.0.0.1:7420"

    @Flag(help: "Only honest players, following a failover from server to server in --target (Scripts/chaos --failover)")
    var failover = false

    @Option(help: "How long to attack, in seconds")
    var seconds: Double = 60

    @Option(help: "Honest matches played meanwhile")
    var matches: Int = 4

    func run() async throws {
        if failover { return try await playThroughFailovers() }
        guard let t = BenchTarget(parsing: target) else { throw ValidationError("target must be host:port") }
        var chaos = ChaosRun(host: t.host, port: t.port, seconds: seconds)
        chaos.honestMatches = matches
        let tally = try await chaos.run()
        print("what was tried                     count")
        for (k, v) in tally.inputs.sorted(by: { $0.key < $1.key }) {
            print("  \(k.padding(toLength: 40, withPad: " ", startingAt: 0)) \(v)")
        }
        print("connections refused or closed      \(tally.refusedOrClosed)")
        print("errors by code")
        for (k, v) in tally.errors.sorted(by: { $0.key < $1.key }) {
            print("  \(k.padding(toLength: 40, withPad: " ", startingAt: 0)) \(v)")
        }
        print("moves acknowledged                 \(tally.movesAcknowledged)")
        print("moves verified in the database     \(tally.movesVerified)")
        print("server RSS start / end (MiB)       \(tally.rssStart >> 20) / \(tally.rssEnd >> 20)")
        print("abuse that got through             \(tally.abuseFailures.isEmpty ? "none" : "")")
        for f in tally.abuseFailures { print("  \(f)") }
        var o = JSONObject()
        o["inputs"] = .int(tally.inputs.values.reduce(0, +))
        o["refused_or_closed"] = .int(tally.refusedOrClosed)
        o["errors"] = .object(JSONObject(tally.errors.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.int($0.value)) }))
        o["moves_acknowledged"] = .int(tally.movesAcknowledged)
        o["moves_verified"] = .int(tally.movesVerified)
        o["rss_start_mb"] = .int(tally.rssStart >> 20)
        o["rss_end_mb"] = .int(tally.rssEnd >> 20)
        o["abuse_failures"] = .array(tally.abuseFailures.map { .string($0) })
        print(JSONValue.object(o).description)
        if tally.movesVerified != tally.movesAcknowledged || tally.movesAcknowledged == 0 || !tally.abuseFailures.isEmpty {
            throw ExitCode(1)
        }
    }

    /// Honest players only, over every address; every acknowledged move must be stored once.
    private func playThroughFailovers() async throws {
        let addresses = target.split(separator: ",").compactMap { PlyAddress(parsing: String($0)) }
        guard !addresses.isEmpty, addresses.count == target.split(separator: ",").count else {
            throw ValidationError("target must be host:port[,host:port...]")
        }
        let players = HonestPlayers(addresses: addresses, matches: matches)
        let acknowledged = try await players.play(until: .now + .milliseconds(Int(seconds * 1000)))
        let v = try await players.verify(acknowledged, device: "failover-checker-\(UInt64.random(in: 0...UInt64.max))")
        var o = JSONObject()
        o["matches"] = .int(acknowledged.count)
        o["moves_acknowledged"] = .int(v.acknowledged)
        o["moves_verified"] = .int(v.verified)
        o["findings"] = .array(v.findings.map { .string($0) })
        print(JSONValue.object(o).description)
        if v.verified != v.acknowledged || v.acknowledged == 0 || !v.findings.isEmpty { throw ExitCode(1) }
    }
}
