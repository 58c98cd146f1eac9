-- Dead properties of entries (WebDAV PROPPATCH): opaque values under a
-- namespace and a name. They belong to the entry, so they follow renames
-- and moves, and go when the entry is purged.
CREATE TABLE entry_properties (
    entry_id BIGINT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (entry_id, namespace, name)
);

-- WebDAV write locks on paths of the tree (which need not exist yet), in
-- the database so that every manager replica sees the same ones.
CREATE TABLE locks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- "opaquelocktoken:" and a random UUID.
    token TEXT NOT NULL UNIQUE,
    -- The normalised absolute path: "/" or "/a/b".
    path TEXT NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The WebDAV owner element as the client sent it.
    owner_xml TEXT NOT NULL,
    shared BOOLEAN NOT NULL,
    deep BOOLEAN NOT NULL,
    timeout_seconds BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX locks_path ON locks (path);
CREATE INDEX locks_owner ON locks (owner_id);
CREATE INDEX locks_expiry ON locks (expires_at_ms);
