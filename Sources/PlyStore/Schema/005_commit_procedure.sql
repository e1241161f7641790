-- One transaction of critical writes in one round trip. The writer CALLs this procedure
-- outside any transaction; it writes the batch and commits inside, so the CALL's reply
-- comes only once the batch is durable. (A lone statement's implicit transaction commits at
-- Sync, after its reply has been sent, so that reply is no proof; an explicit BEGIN ...
-- COMMIT costs a second round trip.) Rows come column by column as arrays; an empty text
-- and -1 stand for NULL; counts come as bigint, as the client sends them. New matches and their players go first, then the changes in one
-- statement, which sees them, being a later statement.
CREATE PROCEDURE ply_commit_v1(
    n_id text[], n_status text[], n_seats text[], n_ply_count bigint[], n_to_move text[], n_deadline float8[],
    n_winner text[], n_reason text[], n_updated float8[],
    n_game text[], n_settings text[], n_creator text[], n_invitee text[], n_created float8[],
    j_match text[], j_player text[],
    u_id text[], u_status text[], u_seats text[], u_ply_count bigint[], u_to_move text[], u_deadline float8[],
    u_winner text[], u_reason text[], u_updated float8[],
    p_match text[], p_ply bigint[], p_move text[], p_at float8[],
    s_player text[], s_game text[], s_played bigint[], s_won bigint[], s_lost bigint[], s_drawn bigint[],
    s_rating float8[], s_deviation float8[], s_volatility float8[])
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(n_id) > 0 THEN
        INSERT INTO matches (id, game, settings, status, creator, invitee, seats, ply_count, to_move, deadline,
                             result_winner, result_reason, created_at, updated_at)
        SELECT n.id, n.game, n.settings::json, n.status, n.creator, NULLIF(n.invitee, ''),
               CASE WHEN n.seats = '' THEN '{}'::text[] ELSE string_to_array(n.seats, ',') END,
               n.ply_count, NULLIF(n.to_move, ''),
               CASE WHEN n.deadline < 0 THEN NULL ELSE to_timestamp(n.deadline) END,
               NULLIF(n.winner, ''), NULLIF(n.reason, ''), to_timestamp(n.created), to_timestamp(n.updated)
        FROM unnest(n_id, n_status, n_seats, n_ply_count, n_to_move, n_deadline, n_winner, n_reason, n_updated,
                    n_game, n_settings, n_creator, n_invitee, n_created)
             AS n(id, status, seats, ply_count, to_move, deadline, winner, reason, updated,
                  game, settings, creator, invitee, created);
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
            updated_at = to_timestamp(u.updated)
        FROM unnest(u_id, u_status, u_seats, u_ply_count, u_to_move, u_deadline, u_winner, u_reason, u_updated)
             AS u(id, status, seats, ply_count, to_move, deadline, winner, reason, updated)
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
