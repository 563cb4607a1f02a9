-- Per-account budget for creating follows and follow requests: a fixed window with a
-- counter, kept in the database so the limit holds across instances.
CREATE TABLE follow_quota (
    account_id   BLOB PRIMARY KEY NOT NULL REFERENCES accounts (id),
    window_start BIGINT NOT NULL,
    used         INTEGER NOT NULL
) WITHOUT ROWID;
