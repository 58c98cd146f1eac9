-- Who may read an entry besides its owner: 0 owner and shares, 1 every user.
ALTER TABLE entries ADD COLUMN visibility INTEGER NOT NULL DEFAULT 0;
-- A trashed entry is detached from the tree (parent_id NULL) and remembers
-- where it was; what is inside it stays attached to it.
ALTER TABLE entries ADD COLUMN trashed_at BIGINT;
ALTER TABLE entries ADD COLUMN trashed_by BIGINT;
ALTER TABLE entries ADD COLUMN trashed_path TEXT;
CREATE INDEX entries_trashed ON entries (trashed_at);
CREATE INDEX entries_owner ON entries (owner_id);

CREATE TABLE shares (
    entry_id BIGINT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    can_write BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (entry_id, user_id)
);
CREATE INDEX shares_user ON shares (user_id);

-- Share links: random ids, never stateless tokens, so they can be revoked.
CREATE TABLE links (
    id TEXT PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    -- For a file: the content the link was made for; the link dies with it.
    content_id BIGINT,
    created_by BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT,
    expires_at BIGINT,
    max_downloads BIGINT,
    downloads BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX links_creator ON links (created_by);
