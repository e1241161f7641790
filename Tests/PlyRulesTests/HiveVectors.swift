import Foundation
import PlyRules
import Testing

/// Mzinga's reference data for Hive, read from `Tests/Vectors/hive/` (or, failing that,
/// the shared copy next to the repository).
enum HiveVectors {
    static let directory: String = {
        // Tests/PlyRulesTests/<file> -> package root is three levels up.
        let root = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let local = root.appendingPathComponent("Tests/Vectors/hive").path
        if FileManager.default.fileExists(atPath: local) { return local }
        return root.deletingLastPathComponent().appendingPathComponent("shared/vectors/hive").path
    }()

    static func text(_ name: String) -> String {
        let path = directory + "/" + name
        guard let s = try? String(contentsOfFile: path, encoding: .utf8) else {
            // An empty list would make parameterized tests pass vacuously; fail loudly.
            fatalError("missing reference file \(path)")
        }
        return s.replacingOccurrences(of: "\u{FEFF}", with: "")
    }

    static func lines(_ name: String) -> [String] {
        text(name).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    // MARK: Perft

    struct PerftRow: Sendable, CustomTestStringConvertible {
        let gameString: String
        let depth: Int
        let nodes: Int
        var testDescription: String { "\(gameString.split(separator: ";")[0]) depth \(depth)" }
    }

    static let gameTypes = ["Base", "BaseM", "BaseL", "BaseP", "BaseML", "BaseMP", "BaseLP", "BaseMLP"]

    static func perftRows(maxDepth: Int) -> [PerftRow] {
        gameTypes.flatMap { type in
            lines("Board_\(type)_PerftTest.csv").compactMap { line -> PerftRow? in
                let f = line.split(separator: "\t")
                guard !line.hasPrefix("#"), f.count == 3, let d = Int(f[1]), let n = Int(f[2]), d <= maxDepth else { return nil }
                return PerftRow(gameString: String(f[0]), depth: d, nodes: n)
            }
        }
    }

    // MARK: Legal move sets

    struct ValidMovesRow: Sendable, CustomTestStringConvertible {
        let file: String
        let line: Int
        let gameString: String
        let moves: [String]
        var testDescription: String { "\(file):\(line)" }
    }

    static let validMovesFiles = [
        "Board_ValidMovesFromRealGamesTest.csv", "Board_ValidMovesForBeetleTest.csv",
        "Board_ValidMovesForGrasshopperTest.csv", "Board_ValidMovesForLadybugTest.csv",
        "Board_ValidMovesForMosquitoTest.csv", "Board_ValidMovesForPillbugTest.csv",
        "Board_ValidMovesForQueenBeeTest.csv", "Board_ValidMovesForSoldierAntTest.csv",
        "Board_ValidMovesForSpiderTest.csv",
    ]

    static func validMovesRows() -> [ValidMovesRow] {
        validMovesFiles.flatMap { file in
            text(file).split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { i, raw in
                let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                let f = line.split(separator: "\t")
                guard !line.hasPrefix("#"), f.count == 2 else { return nil }
                let moves = f[1].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                return ValidMovesRow(file: file, line: i + 1, gameString: String(f[0]), moves: moves)
            }
        }
    }

    // MARK: Illegal moves

    struct InvalidMoveRow: Sendable, CustomTestStringConvertible {
        let reason: String
        let gameString: String
        let move: String
        var testDescription: String { "\(move) (\(reason))" }
    }

    /// Each group of illegal moves in Mzinga's file is headed by the message Mzinga gives;
    /// this is the stable rule word our rules report for it.
    static let ruleForReason: [String: String] = [
        "You can't play, the game is over.": "game_over",
        "It's not that player's turn.": "not_your_turn",
        "That piece is not enabled in this game.": "piece_not_in_game",
        "You can't put a piece back into your hand.": "back_to_hand",
        "You can't play your Queen Bee on your first turn.": "queen_first_turn",
        "You must play your Queen Bee on or before your fourth turn.": "queen_by_fourth_turn",
        "You can't move a piece in play until you've played your Queen Bee.": "queen_not_placed",
        "When there are multiple pieces of the same bug type, you must play the pieces in order.": "piece_order",
        "You can't move there because a piece already exists at that position.": "occupied",
        "You can't move that piece because it has another piece on top of it.": "covered",
        "You can't move that piece because it will break the hive.": "one_hive",
        "You can't pass, the game is over.": "game_over",
        "You can't pass when you have valid moves.": "pass_not_allowed",
    ]

    static func invalidMoveRows() -> [InvalidMoveRow] {
        var reason = ""
        var rows: [InvalidMoveRow] = []
        for line in lines("Board_InvalidMovesByRuleTest.csv") {
            if line.hasPrefix("#") {
                reason = line.dropFirst().trimmingCharacters(in: .whitespaces)
                continue
            }
            let f = line.split(separator: "\t")
            guard f.count == 2 else { continue }
            rows.append(InvalidMoveRow(reason: reason, gameString: String(f[0]), move: String(f[1])))
        }
        return rows
    }

    // MARK: Recorded games

    struct RecordedGame: Sendable, CustomTestStringConvertible {
        let file: String
        let gameType: String
        let result: String
        let moves: [String]
        var testDescription: String { file }
    }

    static func games() -> [RecordedGame] {
        let dir = directory + "/games"
        guard let listed = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            fatalError("missing reference folder \(dir)")
        }
        let files = listed.filter { $0.hasSuffix(".pgn") }.sorted()
        return files.map { file in
            var type = "", result = ""
            var moves: [String] = []
            for line in lines("games/" + file) where !line.isEmpty {
                if line.hasPrefix("[") {
                    let parts = line.dropFirst().dropLast().split(separator: " ", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    if parts[0] == "GameType" { type = value }
                    if parts[0] == "Result" { result = value }
                } else if let dot = line.firstIndex(of: "."), line[..<dot].allSatisfy(\.isNumber), dot > line.startIndex {
                    moves.append(line[line.index(after: dot)...].trimmingCharacters(in: .whitespaces))
                }
            }
            return RecordedGame(file: file, gameType: type, result: result, moves: moves)
        }
    }
}
