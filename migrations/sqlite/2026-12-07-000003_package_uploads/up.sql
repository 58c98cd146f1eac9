-- Packages whose zip is in the chunk store: uploaded by their owner
-- (source_kind 'upload', chunks in package_chunks, sealed under a key
-- derived from the package key) or a cordvault file (source_kind 'file',
-- source_link the content id).
-- The signed-in user who submitted an upload or a file: their unfinished
-- packages are limited.
ALTER TABLE packages ADD COLUMN owner_id BIGINT;
CREATE INDEX packages_owner ON packages (owner_id);

-- An uploaded zip's chunks, until the package is processed, fails or is
-- deleted; then they move to orphan_chunks for the janitor.
CREATE TABLE package_chunks (
    package_id TEXT NOT NULL,
    chunk_index BIGINT NOT NULL,
    locator TEXT NOT NULL,
    -- The chunk's plaintext length: the zip's size is their sum.
    plain_size BIGINT NOT NULL,
    PRIMARY KEY (package_id, chunk_index)
);
