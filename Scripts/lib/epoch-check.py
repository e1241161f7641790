# The epoch check alone, in PostgreSQL (Scripts/bench-failover): prints SQL that makes 64
# active matches, then ROUNDS rounds alternating epoch -1 (no check) and EPOCH (the held
# lease: checked), each CALLS calls of ply_commit_v3 with 64 plies and 64 match updates, the
# batch of a group commit at 64 busy matches. Each round reports its microseconds per call.
# synchronous_commit is off so the disk's flushes do not drown the difference.
#
# Usage: python3 Scripts/lib/epoch-check.py ROUNDS CALLS EPOCH | psql URL
import sys
rounds, calls, epoch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
M = 64
print("SET synchronous_commit = off;")
print("INSERT INTO players (id, name) VALUES ('eb', 'EB') ON CONFLICT DO NOTHING;")
print("INSERT INTO matches (id, game, settings, status, creator, seats, ply_count, created_at, updated_at) "
      f"SELECT 'eb' || g, 'reversi', '{{}}', 'active', 'eb', ARRAY['eb','eb'], 0, now(), now() FROM generate_series(1, {M}) g "
      "ON CONFLICT DO NOTHING;")
empty_t, empty_b, empty_f = "'{}'::text[]", "'{}'::bigint[]", "'{}'::float8[]"
def call(ply_expr, ep):
    ids = "ids"
    rep = lambda v, t: f"array_fill({v}::{t}, ARRAY[{M}])"
    new = [empty_t]*3 + [empty_b, empty_t, empty_f, empty_t, empty_t, empty_f] + [empty_t]*4 + [empty_f]
    join = [empty_t, empty_t]
    upd = [ids, rep("'active'", "text"), rep("'eb,eb'", "text"), rep(ply_expr, "bigint"), rep("'eb'", "text"),
           rep("(extract(epoch from now()) + 3600)", "float8"), rep("''", "text"), rep("''", "text"), rep("(extract(epoch from now()))", "float8")]
    plies = [ids, rep(ply_expr, "bigint"), rep("'f5'", "text"), rep("(extract(epoch from now()))", "float8")]
    stats = [empty_t, empty_t] + [empty_b]*4 + [empty_f]*3
    clocks = [empty_t, empty_t, empty_f, rep("''", "text"), rep("''", "text"), rep("-1", "float8")]
    args = new + join + upd + plies + stats + clocks + [str(ep)]
    assert len(args) == 45, len(args)
    return "CALL ply_commit_v3(" + ", ".join(args) + ");"
print("CREATE TEMP TABLE eb_ply (n bigint); INSERT INTO eb_ply VALUES (0);")
for r in range(rounds):
    for ep in (-1, epoch):
        print(f"""DO $$
DECLARE i int; t0 timestamptz; p bigint; ids text[] := (SELECT array_agg('eb' || g ORDER BY g) FROM generate_series(1, 64) g);
BEGIN
  t0 := clock_timestamp();
  FOR i IN 1..{calls} LOOP
    UPDATE eb_ply SET n = n + 1 RETURNING n INTO p;
    {call('p', ep)}
  END LOOP;
  RAISE NOTICE 'round {r + 1} epoch {ep}: % us per call', round(extract(epoch from clock_timestamp() - t0) * 1e6 / {calls});
END $$;""")
