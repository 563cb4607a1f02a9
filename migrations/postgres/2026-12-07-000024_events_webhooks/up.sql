-- The event feed (issue 24): one row per change of the graph, written in the change's
-- transaction. `tx` is the writing transaction's id (xid8, as a bigint): the feed is
-- ordered by (tx, seq) and shows only events whose tx is below the oldest transaction
-- still running (pg_snapshot_xmin), so nothing can commit before a position already
-- shown (docs/architecture.md, "The event feed").
CREATE TABLE events (
    seq        bigserial PRIMARY KEY,
    tx         bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    id         uuid NOT NULL,
    kind       text NOT NULL,
    data       text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX events_position ON events (tx, seq);
CREATE INDEX events_created ON events (created_at);

-- The newest position pruned for age: a cursor before it has missed events (410).
CREATE TABLE event_retention (
    id         integer PRIMARY KEY CHECK (id = 1),
    pruned_tx  bigint NOT NULL,
    pruned_seq bigint NOT NULL
);
INSERT INTO event_retention (id, pruned_tx, pruned_seq) VALUES (1, 0, 0);

-- Webhook endpoints. `cursor_*` is how far the fan-out has queued deliveries.
CREATE TABLE webhooks (
    id                   uuid PRIMARY KEY,
    url                  text NOT NULL,
    events               text NOT NULL,
    description          text,
    secret               text NOT NULL,
    enabled              boolean NOT NULL,
    consecutive_failures integer NOT NULL DEFAULT 0,
    cursor_tx            bigint NOT NULL,
    cursor_seq           bigint NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);

-- One event to one endpoint. `payload` is the envelope as sent, so a delivery
-- outlives its event's retention; `leased_until` hides one being sent from other
-- instances.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    webhook_id       uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         uuid NOT NULL,
    event_type       text NOT NULL,
    payload          text NOT NULL,
    status           text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    last_status_code integer,
    last_error       text,
    next_attempt_at  timestamptz,
    leased_until     timestamptz,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
