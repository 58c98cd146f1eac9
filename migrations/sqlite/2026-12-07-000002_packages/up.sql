-- Discord data packages (PackageService and the dumpus REST routes). The
-- package's key is never stored: only its id (the key's MD5) is.
CREATE TABLE packages (
    -- Queue order: positions count the unfinished packages before this one.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    package_id TEXT NOT NULL UNIQUE,
    premium BOOLEAN NOT NULL DEFAULT FALSE,
    -- LOCKED, DOWNLOADING, ANALYZING or PROCESSED.
    step TEXT NOT NULL,
    errored BOOLEAN NOT NULL DEFAULT FALSE,
    error_code TEXT,
    -- Where the zip comes from, without the key: 'discord' (the link is
    -- rebuilt from the key) or 'link' (source_link with {path} for the
    -- part the key encodes).
    source_kind TEXT NOT NULL,
    source_link TEXT,
    standard_total_when_joined BIGINT NOT NULL,
    premium_total_when_joined BIGINT NOT NULL,
    -- A claim is a lease, as for thumbnail jobs.
    claimed_by TEXT,
    lease_until BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX packages_queue ON packages (errored, step, seq);

-- The sealed result: gzip(SQLite) under AES-256-CBC with the owner's key.
CREATE TABLE package_results (
    package_id TEXT PRIMARY KEY REFERENCES packages (package_id) ON DELETE CASCADE,
    iv TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

-- Discord users and guild widgets looked up through the bot, kept 24 hours.
CREATE TABLE discord_lookups (
    kind TEXT NOT NULL,
    lookup_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (kind, lookup_id)
);
