-- An offer to give an entry to another user: ownership moves only when the
-- recipient accepts, so nobody is handed a folder with a back door in it.
CREATE TABLE ownership_offers (
    entry_id BIGINT PRIMARY KEY REFERENCES entries (id) ON DELETE CASCADE,
    from_user BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_user BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    drop_shares BOOLEAN NOT NULL,
    keep_share_for_previous_owner BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ownership_offers_to ON ownership_offers (to_user);

-- Managers alive on this database, each renewing its row: `check --repair`
-- refuses to delete anything while one is.
CREATE TABLE manager_leases (
    id TEXT PRIMARY KEY,
    renewed_at BIGINT NOT NULL
);

-- One row, written by the registration that makes the first administrator:
-- concurrent first registrations collide on it, so only one wins.
CREATE TABLE bootstrap (
    id INTEGER PRIMARY KEY,
    created_at BIGINT NOT NULL
);
