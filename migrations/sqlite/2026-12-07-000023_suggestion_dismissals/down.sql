DROP TABLE suggestion_dismissals;
