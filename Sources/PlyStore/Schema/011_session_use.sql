-- When each session token was last used (made, or resumed with AUTH SESSION), so that past
-- a player's cap on sessions a new login ends the one unused longest, not a device that
-- resumes every day. Existing sessions count as used when this runs; adding a column with a
-- default rewrites nothing.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS last_used timestamptz NOT NULL DEFAULT now();
