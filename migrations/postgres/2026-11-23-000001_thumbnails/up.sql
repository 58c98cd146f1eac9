-- Thumbnails belong to a content, not an entry: an overwrite brings a new
-- content (and a new job), and a thumbnail goes when its content is purged.
ALTER TABLE contents ADD COLUMN has_thumbnail BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE thumbnails (
    content_id BIGINT PRIMARY KEY REFERENCES contents (id) ON DELETE CASCADE,
    mime_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    data BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- Work for thumbnail workers. A claim is a lease: a worker that vanishes
-- leaves its job to be claimed again once lease_until has passed.
CREATE TABLE thumbnail_jobs (
    content_id BIGINT PRIMARY KEY REFERENCES contents (id) ON DELETE CASCADE,
    mime_type TEXT NOT NULL,
    queued_at BIGINT NOT NULL,
    claimed_by TEXT,
    lease_until BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX thumbnail_jobs_queue ON thumbnail_jobs (queued_at);
