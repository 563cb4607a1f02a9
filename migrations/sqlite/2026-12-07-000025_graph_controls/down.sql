DROP TABLE idempotency_keys;
DROP TABLE account_words;
DROP INDEX notifications_request;
ALTER TABLE notifications DROP COLUMN request_status;
ALTER TABLE notifications DROP COLUMN request_id;
ALTER TABLE accounts DROP COLUMN graph_privacy;
DROP TABLE mutes;
