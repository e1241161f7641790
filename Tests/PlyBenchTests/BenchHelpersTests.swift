import Foundation
import PlyBench
import Testing

@Suite struct SourceAddressTests {
    @Test func oneAddressPerFourThousandConnections() {
        #expect(SourceAddresses(connections: 10, target: "127.0.0.1", offset: 0).addresses == ["127.0.0.2"])
        #expect(SourceAddresses(connections: 4_000, target: "127.0.0.1").addresses.count == 1)
        #expect(SourceAddresses(connections: 4_001, target: "127.0.0.1").addresses.count == 2)
        #expect(
            SourceAddresses(connections: 12_000, target: "127.0.0.1", offset: 0).addresses == [
                "127.0.0.2", "127.0.0.3", "127.0.0.4",
            ])
        #expect(SourceAddresses(connections: 50_000, target: "127.0.0.1").addresses.count == 13)
    }

    @Test func connectionsTakeTheAddressesInTurn() {
        let s = SourceAddresses(connections: 12_000, target: "127.0.0.1", offset: 0)
        #expect((0..<6).map { s.address(for: $0) } == [
            "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.2", "127.0.0.3", "127.0.0.4",
        ])
        // Each address gets at most ceil(N / k) connections, well under one address's ports.
        var perAddress: [String: Int] = [:]
        for i in 0..<12_000 { perAddress[s.address(for: i)!, default: 0] += 1 }
        #expect(perAddress.values.max()! <= 4_000)
    }

    @Test func eachRunStartsAtItsOwnOffsetAndStaysOnLoopback() {
        let s = SourceAddresses(connections: 12_000, target: "127.0.0.1", offset: 253)
        #expect(s.addresses == ["127.0.0.255", "127.0.1.0", "127.0.1.1"])
        // The last addresses wrap to the first, never past 127.15.255.255.
        let end = SourceAddresses(connections: 12_000, target: "127.0.0.1", offset: SourceAddresses.addressSpace - 1)
        #expect(end.addresses == ["127.15.255.255", "127.0.0.2", "127.0.0.3"])
        for _ in 0..<100 {
            let r = SourceAddresses(connections: 100_000, target: "127.0.0.1")
            #expect(r.addresses.count == 25)
            #expect(r.addresses.allSatisfy { $0.hasPrefix("127.") && $0 != "127.0.0.1" })
        }
    }

    @Test func addressesPastTheLastOctetCarry() {
        #expect(SourceAddresses.loopback(0) == "127.0.0.2")
        #expect(SourceAddresses.loopback(253) == "127.0.0.255")
        #expect(SourceAddresses.loopback(254) == "127.0.1.0")
    }

    @Test func noBindingForOtherTargetsOrWhenAskedForNone() {
        #expect(SourceAddresses(connections: 50_000, target: "10.0.0.5").addresses.isEmpty)
        #expect(SourceAddresses(connections: 50_000, target: "::1").addresses.isEmpty)
        #expect(SourceAddresses(connections: 50_000, target: "localhost").addresses.isEmpty)
        let none = SourceAddresses(connections: 50_000, target: "127.0.0.1", count: 0)
        #expect(none.address(for: 7) == nil)
        #expect(SourceAddresses(connections: 10, target: "127.0.0.1", count: 4).addresses.count == 4)
    }
}

@Suite struct ColdSeedTests {
    @Test func nothingToDoWhenTheSeedIsComplete() {
        #expect(ColdSeed.statements(matches: 1000, existingMatches: 1000, existingPlayers: 20).isEmpty)
        #expect(ColdSeed.statements(matches: 500, existingMatches: 1000, existingPlayers: 20).isEmpty)
    }

    @Test func freshSeedMakesEveryTableFromGenerateSeries() {
        let s = ColdSeed.statements(matches: 1_000_000, existingMatches: 0, existingPlayers: 0)
        #expect(s.count == 5)
        #expect(s[0].contains("INSERT INTO players"))
        #expect(s[0].contains("generate_series(0, 19999)"))
        #expect(s[1].contains("INSERT INTO matches"))
        #expect(s[1].contains("generate_series(0, 999999)"))
        #expect(s[1].contains("% 20000"))
        #expect(s[2].contains("INSERT INTO match_players"))
        #expect(s[3].contains("INSERT INTO plies"))
        #expect(s[3].contains("ARRAY['f5','d6','c3','d3']"))
        #expect(s[3].contains("generate_series(1, 4)"))
        #expect(s[4].contains("INSERT INTO player_stats"))
        // Every statement is one statement (the extended protocol takes no more).
        #expect(s.allSatisfy { !$0.contains(";") })
    }

    @Test func resumedSeedAddsOnlyTheMissingNumbers() {
        let s = ColdSeed.statements(matches: 5000, existingMatches: 1000, existingPlayers: 20)
        #expect(s[0].contains("generate_series(20, 99)"))
        #expect(s[1].contains("generate_series(1000, 4999)"))
        #expect(s[1].contains("% 100"))
        // Players already there and enough: no player insert, and P never shrinks.
        let t = ColdSeed.statements(matches: 1200, existingMatches: 1000, existingPlayers: 100)
        #expect(!t[0].contains("INSERT INTO players"))
        #expect(t[0].contains("% 100"))
    }

    @Test func idsAndPlayerCounts() {
        #expect(ColdSeed.matchID(17) == "cold-m17")
        #expect(ColdSeed.playerID(3) == "cold-p3")
        #expect(ColdSeed.players(forMatches: 1) == 2)
        #expect(ColdSeed.players(forMatches: 1000) == 20)
        #expect(ColdSeed.players(forMatches: 1001) == 21)
    }

    @Test func sampleIsDistinctAndInRange() {
        var rng = SystemRandomNumberGenerator()
        let s = ColdSeed.sample(1000, of: 1_000_000, using: &rng)
        #expect(s.count == 1000)
        #expect(Set(s).count == 1000)
        #expect(s.allSatisfy { (0..<1_000_000).contains($0) })
        #expect(Set(ColdSeed.sample(1000, of: 10, using: &rng)) == Set(0..<10))
    }
}

@Suite struct FsyncBenchTests {
    @Test func timesEachFlushAndRemovesItsFile() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/ply-fsync-test-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try FsyncBench.run(.init(directory: directory, duration: .milliseconds(300), interval: .milliseconds(5)))
        // Paced at 5 ms, 300 ms hold at most 60 flushes, and any disk manages a few.
        #expect(result.flushes.count >= 3 && result.flushes.count <= 60, "\(result.flushes.count) flushes")
        #expect(result.flushes.milliseconds.allSatisfy { $0 >= 0 })
        let figures = Dictionary(uniqueKeysWithValues: result.report.figures.map { ($0.name, $0.value) })
        #expect(figures["flushes"] == Double(result.flushes.count))
        #expect(figures["stalls"] == Double(result.flushes.milliseconds.filter { $0 > 20 }.count))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "the probe's file is gone")
    }

    @Test func aMissingDirectoryIsAnError() {
        #expect(throws: FsyncBench.Failure.self) {
            try FsyncBench.run(.init(directory: "/nonexistent/ply", duration: .milliseconds(10)))
        }
    }
}
