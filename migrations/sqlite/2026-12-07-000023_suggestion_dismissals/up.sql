-- Suggestions a viewer dismissed: never suggested to that viewer again.
CREATE TABLE suggestion_dismissals (
    viewer_id    BLOB NOT NULL REFERENCES accounts (id),
    dismissed_id BLOB NOT NULL REFERENCES accounts (id),
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (viewer_id, dismissed_id)
) WITHOUT ROWID;
CREATE INDEX suggestion_dismissals_dismissed ON suggestion_dismissals (dismissed_id);
