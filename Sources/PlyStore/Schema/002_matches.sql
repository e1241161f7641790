-- Matches and their histories. The plies, in each game's notation, are the record of truth:
-- a match is recovered by replaying them through the rules.
CREATE SEQUENCE IF NOT EXISTS match_number;

CREATE TABLE IF NOT EXISTS matches (
    id            text PRIMARY KEY,
    game          text NOT NULL,
    settings      json NOT NULL,
    status        text NOT NULL CHECK (status IN ('invited', 'open', 'active', 'finished', 'aborted')),
    creator       text NOT NULL REFERENCES players(id),
    invitee       text REFERENCES players(id),
    -- Player ids by seat, first mover first; empty until the match starts.
    seats         text[] NOT NULL DEFAULT '{}',
    ply_count     int NOT NULL DEFAULT 0,
    to_move       text,
    deadline      timestamptz,
    result_winner text,
    result_reason text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS matches_deadline ON matches (deadline) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS matches_open ON matches (game, created_at) WHERE status = 'open';

-- Who takes part in which match, for MATCHES.
CREATE TABLE IF NOT EXISTS match_players (
    match_id  text NOT NULL REFERENCES matches(id),
    player_id text NOT NULL REFERENCES players(id),
    PRIMARY KEY (player_id, match_id)
);

CREATE TABLE IF NOT EXISTS plies (
    match_id  text NOT NULL REFERENCES matches(id),
    ply       int NOT NULL,
    move      text NOT NULL,
    played_at timestamptz NOT NULL,
    PRIMARY KEY (match_id, ply)
);

-- Per-game results and Glicko-2 rating of each player.
CREATE TABLE IF NOT EXISTS player_stats (
    player_id  text NOT NULL REFERENCES players(id),
    game       text NOT NULL,
    played     int NOT NULL DEFAULT 0,
    won        int NOT NULL DEFAULT 0,
    lost       int NOT NULL DEFAULT 0,
    drawn      int NOT NULL DEFAULT 0,
    rating     double precision NOT NULL DEFAULT 1500,
    deviation  double precision NOT NULL DEFAULT 350,
    volatility double precision NOT NULL DEFAULT 0.06,
    PRIMARY KEY (player_id, game)
);

CREATE INDEX IF NOT EXISTS player_stats_top ON player_stats (game, rating DESC);
