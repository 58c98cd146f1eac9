DROP TABLE package_chunks;
DROP INDEX packages_owner;
ALTER TABLE packages DROP COLUMN owner_id;
