-- The event feed (issue 24): one row per change of the graph, written in the change's
-- transaction. SQLite has one writer, so the sequence is the commit order and `tx`
-- stays 0; AUTOINCREMENT never hands out a pruned number again.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    tx         BIGINT NOT NULL DEFAULT 0,
    id         BLOB NOT NULL,
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_position ON events (tx, seq);
CREATE INDEX events_created ON events (created_at);

-- The newest position pruned for age: a cursor before it has missed events (410).
CREATE TABLE event_retention (
    id         INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    pruned_tx  BIGINT NOT NULL,
    pruned_seq BIGINT NOT NULL
);
INSERT INTO event_retention (id, pruned_tx, pruned_seq) VALUES (1, 0, 0);

-- Webhook endpoints. `cursor_*` is how far the fan-out has queued deliveries.
CREATE TABLE webhooks (
    id                   BLOB PRIMARY KEY NOT NULL,
    url                  TEXT NOT NULL,
    events               TEXT NOT NULL,
    description          TEXT,
    secret               TEXT NOT NULL,
    enabled              BOOLEAN NOT NULL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    cursor_tx            BIGINT NOT NULL,
    cursor_seq           BIGINT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
) WITHOUT ROWID;

-- One event to one endpoint. `payload` is the envelope as sent, so a delivery
-- outlives its event's retention; `leased_until` hides one being sent from other
-- instances.
CREATE TABLE webhook_deliveries (
    id               BLOB PRIMARY KEY NOT NULL,
    webhook_id       BLOB NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         BLOB NOT NULL,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER,
    last_error       TEXT,
    next_attempt_at  BIGINT,
    leased_until     BIGINT,
    delivered_at     BIGINT,
    created_at       BIGINT NOT NULL,
    UNIQUE (webhook_id, event_id)
) WITHOUT ROWID;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
