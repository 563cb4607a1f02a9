DROP TABLE push_outbox;
DROP TABLE devices;
