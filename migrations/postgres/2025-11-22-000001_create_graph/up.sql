-- PostgreSQL: native uuid and timestamptz.
CREATE TABLE accounts (
    id                uuid PRIMARY KEY,
    username          text NOT NULL,
    username_key      text NOT NULL,
    full_name         text,
    bio               text,
    profile_image_url text,
    banner_image_url  text,
    is_private        boolean NOT NULL DEFAULT false,
    is_verified       boolean NOT NULL DEFAULT false,
    posts_count       bigint NOT NULL DEFAULT 0 CHECK (posts_count >= 0),
    followers_count   bigint NOT NULL DEFAULT 0 CHECK (followers_count >= 0),
    following_count   bigint NOT NULL DEFAULT 0 CHECK (following_count >= 0),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    deleted_at        timestamptz
);
-- Usernames are unique among live accounts, case-insensitively.
CREATE UNIQUE INDEX accounts_username_key ON accounts (username_key) WHERE deleted_at IS NULL;

CREATE TABLE follows (
    follower_id uuid NOT NULL REFERENCES accounts (id),
    followee_id uuid NOT NULL REFERENCES accounts (id),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (follower_id, followee_id),
    CHECK (follower_id <> followee_id)
);
CREATE INDEX follows_followee_newest ON follows (followee_id, created_at DESC, follower_id);
CREATE INDEX follows_follower_newest ON follows (follower_id, created_at DESC, followee_id);

CREATE TABLE follow_requests (
    id           uuid PRIMARY KEY,
    requester_id uuid NOT NULL REFERENCES accounts (id),
    target_id    uuid NOT NULL REFERENCES accounts (id),
    status       text NOT NULL CHECK (status IN ('pending', 'accepted', 'declined')),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz,
    CHECK (requester_id <> target_id)
);
CREATE UNIQUE INDEX follow_requests_one_pending ON follow_requests (requester_id, target_id) WHERE status = 'pending';
CREATE INDEX follow_requests_target ON follow_requests (target_id, status, created_at DESC);
CREATE INDEX follow_requests_requester ON follow_requests (requester_id, status, created_at DESC);

CREATE TABLE blocks (
    blocker_id uuid NOT NULL REFERENCES accounts (id),
    blocked_id uuid NOT NULL REFERENCES accounts (id),
    reason     text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id, blocker_id);

CREATE TABLE notifications (
    id           uuid PRIMARY KEY,
    recipient_id uuid NOT NULL REFERENCES accounts (id),
    actor_id     uuid NOT NULL REFERENCES accounts (id),
    kind         text NOT NULL CHECK (kind IN ('follow', 'follow_request', 'follow_request_accepted')),
    created_at   timestamptz NOT NULL,
    read_at      timestamptz
);
CREATE INDEX notifications_recipient ON notifications (recipient_id, id);
