-- Per-account budget for creating follows and follow requests: a fixed window with a
-- counter, kept in the database so the limit holds across instances.
CREATE TABLE follow_quota (
    account_id   uuid PRIMARY KEY REFERENCES accounts (id),
    window_start timestamptz NOT NULL,
    used         integer NOT NULL
);
