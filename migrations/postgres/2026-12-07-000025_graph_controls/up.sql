-- Issue 25: mutes, who sees an account's lists and counts, account search, kept
-- answers for Idempotency-Key, and follow-request notifications that follow their
-- request.

-- A mute: private to the muter. `expires_at` NULL lasts until unmuted; every read
-- compares it with now, so an expired mute is gone without any job.
CREATE TABLE mutes (
    muter_id      uuid NOT NULL REFERENCES accounts (id),
    muted_id      uuid NOT NULL REFERENCES accounts (id),
    notifications boolean NOT NULL,
    expires_at    timestamptz,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (muter_id, muted_id),
    CHECK (muter_id <> muted_id)
);
CREATE INDEX mutes_muter_newest ON mutes (muter_id, created_at DESC, muted_id);

-- Who may read the lists, and whether others see the counts, packed in one column
-- (the accounts table stays within 16 columns): bits 0-1 the followers list's
-- audience, bits 2-3 the following list's (0 everyone, 1 followers, 2 self), bit 4
-- set when the counts are hidden from others. 0: everything visible.
ALTER TABLE accounts ADD COLUMN graph_privacy integer NOT NULL DEFAULT 0
    CHECK (graph_privacy >= 0 AND graph_privacy < 32);

-- A follow_request notification names its request and keeps that request's fate
-- (pending, accepted, declined, cancelled), written with the answer.
ALTER TABLE notifications ADD COLUMN request_id uuid;
ALTER TABLE notifications ADD COLUMN request_status text
    CHECK (request_status IN ('pending', 'accepted', 'declined', 'cancelled'));
CREATE INDEX notifications_request ON notifications (request_id) WHERE request_id IS NOT NULL;

-- The lower-cased words of each live account's display name, for prefix search; kept
-- in the transaction that changes the name. Usernames are searched on their own
-- pattern index (LIKE 'q%' whatever the database's collation).
CREATE TABLE account_words (
    word       text NOT NULL,
    account_id uuid NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (word, account_id)
);
CREATE INDEX account_words_prefix ON account_words (word text_pattern_ops);
CREATE INDEX account_words_account ON account_words (account_id);
CREATE INDEX accounts_username_prefix ON accounts (username_key text_pattern_ops) WHERE deleted_at IS NULL;
INSERT INTO account_words (word, account_id)
SELECT DISTINCT w, id FROM accounts, regexp_split_to_table(lower(trim(full_name)), '\s+') AS w
WHERE deleted_at IS NULL AND full_name IS NOT NULL AND w <> ''
ON CONFLICT DO NOTHING;

-- The first answer to a community write sent with an Idempotency-Key, kept 24 h per
-- account and key. `status` NULL: the first request is still running.
CREATE TABLE idempotency_keys (
    account_id uuid NOT NULL,
    key        text NOT NULL,
    method     text NOT NULL,
    path       text NOT NULL,
    body_hash  text NOT NULL,
    status     integer,
    body       bytea,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
