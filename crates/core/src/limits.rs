//! The sizes every part of cordvault must agree on, in one place: the
//! manager, the workers, the SDK and the CLI read them from here.

/// Smallest and largest chunk size a manager may be configured with.
pub const MIN_CHUNK_SIZE: u64 = 64 * 1024;
pub const MAX_CHUNK_SIZE: u64 = 64 * 1024 * 1024;

/// What a gRPC message needs beyond the chunk it carries (ids, field tags).
pub const MESSAGE_HEADROOM: usize = 1024 * 1024;

/// The largest gRPC message a party needs when chunks are `chunk_size`
/// bytes: a manager sets it from its own chunk size, so that a small chunk
/// size also bounds what one message may make it buffer.
pub const fn max_message(chunk_size: u64) -> usize {
    chunk_size as usize + MESSAGE_HEADROOM
}

/// The largest message any manager may send or take: what clients and
/// workers, which do not know the manager's chunk size in advance, accept.
pub const MAX_MESSAGE: usize = max_message(MAX_CHUNK_SIZE);

/// Entries in one page of a folder listing: when the client names no size,
/// and at most. (The web UI asks for pages of its own size, within these.)
pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Ids in one database statement (`IN (…)`, `UPDATE … WHERE id IN`): well
/// under SQLite's and PostgreSQL's bound-parameter limits.
pub const DB_BATCH: usize = 500;
