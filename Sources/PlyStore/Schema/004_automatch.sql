-- Players waiting in automatch, so a queued player keeps their place across a restart
-- (they may have closed the app hours ago and expect a match to start without them).
CREATE TABLE IF NOT EXISTS automatch (
    player_id   text NOT NULL REFERENCES players(id),
    pairing_key text NOT NULL,
    queued_at   timestamptz NOT NULL,
    PRIMARY KEY (player_id, pairing_key)
);

CREATE INDEX IF NOT EXISTS automatch_order ON automatch (queued_at);
