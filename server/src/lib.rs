//! The cordvault manager as a library: `main.rs` parses flags and calls
//! [`app::start`]; integration tests start it the same way.

pub mod api;
pub mod app;
pub mod check;
pub mod config;
pub mod data_dir;
pub mod db;
pub mod http;
pub mod keys;
pub mod listener;
pub mod services;
pub mod trace;

pub use app::{RunningServer, ServerConfig, start};

/// Turns parsed flags into a [`ServerConfig`], resolving the keys.
pub fn server_config(args: &config::ServeArgs) -> anyhow::Result<ServerConfig> {
    let keys = keys::resolve(args.key_settings(), &args.data_dir, args.disable_encryption)?;
    let store = args.store_choice()?;
    Ok(ServerConfig {
        listen: args.listen_address(),
        data_dir: args.data_dir.clone(),
        database_url: args.database_url.clone(),
        keys,
        chunk_size: args.chunk_size.unwrap_or_else(|| store.default_chunk_size()),
        store,
        upload_idle_timeout: args.upload_idle_timeout(),
        janitor_interval: std::time::Duration::from_secs(args.janitor_interval_secs.max(1)),
        token_ttl: std::time::Duration::from_secs(args.token_ttl_secs),
        heartbeat_interval: std::time::Duration::from_secs(args.heartbeat_interval_secs.max(1)),
        orphan_grace: std::time::Duration::from_secs(args.orphan_grace_secs),
        trash_retention: std::time::Duration::from_secs(args.trash_retention_days * 24 * 3600),
        hide_unreadable: args.hide_unreadable,
        download_stall_timeout: std::time::Duration::from_secs(args.download_stall_timeout_secs.max(1)),
        web_ui: match &args.web_ui_dir {
            Some(dir) => http::web::WebUi::Directory(dir.clone()),
            None => http::web::WebUi::Embedded,
        },
        thumbnail_width: args.thumbnail_width()?,
        in_process_thumbnails: args.in_process_thumbnails()?,
        in_process_analysis: args.in_process_analysis()?,
        sftp_listen: args.sftp_listen,
        packages: args.package_config(),
        quotas: services::quotas::QuotaLimits {
            max_bytes: args.quota_bytes,
            max_entries: args.quota_entries,
            max_upload_sessions: args.quota_upload_sessions,
        },
        listener: listener::ListenerLimits {
            max_connections: args.max_connections.max(1),
            idle_timeout: std::time::Duration::from_secs(args.idle_timeout_secs.max(1)),
            ..Default::default()
        },
        clock: cordvault_core::clock::Clock::system(),
    })
}

/// Runs the consistency check against the configured database and store.
/// `cordvault-server check [--repair]`; repair spares orphans younger than
/// the configured grace period and refuses to run beside a live manager.
pub async fn check_store(config: &ServerConfig, repair: bool) -> anyhow::Result<check::CheckReport> {
    let db = db::Db::connect(&config.database_url()).await?;
    let (store, _) = app::open_store(config).await?;
    let repair = repair.then_some(check::Repair { orphan_grace: config.orphan_grace });
    check::check(&db, store.as_ref(), repair).await
}
