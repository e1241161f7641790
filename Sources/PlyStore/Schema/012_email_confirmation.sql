-- Confirmation of linked emails (`ply serve --email-confirmation`): alerts and digests go
-- only to confirmed addresses. An address links unconfirmed, with the SHA-256 of the code
-- mailed to it, when confirmation is on; otherwise, and for every address linked before
-- this column existed, it counts as confirmed when linked. The outbox carries the code to
-- the mailer in a `confirm` row.
ALTER TABLE emails ADD COLUMN IF NOT EXISTS confirmed_at timestamptz DEFAULT now();
ALTER TABLE emails ADD COLUMN IF NOT EXISTS confirm_hash bytea;
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS code text;
