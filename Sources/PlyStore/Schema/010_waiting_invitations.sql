-- ply: no transaction
-- Invitations waiting for each player, counted before another is sent to them (at most
-- `--max-invitations-received`: many cheap accounts could otherwise bury a player's
-- MATCHES and NOTIFICATIONS under invitations). Built CONCURRENTLY, which PostgreSQL allows
-- only outside a transaction, so a server migrating a large database beside a running
-- primary does not hold up its moves; a build that failed part way leaves an invalid index,
-- which the next run drops first.
DROP INDEX CONCURRENTLY IF EXISTS matches_invited;
CREATE INDEX CONCURRENTLY matches_invited ON matches (invitee) WHERE status = 'invited';
