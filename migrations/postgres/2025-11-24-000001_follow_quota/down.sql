DROP TABLE follow_quota;
