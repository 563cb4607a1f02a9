-- Nothing to do on PostgreSQL: its lower() folded display names' words with the
-- database's character type from the start (the SQLite migration of this version
-- folds what SQLite's ASCII-only lower() had left). Kept so both backends list the
-- same versions.
SELECT 1;
