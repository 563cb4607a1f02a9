-- Push targets, and the outbox the dispatcher drains. An outbox row is written in the
-- same transaction as its notification, so a push exists if and only if the change did.
CREATE TABLE devices (
    token      TEXT PRIMARY KEY NOT NULL,
    account_id BLOB NOT NULL REFERENCES accounts (id),
    platform   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) WITHOUT ROWID;
CREATE INDEX devices_account ON devices (account_id);

CREATE TABLE push_outbox (
    notification_id BLOB NOT NULL,
    device_token    TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (notification_id, device_token)
) WITHOUT ROWID;
CREATE INDEX push_outbox_due ON push_outbox (next_attempt_at);
