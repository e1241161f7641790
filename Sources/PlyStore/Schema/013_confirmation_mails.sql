-- Confirmation codes mailed to each address (the SHA-256 of the address without its +tag),
-- across accounts and kept after they are deleted: at most a few a day reach one address,
-- however many accounts link it in turn. One row per address, counted in a window of a day
-- and updated under its row lock, so requests at the same moment cannot pass the count;
-- rows whose window ended are pruned as codes go out.
CREATE TABLE IF NOT EXISTS confirm_mails (
    address      bytea PRIMARY KEY,
    window_start timestamptz NOT NULL,
    mailed       int NOT NULL
);
CREATE INDEX IF NOT EXISTS confirm_mails_window ON confirm_mails (window_start);
