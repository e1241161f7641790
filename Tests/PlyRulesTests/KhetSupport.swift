import Foundation
import PlyRules
import Testing

/// Shared helpers for the Khet suites: the README's setup lines and small position builders.
enum KhetSupport {
    static let rules = Khet()

    /// What repetition compares, for counting it without the position's own history.
    struct RepetitionKey: Hashable {
        var pieces: [Khet.Square: Khet.Piece]
        var toMove: Int
    }

    /// The reference README, preferring the copy committed under `Tests/Vectors/khet/`.
    static func readme() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for candidate in ["Tests/Vectors/khet/README.md", "../shared/vectors/README.md"] {
            let url = root.appendingPathComponent(candidate)
            if let text = try? String(contentsOf: url, encoding: .utf8) { return text }
        }
        throw CocoaError(.fileNoSuchFile)
    }

    /// One piece as the README writes it, with the owner and the square spelled out.
    struct Row: Hashable, CustomStringConvertible {
        var square: String
        var owner: Int
        var kind: String  // Pyr, Anu, Pha, Sca, Sph
        var facing: String  // NW, N, /, or empty
        var description: String { "\(square) \(owner == 0 ? "silver" : "red") \(kind) \(facing)" }
    }

    /// Silver's setup for `layout` read from the README's Khet section ("- Classic: c1 Pyr NW, ..."),
    /// joining the lines an item wraps onto.
    static func silverRows(_ layout: String) throws -> [Row] {
        let text = try readme()
        let khet = try #require(text.range(of: "## Khet 2.0")).upperBound
        let lines = text[khet...].split(separator: "\n", omittingEmptySubsequences: false)
        let head = "- \(layout.prefix(1).uppercased())\(layout.dropFirst()):"
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix(head) })
        var item = String(lines[start].trimmingCharacters(in: .whitespaces).dropFirst(head.count))
        for line in lines[(start + 1)...] {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty || t.hasPrefix("-") { break }
            item += " " + t
        }
        return item.split(separator: ",").map { entry in
            let parts = entry.split(separator: " ").map(String.init)
            return Row(square: parts[0], owner: 0, kind: parts[1], facing: parts.count > 2 ? parts[2] : "")
        }
    }

    /// Red's copy of a Silver row: square (f, r) goes to (a+j-f, 9-r), facings reversed.
    static func redRow(_ row: Row) -> Row {
        let file = row.square.unicodeScalars.first!.value
        let rank = Int(row.square.dropFirst())!
        let square = String(UnicodeScalar(UInt8(97 + 106 - Int(file)))) + String(9 - rank)
        let opposite: [Character: Character] = ["N": "S", "S": "N", "E": "W", "W": "E"]
        let facing = row.kind == "Sca" ? row.facing : String(row.facing.map { opposite[$0]! })
        return Row(square: square, owner: 1, kind: row.kind, facing: facing)
    }

    /// The README's abbreviation for a piece kind.
    static func abbreviation(_ kind: Khet.Kind) -> String {
        switch kind {
        case .pyramid: "Pyr"
        case .anubis: "Anu"
        case .scarab: "Sca"
        case .pharaoh: "Pha"
        case .sphinx: "Sph"
        }
    }

    static func square(_ name: String) -> Khet.Square { Khet.Square(name)! }

    /// A position from `"e4": piece` pairs.
    static func position(_ pieces: [String: Khet.Piece], toMove: Int = 0) -> Khet.Position {
        Khet.Position(pieces: Dictionary(uniqueKeysWithValues: pieces.map { (square($0.key), $0.value) }), sideToMove: toMove)
    }

    /// The rule a move breaks, or nil if it is legal.
    static func brokenRule(_ move: String, in position: Khet.Position) -> String? {
        do {
            _ = try rules.apply(notation: move, to: position)
            return nil
        } catch {
            return error.rule
        }
    }

    static func play(_ moves: [String], from position: Khet.Position) throws -> Khet.Position {
        var p = position
        for m in moves { p = try rules.apply(notation: m, to: p) }
        return p
    }
}
