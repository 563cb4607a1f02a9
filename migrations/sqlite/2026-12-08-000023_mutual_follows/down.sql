DROP TRIGGER follows_mutual_removed;
DROP TRIGGER follows_mutual_added;
DROP TABLE mutual_follows;
