-- Correspondence clocks, vacations, deadline reminders and email digests (issue 21, part A).
--
-- A clock is never a timer: the player to move has the stored `deadline` (the end of their
-- bank, or of the fixed turn), and `clock_banks` keeps each seat's bank in whole seconds as
-- it stood after that seat's last move. `paused_until` holds, by seat, the end of a vacation
-- (seconds since 1970, 0: none) that was already added to the deadlines. `remind_at` is when
-- the player to move gets `deadline_soon`, cleared once sent, so the reminder poll is an
-- index range scan like the deadline poll.
ALTER TABLE matches ADD COLUMN IF NOT EXISTS clock_banks bigint[];
ALTER TABLE matches ADD COLUMN IF NOT EXISTS paused_until bigint[];
ALTER TABLE matches ADD COLUMN IF NOT EXISTS remind_at timestamptz;
CREATE INDEX IF NOT EXISTS matches_remind ON matches (remind_at) WHERE status = 'active' AND remind_at IS NOT NULL;
-- Matches under way get their reminder as if their turn had just begun (a quarter of the
-- time per turn, at most a day, before the deadline).
UPDATE matches SET remind_at = deadline - make_interval(secs =>
        least(coalesce((settings->>'turn_seconds')::float8, 259200) / 4, 86400))
    WHERE status = 'active' AND deadline IS NOT NULL AND remind_at IS NULL;

-- Vacation: the end of the one in force (or the last), when it began, and the days used in
-- the calendar year `vacation_year` (UTC).
ALTER TABLE players ADD COLUMN IF NOT EXISTS vacation_until timestamptz;
ALTER TABLE players ADD COLUMN IF NOT EXISTS vacation_started timestamptz;
ALTER TABLE players ADD COLUMN IF NOT EXISTS vacation_year int NOT NULL DEFAULT 0;
ALTER TABLE players ADD COLUMN IF NOT EXISTS vacation_days_used int NOT NULL DEFAULT 0;

ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('your_turn', 'challenge', 'ended', 'deadline_soon'));

-- A digest row (kind 'digest') lists the matches waiting for the player when it was made:
-- [{"match","game","opponent","ply","deadline"}...].
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS matches json;
CREATE INDEX IF NOT EXISTS outbox_digests ON outbox (player_id, created_at) WHERE kind = 'digest';

-- ply_commit_v1 (005) with the new columns of matches: the same parameters, then the
-- banks, pauses (comma-separated integers, '' for NULL) and reminder times (-1 for NULL)
-- of new and changed matches.
CREATE PROCEDURE ply_commit_v2(
    n_id text[], n_status text[], n_seats text[], n_ply_count bigint[], n_to_move text[], n_deadline float8[],
    n_winner text[], n_reason text[], n_updated float8[],
    n_game text[], n_settings text[], n_creator text[], n_invitee text[], n_created float8[],
    j_match text[], j_player text[],
    u_id text[], u_status text[], u_seats text[], u_ply_count bigint[], u_to_move text[], u_deadline float8[],
    u_winner text[], u_reason text[], u_updated float8[],
    p_match text[], p_ply bigint[], p_move text[], p_at float8[],
    s_player text[], s_game text[], s_played bigint[], s_won bigint[], s_lost bigint[], s_drawn bigint[],
    s_rating float8[], s_deviation float8[], s_volatility float8[],
    n_banks text[], n_paused text[], n_remind float8[], u_banks text[], u_paused text[], u_remind float8[])
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(n_id) > 0 THEN
        INSERT INTO matches (id, game, settings, status, creator, invitee, seats, ply_count, to_move, deadline,
                             result_winner, result_reason, created_at, updated_at,
                             clock_banks, paused_until, remind_at)
        SELECT n.id, n.game, n.settings::json, n.status, n.creator, NULLIF(n.invitee, ''),
               CASE WHEN n.seats = '' THEN '{}'::text[] ELSE string_to_array(n.seats, ',') END,
               n.ply_count, NULLIF(n.to_move, ''),
               CASE WHEN n.deadline < 0 THEN NULL ELSE to_timestamp(n.deadline) END,
               NULLIF(n.winner, ''), NULLIF(n.reason, ''), to_timestamp(n.created), to_timestamp(n.updated),
               CASE WHEN n.banks = '' THEN NULL ELSE string_to_array(n.banks, ',')::bigint[] END,
               CASE WHEN n.paused = '' THEN NULL ELSE string_to_array(n.paused, ',')::bigint[] END,
               CASE WHEN n.remind < 0 THEN NULL ELSE to_timestamp(n.remind) END
        FROM unnest(n_id, n_status, n_seats, n_ply_count, n_to_move, n_deadline, n_winner, n_reason, n_updated,
                    n_game, n_settings, n_creator, n_invitee, n_created, n_banks, n_paused, n_remind)
             AS n(id, status, seats, ply_count, to_move, deadline, winner, reason, updated,
                  game, settings, creator, invitee, created, banks, paused, remind);
    END IF;
    IF cardinality(j_match) > 0 THEN
        INSERT INTO match_players (match_id, player_id)
        SELECT * FROM unnest(j_match, j_player) ON CONFLICT DO NOTHING;
    END IF;
    WITH u AS (
        UPDATE matches m SET status = u.status,
            seats = CASE WHEN u.seats = '' THEN '{}'::text[] ELSE string_to_array(u.seats, ',') END,
            ply_count = u.ply_count, to_move = NULLIF(u.to_move, ''),
            deadline = CASE WHEN u.deadline < 0 THEN NULL ELSE to_timestamp(u.deadline) END,
            result_winner = NULLIF(u.winner, ''), result_reason = NULLIF(u.reason, ''),
            updated_at = to_timestamp(u.updated),
            clock_banks = CASE WHEN u.banks = '' THEN NULL ELSE string_to_array(u.banks, ',')::bigint[] END,
            paused_until = CASE WHEN u.paused = '' THEN NULL ELSE string_to_array(u.paused, ',')::bigint[] END,
            remind_at = CASE WHEN u.remind < 0 THEN NULL ELSE to_timestamp(u.remind) END
        FROM unnest(u_id, u_status, u_seats, u_ply_count, u_to_move, u_deadline, u_winner, u_reason, u_updated,
                    u_banks, u_paused, u_remind)
             AS u(id, status, seats, ply_count, to_move, deadline, winner, reason, updated, banks, paused, remind)
        WHERE m.id = u.id
    ), p AS (
        INSERT INTO plies (match_id, ply, move, played_at)
        SELECT u.id, u.ply, u.move, to_timestamp(u.at)
        FROM unnest(p_match, p_ply, p_move, p_at) AS u(id, ply, move, at)
    )
    INSERT INTO player_stats (player_id, game, played, won, lost, drawn, rating, deviation, volatility)
        SELECT * FROM unnest(s_player, s_game, s_played, s_won, s_lost, s_drawn, s_rating, s_deviation, s_volatility)
        ON CONFLICT (player_id, game) DO UPDATE SET played = EXCLUDED.played, won = EXCLUDED.won,
            lost = EXCLUDED.lost, drawn = EXCLUDED.drawn, rating = EXCLUDED.rating,
            deviation = EXCLUDED.deviation, volatility = EXCLUDED.volatility;
    COMMIT;
END
$$;
