-- Accounts: a player, and the credentials that lead to it. A player created from a device
-- keeps its id when an email or a platform identity is linked later.
CREATE SEQUENCE IF NOT EXISTS player_number;

CREATE TABLE IF NOT EXISTS players (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    -- The player's own blob as the client sent it (json keeps key order, jsonb would not).
    data        json NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz
);

-- Device ids are bearer credentials, so only their SHA-256 is stored.
CREATE TABLE IF NOT EXISTS devices (
    device_hash bytea PRIMARY KEY,
    player_id   text NOT NULL REFERENCES players(id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS emails (
    email         text PRIMARY KEY,
    player_id     text NOT NULL UNIQUE REFERENCES players(id),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS external_identities (
    issuer     text NOT NULL,
    subject    text NOT NULL,
    player_id  text NOT NULL REFERENCES players(id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);

-- Session tokens are stored only as their SHA-256.
CREATE TABLE IF NOT EXISTS sessions (
    token_hash bytea PRIMARY KEY,
    player_id  text NOT NULL REFERENCES players(id),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS sessions_player ON sessions (player_id);
