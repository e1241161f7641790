import Foundation
import PlyRules
import Testing

/// Mzinga's valid-move lists, read from `Tests/Vectors/hive/`.
enum HiveReference {
    static let directory: String = {
        let root = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("Vectors/hive").path
    }()

    struct Row: Sendable, CustomStringConvertible {
        let file: String
        let line: Int
        let gameString: String
        let moves: [String]
        var description: String { "\(file):\(line)" }
        /// Per-bug files list only the moves of the bugs they are about.
        var complete: Bool { file.contains("RealGames") }
    }

    static let files = [
        "Board_ValidMovesFromRealGamesTest.csv", "Board_ValidMovesForBeetleTest.csv",
        "Board_ValidMovesForGrasshopperTest.csv", "Board_ValidMovesForLadybugTest.csv",
        "Board_ValidMovesForMosquitoTest.csv", "Board_ValidMovesForPillbugTest.csv",
        "Board_ValidMovesForQueenBeeTest.csv", "Board_ValidMovesForSoldierAntTest.csv",
        "Board_ValidMovesForSpiderTest.csv",
    ]

    static func rows() -> [Row] {
        files.flatMap { file -> [Row] in
            let path = directory + "/" + file
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fatalError("missing \(path)") }
            return text.replacingOccurrences(of: "\u{FEFF}", with: "").split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated().compactMap { i, raw in
                    let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                    let f = line.split(separator: "\t")
                    guard !line.hasPrefix("#"), f.count == 2 else { return nil }
                    return Row(
                        file: file, line: i + 1, gameString: String(f[0]),
                        moves: f[1].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) })
                }
        }
    }

    /// The engine's list against the reference: what is missing and what is extra.
    static func compare(_ row: Row, _ ours: [String]) -> (missing: [String], extra: [String]) {
        let theirs = Set(row.moves)
        var mine = Set(ours)
        if !row.complete {
            let pieces = Set(row.moves.map { String($0.prefix { $0 != " " }) })
            mine = mine.filter { pieces.contains(String($0.prefix { $0 != " " })) }
        }
        return (theirs.subtracting(mine).sorted(), mine.subtracting(theirs).sorted())
    }

    /// The recorded games (`games/*.pgn`): game type and moves.
    static func games() -> [(file: String, gameType: String, moves: [String])] {
        let dir = directory + "/games"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".pgn") }.sorted()
        return files.map { file in
            let text = (try? String(contentsOfFile: dir + "/" + file, encoding: .utf8)) ?? ""
            var type = "Base"
            var moves: [String] = []
            for raw in text.split(whereSeparator: \.isNewline) {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("[GameType") { type = line.split(separator: "\"")[1].description }
                if let dot = line.firstIndex(of: "."), dot > line.startIndex, line[..<dot].allSatisfy(\.isNumber) {
                    moves.append(line[line.index(after: dot)...].trimmingCharacters(in: .whitespaces))
                }
            }
            return (file, type, moves)
        }
    }
}

/// How long a call took, by the wall clock and by the CPU time of the thread it ran on.
struct Timing {
    var wall: Duration
    var cpu: Duration

    /// A search stops itself by the wall clock, so it may overrun its budget only by the
    /// time the machine took its thread away (the tests around run in parallel on two
    /// cores). The thread's own CPU time must stay within the budget; the wall clock gets
    /// a second of slack for the scheduler, which still catches a search that ignores it.
    func expectWithin(_ budget: Duration, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(cpu < budget, "\(what): \(cpu) of CPU for \(budget)", sourceLocation: sourceLocation)
        #expect(wall < budget + .seconds(1), "\(what): \(wall) for \(budget)", sourceLocation: sourceLocation)
    }
}

private func threadCPUTime() -> Duration {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return .seconds(t.tv_sec) + .nanoseconds(t.tv_nsec)
}

/// Runs `body` on this thread and times it.
func timed(_ body: () throws -> Void) rethrows -> Timing {
    let clock = ContinuousClock()
    let (start, startCPU) = (clock.now, threadCPUTime())
    try body()
    return Timing(wall: clock.now - start, cpu: threadCPUTime() - startCPU)
}
