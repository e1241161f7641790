-- Confirmation codes mailed to each address (the SHA-256 of the address without its +tag),
-- across accounts and kept after they are deleted: at most a few a day reach one address,
-- however many accounts link it in turn. Rows older than a day are pruned as codes go out.
CREATE TABLE IF NOT EXISTS confirm_mails (
    address bytea NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS confirm_mails_address ON confirm_mails (address, at);
