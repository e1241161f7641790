-- Conditional moves and takebacks (issue 21, items 5 and 6). Depends only on 002.
--
-- A player's conditional lines for a match, one row per player and match, each line as
-- entered: the ply of its first move, a space, and its moves split by ';'
-- ("12 d3;c5;e6;f4"). The match's stored history decides which lines are live (those whose
-- played part matches it), so playing or dropping a line needs no write in the move's
-- commit: a reply is played in the same commit as the move that triggers it.
CREATE TABLE IF NOT EXISTS conditional_lines (
    match_id   text NOT NULL REFERENCES matches(id),
    player_id  text NOT NULL,
    lines      text[] NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (match_id, player_id)
);

-- Plies a takeback removed from `plies`, kept for the record (and for disputes); `plies`
-- holds only the moves that stand, so replays, records and ratings follow the final moves.
CREATE TABLE IF NOT EXISTS taken_back_plies (
    match_id      text NOT NULL REFERENCES matches(id),
    ply           int NOT NULL,
    move          text NOT NULL,
    played_at     timestamptz NOT NULL,
    taken_back_at timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS taken_back_plies_match ON taken_back_plies (match_id, ply);

-- A takeback is an update of the match with a smaller ply count, committed by
-- ply_commit_v1 like any change; this trigger moves the plies past the new count to
-- taken_back_plies and drops the match's conditional lines in that same transaction, so a
-- takeback is whole or absent after a crash. The WHEN clause keeps it off every other update.
CREATE OR REPLACE FUNCTION ply_take_back() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH gone AS (
        DELETE FROM plies WHERE match_id = NEW.id AND ply > NEW.ply_count
        RETURNING match_id, ply, move, played_at
    )
    INSERT INTO taken_back_plies (match_id, ply, move, played_at, taken_back_at)
        SELECT match_id, ply, move, played_at, NEW.updated_at FROM gone;
    DELETE FROM conditional_lines WHERE match_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER matches_take_back AFTER UPDATE OF ply_count ON matches
    FOR EACH ROW WHEN (NEW.ply_count < OLD.ply_count) EXECUTE FUNCTION ply_take_back();
