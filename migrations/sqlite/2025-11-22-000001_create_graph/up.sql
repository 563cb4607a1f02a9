-- SQLite: UUIDs are 16-byte BLOBs, instants are BIGINT microseconds since the Unix epoch.
CREATE TABLE accounts (
    id                BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    username          TEXT NOT NULL,
    username_key      TEXT NOT NULL,
    full_name         TEXT,
    bio               TEXT,
    profile_image_url TEXT,
    banner_image_url  TEXT,
    is_private        BOOLEAN NOT NULL DEFAULT 0,
    is_verified       BOOLEAN NOT NULL DEFAULT 0,
    posts_count       BIGINT NOT NULL DEFAULT 0 CHECK (posts_count >= 0),
    followers_count   BIGINT NOT NULL DEFAULT 0 CHECK (followers_count >= 0),
    following_count   BIGINT NOT NULL DEFAULT 0 CHECK (following_count >= 0),
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    deleted_at        BIGINT
) WITHOUT ROWID;
-- Usernames are unique among live accounts, case-insensitively.
CREATE UNIQUE INDEX accounts_username_key ON accounts (username_key) WHERE deleted_at IS NULL;

CREATE TABLE follows (
    follower_id BLOB NOT NULL REFERENCES accounts (id),
    followee_id BLOB NOT NULL REFERENCES accounts (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (follower_id, followee_id),
    CHECK (follower_id <> followee_id)
) WITHOUT ROWID;
CREATE INDEX follows_followee_newest ON follows (followee_id, created_at DESC, follower_id);
CREATE INDEX follows_follower_newest ON follows (follower_id, created_at DESC, followee_id);

CREATE TABLE follow_requests (
    id           BLOB PRIMARY KEY NOT NULL,
    requester_id BLOB NOT NULL REFERENCES accounts (id),
    target_id    BLOB NOT NULL REFERENCES accounts (id),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined')),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT,
    CHECK (requester_id <> target_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX follow_requests_one_pending ON follow_requests (requester_id, target_id) WHERE status = 'pending';
CREATE INDEX follow_requests_target ON follow_requests (target_id, status, created_at DESC);
CREATE INDEX follow_requests_requester ON follow_requests (requester_id, status, created_at DESC);

CREATE TABLE blocks (
    blocker_id BLOB NOT NULL REFERENCES accounts (id),
    blocked_id BLOB NOT NULL REFERENCES accounts (id),
    reason     TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
) WITHOUT ROWID;
CREATE INDEX blocks_blocked ON blocks (blocked_id, blocker_id);

CREATE TABLE notifications (
    id           BLOB PRIMARY KEY NOT NULL,
    recipient_id BLOB NOT NULL REFERENCES accounts (id),
    actor_id     BLOB NOT NULL REFERENCES accounts (id),
    kind         TEXT NOT NULL CHECK (kind IN ('follow', 'follow_request', 'follow_request_accepted')),
    created_at   BIGINT NOT NULL,
    read_at      BIGINT
) WITHOUT ROWID;
CREATE INDEX notifications_recipient ON notifications (recipient_id, id);
