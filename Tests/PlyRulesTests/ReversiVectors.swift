import Foundation
import Testing

/// Reference data under `Tests/Vectors/reversi/`, found from this file's path (the
/// package root is three levels up).
enum ReversiVectors {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Vectors/reversi")

    /// Lines of a vector file, without comments and blank lines.
    static func lines(_ name: String) -> [String] {
        let url = folder.appendingPathComponent(name)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            // An empty list would make parameterized tests pass vacuously; fail loudly.
            fatalError("missing reference file \(url.path)")
        }
        return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    struct PerftRow: Sendable, CustomTestStringConvertible {
        let depth: Int
        let nodes: Int
        var testDescription: String { "depth \(depth): \(nodes)" }
    }

    static let perft: [PerftRow] = lines("perft.txt").map { line in
        let f = line.split(separator: " ")
        return PerftRow(depth: Int(f[0])!, nodes: Int(f[1])!)
    }

    /// A recorded game and its published result.
    struct Game: Sendable, CustomTestStringConvertible {
        let event: String
        let black: String
        let white: String
        let blackDiscs: Int
        let whiteDiscs: Int
        /// Lower-case squares, as published (no passes).
        let moves: [String]
        var testDescription: String { "\(event): \(black) \(blackDiscs)-\(whiteDiscs) \(white)" }
    }

    static let games: [Game] = lines("games.tsv").map { line in
        let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        let text = Array(f[5].lowercased())
        let moves = stride(from: 0, to: text.count, by: 2).map { String(text[$0..<$0 + 2]) }
        return Game(event: f[0], black: f[1], white: f[2], blackDiscs: Int(f[3])!, whiteDiscs: Int(f[4])!, moves: moves)
    }

    static func game(_ eventPrefix: String) -> Game {
        guard let g = games.first(where: { $0.event.hasPrefix(eventPrefix) }) else {
            fatalError("no recorded game \"\(eventPrefix)\" in games.tsv")
        }
        return g
    }
}
