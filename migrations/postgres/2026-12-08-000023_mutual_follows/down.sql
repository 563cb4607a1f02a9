DROP TRIGGER follows_mutual_removed ON follows;
DROP TRIGGER follows_mutual_added ON follows;
DROP FUNCTION mutual_follows_removed();
DROP FUNCTION mutual_follows_added();
DROP TABLE mutual_follows;
