DROP TABLE links;
DROP TABLE shares;
DROP INDEX entries_owner;
DROP INDEX entries_trashed;
ALTER TABLE entries DROP COLUMN trashed_path;
ALTER TABLE entries DROP COLUMN trashed_by;
ALTER TABLE entries DROP COLUMN trashed_at;
ALTER TABLE entries DROP COLUMN visibility;
