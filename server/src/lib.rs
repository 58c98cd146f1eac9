//! The cordvault manager as a library: `main.rs` parses flags and calls
//! [`app::start`]; integration tests start it the same way.

pub mod api;
pub mod app;
pub mod config;
pub mod db;
pub mod keys;
mod listener;
pub mod services;

pub use app::{RunningServer, ServerConfig, start};

/// Turns parsed flags into a [`ServerConfig`], resolving the keys.
pub fn server_config(args: &config::ServeArgs) -> anyhow::Result<ServerConfig> {
    let keys = keys::resolve(args.key_settings(), &args.data_dir, args.disable_encryption)?;
    Ok(ServerConfig {
        listen: args.listen_address(),
        data_dir: args.data_dir.clone(),
        database_url: args.database_url.clone(),
        keys,
        chunk_size: args.chunk_size,
        upload_idle_timeout: args.upload_idle_timeout(),
        janitor_interval: std::time::Duration::from_secs(args.janitor_interval_secs.max(1)),
        token_ttl: std::time::Duration::from_secs(args.token_ttl_secs),
        heartbeat_interval: std::time::Duration::from_secs(args.heartbeat_interval_secs.max(1)),
        orphan_grace: std::time::Duration::from_secs(args.orphan_grace_secs),
    })
}
