-- Notifications for players who were away, the email outbox a mailer drains, and the
-- last event sequence number handed out to each player (so numbering continues after a
-- restart instead of starting again at 1).
ALTER TABLE players ADD COLUMN IF NOT EXISTS event_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE IF NOT EXISTS notifications (
    player_id  text NOT NULL REFERENCES players(id),
    id         text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('your_turn', 'challenge', 'ended')),
    match_id   text NOT NULL,
    created_at timestamptz NOT NULL,
    read_at    timestamptz,
    PRIMARY KEY (player_id, id)
);

CREATE INDEX IF NOT EXISTS notifications_unread ON notifications (player_id, created_at) WHERE read_at IS NULL;

-- One row per alert to send; the unique key makes a second alert for the same turn impossible.
CREATE TABLE IF NOT EXISTS outbox (
    id              bigserial PRIMARY KEY,
    player_id       text NOT NULL REFERENCES players(id),
    notification_id text NOT NULL,
    email           text NOT NULL,
    kind            text NOT NULL,
    match_id        text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    UNIQUE (player_id, notification_id)
);

CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
