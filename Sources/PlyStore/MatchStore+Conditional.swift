import Foundation
import Logging
import PostgresNIO

/// Conditional lines (Schema/008): each player's lines for a match, as text. A write is one
/// statement and durable when it returns; which lines are live is the engine's business.
extension MatchStore {
    /// The stored lines of a match by player, each as `<ply> <move>;<move>;...`.
    public func conditionalLines(of match: String) async throws -> [String: [String]] {
        let seq = try await database.query(
            "SELECT player_id, lines FROM conditional_lines WHERE match_id = \(match)", logger: logger)
        var out: [String: [String]] = [:]
        for try await (player, lines) in seq.decode((String, [String]).self) { out[player] = lines }
        return out
    }

    /// Replaces a player's lines for a match; no lines deletes the row.
    public func storeConditionalLines(match: String, player: String, lines: [String]) async throws {
        if lines.isEmpty {
            _ = try await database.query(
                "DELETE FROM conditional_lines WHERE match_id = \(match) AND player_id = \(player)", logger: logger)
        } else {
            _ = try await database.query(
                """
                INSERT INTO conditional_lines (match_id, player_id, lines, updated_at) VALUES (\(match), \(player), \(lines), now())
                ON CONFLICT (match_id, player_id) DO UPDATE SET lines = EXCLUDED.lines, updated_at = EXCLUDED.updated_at
                """, logger: logger)
        }
    }
}
