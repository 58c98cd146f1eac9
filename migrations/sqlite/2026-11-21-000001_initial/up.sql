CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    -- Bumped by a password change: every token carrying an older version is refused.
    token_version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- One uploaded content: its data key (wrapped by the master key) and its chunks.
CREATE TABLE contents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    size BIGINT NOT NULL,
    chunk_size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    wrapped_key BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

-- The folder tree; entry 1 is the root.
CREATE TABLE entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id BIGINT REFERENCES entries (id),
    name TEXT NOT NULL,
    is_folder BOOLEAN NOT NULL,
    owner_id BIGINT REFERENCES users (id),
    size BIGINT NOT NULL DEFAULT 0,
    mime_type TEXT NOT NULL DEFAULT '',
    content_id BIGINT REFERENCES contents (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (parent_id, name)
);
INSERT INTO entries (id, parent_id, name, is_folder, owner_id, created_at, updated_at)
VALUES (1, NULL, '', TRUE, NULL, 0, 0);
CREATE INDEX entries_content ON entries (content_id);

CREATE TABLE upload_sessions (
    id TEXT PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES users (id),
    parent_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    content_id BIGINT NOT NULL REFERENCES contents (id),
    conflict_policy INTEGER NOT NULL,
    mime_type TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX upload_sessions_expiry ON upload_sessions (expires_at);

-- A chunk is recorded only once the store confirmed it durable.
CREATE TABLE chunks (
    content_id BIGINT NOT NULL REFERENCES contents (id),
    chunk_index BIGINT NOT NULL,
    locator TEXT NOT NULL,
    sealed_size BIGINT NOT NULL,
    PRIMARY KEY (content_id, chunk_index)
);

-- Contents no entry or session uses any more; a background job deletes
-- their chunks from the store, then the rows.
CREATE TABLE purge_queue (
    content_id BIGINT PRIMARY KEY,
    queued_at BIGINT NOT NULL
);

-- Store objects to delete that belong to no content (replaced chunk copies).
CREATE TABLE orphan_chunks (
    locator TEXT PRIMARY KEY,
    queued_at BIGINT NOT NULL
);
