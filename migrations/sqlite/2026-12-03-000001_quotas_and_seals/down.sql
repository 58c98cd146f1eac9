DROP TABLE data_migrations;
ALTER TABLE chunks DROP COLUMN seal_id;
DROP INDEX upload_sessions_owner;
DROP TABLE quotas;
