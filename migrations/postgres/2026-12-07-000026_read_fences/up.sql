-- Read-your-writes over streaming replicas: the end of the primary's WAL when an
-- account's lists last changed (a pg_lsn as bigint). A replica serves reads of an
-- account once it has replayed past this. Written after the change commits, with
-- synchronous_commit off (a fence lost in a crash costs a stale read, never data).
CREATE TABLE read_fences (
    account_id uuid PRIMARY KEY,
    lsn bigint NOT NULL
);
