-- Player safety and operator tools: bans, mutes, bot marks and deleted accounts on the
-- player row; blocks between players; reports for the operators; an audit of every
-- operator action.
ALTER TABLE players ADD COLUMN IF NOT EXISTS banned_until timestamptz;
ALTER TABLE players ADD COLUMN IF NOT EXISTS ban_reason text;
ALTER TABLE players ADD COLUMN IF NOT EXISTS muted_until timestamptz;
ALTER TABLE players ADD COLUMN IF NOT EXISTS mute_reason text;
ALTER TABLE players ADD COLUMN IF NOT EXISTS bot boolean NOT NULL DEFAULT false;
-- A deleted account keeps its row (finished matches still name it) with no personal data.
ALTER TABLE players ADD COLUMN IF NOT EXISTS deleted_at timestamptz;


CREATE TABLE IF NOT EXISTS blocks (
    player_id  text NOT NULL REFERENCES players(id),
    blocked_id text NOT NULL REFERENCES players(id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (player_id, blocked_id)
);

CREATE INDEX IF NOT EXISTS blocks_blocked ON blocks (blocked_id);

CREATE SEQUENCE IF NOT EXISTS report_number;

CREATE TABLE IF NOT EXISTS reports (
    id          text PRIMARY KEY,
    reporter    text NOT NULL REFERENCES players(id),
    reported    text NOT NULL REFERENCES players(id),
    text        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    resolution  text
);

-- One open report per reporter and reported player.
CREATE UNIQUE INDEX IF NOT EXISTS reports_open_pair ON reports (reporter, reported) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS reports_reported ON reports (reported, created_at);

CREATE TABLE IF NOT EXISTS audit (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    action text NOT NULL,
    target text NOT NULL,
    reason text NOT NULL DEFAULT '',
    detail json NOT NULL DEFAULT '{}'
);

CREATE INDEX IF NOT EXISTS audit_target ON audit (target, at);

-- Challenges a player has pending (open or invitations), for the per-player caps.
CREATE INDEX IF NOT EXISTS matches_pending_creator ON matches (creator, status) WHERE status IN ('open', 'invited');
-- Open challenges by age, for their expiry and the lobby's newest-first order.
CREATE INDEX IF NOT EXISTS matches_open_age ON matches (created_at) WHERE status = 'open';
-- Challenge alerts are coalesced per player and hour: the outbox is searched by kind and age.
CREATE INDEX IF NOT EXISTS outbox_player_kind ON outbox (player_id, kind, created_at);
