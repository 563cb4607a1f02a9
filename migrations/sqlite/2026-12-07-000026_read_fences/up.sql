-- PostgreSQL's read fences (read-your-writes over streaming replicas) have no SQLite
-- counterpart: a SQLite database has no replicas. Kept so both backends carry the
-- same migration versions.
SELECT 1;
