-- Invitations waiting for each player, counted before another is sent to them (at most
-- `--max-invitations-received`: many cheap accounts could otherwise bury a player's
-- MATCHES and NOTIFICATIONS under invitations).
CREATE INDEX IF NOT EXISTS matches_invited ON matches (invitee) WHERE status = 'invited';
