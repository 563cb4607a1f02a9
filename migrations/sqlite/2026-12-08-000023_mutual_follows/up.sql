-- Issue 23: the follows whose reverse edge exists, each a copy of its `follows` row,
-- so the mutual lists page on an index of their own (newest first, as every list) and
-- are counted without probing the other side. Kept by triggers, so every path that
-- adds or removes an edge keeps it in the same statement (see the PostgreSQL
-- migration of the same name).
CREATE TABLE mutual_follows (
    follower_id BLOB NOT NULL,
    followee_id BLOB NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
) WITHOUT ROWID;
CREATE INDEX mutual_follows_followee_newest ON mutual_follows (followee_id, created_at DESC, follower_id);
CREATE INDEX mutual_follows_follower_newest ON mutual_follows (follower_id, created_at DESC, followee_id);

INSERT INTO mutual_follows (follower_id, followee_id, created_at)
SELECT f.follower_id, f.followee_id, f.created_at FROM follows f
WHERE EXISTS (SELECT 1 FROM follows r WHERE r.follower_id = f.followee_id AND r.followee_id = f.follower_id);

-- Row triggers (SQLite has no others): a new edge whose reverse exists adds both.
CREATE TRIGGER follows_mutual_added AFTER INSERT ON follows
WHEN EXISTS (SELECT 1 FROM follows r WHERE r.follower_id = NEW.followee_id AND r.followee_id = NEW.follower_id)
BEGIN
    INSERT OR IGNORE INTO mutual_follows (follower_id, followee_id, created_at)
    VALUES (NEW.follower_id, NEW.followee_id, NEW.created_at);
    INSERT OR IGNORE INTO mutual_follows (follower_id, followee_id, created_at)
    SELECT r.follower_id, r.followee_id, r.created_at FROM follows r
    WHERE r.follower_id = NEW.followee_id AND r.followee_id = NEW.follower_id;
END;

CREATE TRIGGER follows_mutual_removed AFTER DELETE ON follows
BEGIN
    DELETE FROM mutual_follows WHERE follower_id = OLD.follower_id AND followee_id = OLD.followee_id;
    DELETE FROM mutual_follows WHERE follower_id = OLD.followee_id AND followee_id = OLD.follower_id;
END;
