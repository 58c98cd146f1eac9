DROP TABLE orphan_chunks;
DROP TABLE purge_queue;
DROP TABLE chunks;
DROP TABLE upload_sessions;
DROP TABLE entries;
DROP TABLE contents;
DROP TABLE users;
