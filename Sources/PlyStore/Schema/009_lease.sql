-- The primary lease (issue 23): which server may write, and since which epoch. Depends
-- only on 007 (ply_commit_v2).
--
-- One row. A server takes the lease when it has expired (by PostgreSQL's clock, so the
-- servers' clocks never matter), which bumps the epoch; the holder renews it well before it
-- expires. `epoch` is a key column (its unique index), so taking the lease locks the row
-- FOR UPDATE, while a renewal (only `expires_at`) takes a lock that commits' FOR KEY SHARE
-- does not wait for.
CREATE TABLE IF NOT EXISTS ply_lease (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    epoch      bigint NOT NULL UNIQUE,
    holder     text NOT NULL,
    taken_at   timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- Fails with SQLSTATE PY001 unless `w_epoch` still holds the lease (a negative epoch:
-- a server that runs without the lease, which is not checked). The FOR KEY SHARE lock
-- holds until the caller's transaction ends, so a takeover (which changes the epoch) waits
-- for a commit that passed this check, and a commit that comes after a takeover fails it.
CREATE OR REPLACE FUNCTION ply_check_epoch(w_epoch bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF w_epoch < 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM ply_lease WHERE epoch = w_epoch FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'fenced: epoch % no longer holds the primary lease', w_epoch USING ERRCODE = 'PY001';
    END IF;
END
$$;

-- ply_commit_v2 behind the epoch check, in one transaction: the writer's epoch is the last
-- parameter.
CREATE PROCEDURE ply_commit_v3(
    n_id text[], n_status text[], n_seats text[], n_ply_count bigint[], n_to_move text[], n_deadline float8[],
    n_winner text[], n_reason text[], n_updated float8[],
    n_game text[], n_settings text[], n_creator text[], n_invitee text[], n_created float8[],
    j_match text[], j_player text[],
    u_id text[], u_status text[], u_seats text[], u_ply_count bigint[], u_to_move text[], u_deadline float8[],
    u_winner text[], u_reason text[], u_updated float8[],
    p_match text[], p_ply bigint[], p_move text[], p_at float8[],
    s_player text[], s_game text[], s_played bigint[], s_won bigint[], s_lost bigint[], s_drawn bigint[],
    s_rating float8[], s_deviation float8[], s_volatility float8[],
    n_banks text[], n_paused text[], n_remind float8[], u_banks text[], u_paused text[], u_remind float8[],
    w_epoch bigint)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ply_check_epoch(w_epoch);
    CALL ply_commit_v2(
        n_id, n_status, n_seats, n_ply_count, n_to_move, n_deadline, n_winner, n_reason, n_updated,
        n_game, n_settings, n_creator, n_invitee, n_created,
        j_match, j_player,
        u_id, u_status, u_seats, u_ply_count, u_to_move, u_deadline, u_winner, u_reason, u_updated,
        p_match, p_ply, p_move, p_at,
        s_player, s_game, s_played, s_won, s_lost, s_drawn, s_rating, s_deviation, s_volatility,
        n_banks, n_paused, n_remind, u_banks, u_paused, u_remind);
END
$$;
