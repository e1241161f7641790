/// The rows `ply bench cold` puts straight into PostgreSQL: `matches` Reversi matches, half
/// of them finished (even numbers: after four plies one player resigned, which one chosen by
/// a hash of the number) and half
/// active and waiting on the first player (odd numbers), each with the four plies
/// `f5 d6 c3 d3` in `plies`, two `match_players` rows, and the players they need (one per
/// fifty matches, so each player is in about a hundred matches), with `player_stats` made
/// to agree with the finished matches.
///
/// Every id starts with `cold-` (`cold-m17`, `cold-p3`), which keeps the rows apart from
/// real ones and makes seeding resumable: rows are always added as one transaction
/// covering numbers `existing..<wanted`, so the rows present are numbers `0..<existing`.
///
/// PostgresNIO has no `COPY FROM` helper, so each table gets one
/// `INSERT ... SELECT ... FROM generate_series(...)`: the rows are made inside the server,
/// nothing crosses the wire per row, which is as fast as `COPY` for generated data.
public enum ColdSeed {
    public static let matchPrefix = "cold-m"
    public static let playerPrefix = "cold-p"
    /// Four legal Reversi plies from the start (`ply legal reversi --moves "f5;d6;c3;d3"`);
    /// Black (the first seat) is to move after them.
    public static let opening = ["f5", "d6", "c3", "d3"]
    public static let matchesPerPlayer = 50
    /// A year: the longest `turn_seconds` allowed, so waiting matches do not time out
    /// between runs.
    public static let turnSeconds = 31_536_000
    /// Public, so that the bench's reader, a player of none of them, may read them (`MATCH`
    /// of a private match is for its players).
    public static let settings = #"{"side":"first","turn_seconds":31536000,"public":true}"#
    /// Makes public the active matches of a seed made before they were (a cluster kept
    /// between runs); nothing once they are.
    public static let makePublicSQL = """
        UPDATE matches SET settings = (settings::jsonb || '{"public":true}')::json
        WHERE id >= '\(matchPrefix)' AND id < 'cold-n' AND id LIKE 'cold-m%' AND status = 'active'
          AND NOT (settings::jsonb ? 'public')
        """

    public static func matchID(_ n: Int) -> String { matchPrefix + String(n) }
    public static func playerID(_ n: Int) -> String { playerPrefix + String(n) }

    public static func players(forMatches n: Int) -> Int { max(2, (n + matchesPerPlayer - 1) / matchesPerPlayer) }

    /// Counts the seeded rows already present (an index range scan on each primary key).
    public static let countMatchesSQL =
        "SELECT count(*)::bigint FROM matches WHERE id >= '\(matchPrefix)' AND id < 'cold-n' AND id LIKE 'cold-m%'"
    public static let countPlayersSQL =
        "SELECT count(*)::bigint FROM players WHERE id >= '\(playerPrefix)' AND id < 'cold-q' AND id LIKE 'cold-p%'"

    /// The statements that take the seed from `existingMatches` to `matches` matches (and from
    /// `existingPlayers` to the players that many matches need), to run in one transaction.
    /// Empty when nothing is missing. Match `g` is played by players `g mod P` (first seat)
    /// and `(g + 1) mod P`, where P is `players(forMatches: matches)`; the players of
    /// earlier, smaller seeds are kept, so P only grows.
    public static func statements(matches: Int, existingMatches: Int, existingPlayers: Int) -> [String] {
        guard matches > existingMatches else { return [] }
        let p = max(players(forMatches: matches), existingPlayers)
        let first = existingMatches
        let last = matches - 1
        let a = "'\(playerPrefix)' || (g % \(p))"
        let b = "'\(playerPrefix)' || ((g + 1) % \(p))"
        let finished = "g % 2 = 0"
        let opening = "ARRAY[" + Self.opening.map { "'\($0)'" }.joined(separator: ",") + "]"
        var out: [String] = []
        if p > existingPlayers {
            out.append(
                """
                INSERT INTO players (id, name, created_at)
                SELECT '\(playerPrefix)' || g, 'Cold ' || g, now() FROM generate_series(\(existingPlayers), \(p - 1)) AS g
                ON CONFLICT (id) DO NOTHING
                """)
        }
        out.append(
            """
            INSERT INTO matches (id, game, settings, status, creator, invitee, seats, ply_count, to_move, deadline,
                                 result_winner, result_reason, created_at, updated_at)
            SELECT '\(matchPrefix)' || g, 'reversi', '\(settings)'::json,
                   CASE WHEN \(finished) THEN 'finished' ELSE 'active' END,
                   \(a), \(b), ARRAY[\(a), \(b)], \(Self.opening.count),
                   CASE WHEN \(finished) THEN NULL ELSE \(a) END,
                   CASE WHEN \(finished) THEN NULL ELSE now() + interval '\(turnSeconds) seconds' END,
                   CASE WHEN \(finished) THEN (CASE WHEN hashint8(g::bigint) % 2 = 0 THEN \(a) ELSE \(b) END) END,
                   CASE WHEN \(finished) THEN 'resign' END,
                   now(), now()
            FROM generate_series(\(first), \(last)) AS g
            ON CONFLICT (id) DO NOTHING
            """)
        out.append(
            """
            INSERT INTO match_players (match_id, player_id)
            SELECT '\(matchPrefix)' || g, '\(playerPrefix)' || ((g + s) % \(p))
            FROM generate_series(\(first), \(last)) AS g, generate_series(0, 1) AS s
            ON CONFLICT DO NOTHING
            """)
        out.append(
            """
            INSERT INTO plies (match_id, ply, move, played_at)
            SELECT '\(matchPrefix)' || g, k, (\(opening))[k], now()
            FROM generate_series(\(first), \(last)) AS g, generate_series(1, \(Self.opening.count)) AS k
            ON CONFLICT DO NOTHING
            """)
        // Results of all seeded finished matches, recomputed whole (so it stays right when a
        // later seed adds matches for the same players).
        out.append(
            """
            INSERT INTO player_stats (player_id, game, played, won, lost)
            SELECT player, 'reversi', count(*), count(*) FILTER (WHERE won), count(*) FILTER (WHERE NOT won)
            FROM (SELECT unnest(seats) AS player, unnest(seats) = result_winner AS won
                  FROM matches WHERE id LIKE '\(matchPrefix)%' AND status = 'finished') AS r
            GROUP BY player
            ON CONFLICT (player_id, game) DO UPDATE
            SET played = EXCLUDED.played, won = EXCLUDED.won, lost = EXCLUDED.lost
            """)
        return out
    }

    /// `count` distinct match numbers below `matches`, chosen at random (all of them when
    /// there are fewer).
    public static func sample<G: RandomNumberGenerator>(_ count: Int, of matches: Int, using rng: inout G) -> [Int] {
        guard count < matches else { return Array(0..<matches).shuffled(using: &rng) }
        var chosen = Set<Int>()
        var out: [Int] = []
        out.reserveCapacity(count)
        while out.count < count {
            let n = Int.random(in: 0..<matches, using: &rng)
            if chosen.insert(n).inserted { out.append(n) }
        }
        return out
    }
}
