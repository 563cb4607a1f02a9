DROP TABLE notifications;
DROP TABLE blocks;
DROP TABLE follow_requests;
DROP TABLE follows;
DROP TABLE accounts;
