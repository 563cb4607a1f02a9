-- Push targets, and the outbox the dispatcher drains. An outbox row is written in the
-- same transaction as its notification, so a push exists if and only if the change did.
CREATE TABLE devices (
    token      text PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    platform   text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX devices_account ON devices (account_id);

CREATE TABLE push_outbox (
    notification_id uuid NOT NULL,
    device_token    text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (notification_id, device_token)
);
CREATE INDEX push_outbox_due ON push_outbox (next_attempt_at);
