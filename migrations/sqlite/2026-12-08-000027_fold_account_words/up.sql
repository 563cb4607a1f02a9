-- Display names' words as a Unicode fold, as they are written since SQLite's lower()
-- was replaced by the application's (crates/store/src/text_fold.rs): the backfill of
-- 2026-12-07-000025 ran the built-in, which folds ASCII only, so the words of names
-- such as "Émile" kept their capitals and `/users/search` missed them. This
-- migration's lower() is the application's.
UPDATE OR IGNORE account_words SET word = lower(word) WHERE word <> lower(word);
DELETE FROM account_words WHERE word <> lower(word);
