-- Limits an administrator set for one user; a NULL column takes the
-- server's default (QUOTA_BYTES, QUOTA_ENTRIES, QUOTA_UPLOAD_SESSIONS).
CREATE TABLE quotas (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    max_bytes BIGINT,
    max_entries BIGINT,
    max_upload_sessions BIGINT
);
CREATE INDEX upload_sessions_owner ON upload_sessions (owner_id);

-- The nonce prefix a chunk was sealed with (hex): a read refuses any other
-- seal of the same chunk, such as an older copy left by a re-sent chunk.
-- NULL for plain chunks and for chunks recorded before this column.
ALTER TABLE chunks ADD COLUMN seal_id TEXT;

-- One-off fixes of data older versions wrote, applied by the manager at
-- start-up (server/src/db/legacy.rs) and recorded here by name.
CREATE TABLE data_migrations (
    name TEXT PRIMARY KEY,
    applied_at BIGINT NOT NULL
);
