//! Command-line flags and environment variables of `cordvault-server`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

pub use cordvault_store::DiscordConfig;
pub use cordvault_thumbnail_worker::ThumbnailFormat;

use crate::keys::KeySettings;

/// Where chunks live.
#[derive(Debug, Clone)]
pub enum StoreChoice {
    Local,
    Discord(DiscordConfig),
}

impl StoreChoice {
    pub fn default_chunk_size(&self) -> u64 {
        match self {
            StoreChoice::Local => 4 * 1024 * 1024,
            // Sealed, 8 MiB stays below Discord's 10 MiB attachment limit.
            StoreChoice::Discord(_) => 8 * 1024 * 1024,
        }
    }
}

fn split_list(list: Option<&str>) -> Vec<String> {
    list.unwrap_or_default().split(',').map(str::trim).filter(|item| !item.is_empty()).map(str::to_owned).collect()
}

#[derive(Debug, Parser)]
#[command(name = "cordvault-server", version, about = "The cordvault manager: gRPC API, metadata and chunk transfer")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the server (the default).
    Serve,
    /// Prints a .env with fresh keys.
    Keygen,
    /// Compares the chunk records with what the chunk store holds.
    Check {
        /// Deletes orphaned store objects (ones no record names).
        #[arg(long)]
        repair: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Where the SQLite database, generated keys and local chunks live.
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Address to listen on (gRPC, gRPC-web and HTTP on one port).
    #[arg(long, env = "LISTEN_ADDRESS", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Port to listen on; replaces the port of --listen.
    #[arg(long = "port", env = "MANAGER_PORT")]
    pub manager_port: Option<u16>,
    /// postgres://… for PostgreSQL; default: a SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Base64 of the PEM private key that signs tokens (Ed25519 or RSA).
    #[arg(long, env = "PRIVATE_KEY", hide_env_values = true)]
    pub private_key: Option<String>,
    /// Base64 of the matching PEM public key.
    #[arg(long, env = "PUBLIC_KEY", hide_env_values = true)]
    pub public_key: Option<String>,
    /// Base64 of the 32-byte master key that wraps every file's data key.
    #[arg(long, env = "MESSAGE_ENCRYPTION_KEY", hide_env_values = true)]
    pub message_encryption_key: Option<String>,
    /// Stores chunks unencrypted; needed to run without a master key.
    #[arg(long, env = "DISABLE_ENCRYPTION")]
    pub disable_encryption: bool,
    /// Password workers present when they connect.
    #[arg(long, env = "SERVICE_PASSWORD", hide_env_values = true)]
    pub service_password: Option<String>,
    /// Plaintext bytes per chunk; default 4 MiB locally, 8 MiB on Discord.
    #[arg(long, env = "CHUNK_SIZE")]
    pub chunk_size: Option<u64>,
    /// Where chunks live: `local` (DATA_DIR/chunks) or `discord`.
    #[arg(long, env = "CHUNK_STORE", default_value = "local")]
    pub chunk_store: String,
    /// Bot token(s) for the Discord store, comma-separated.
    #[arg(long, env = "DISCORD_BOT_TOKEN", hide_env_values = true)]
    pub discord_bot_token: Option<String>,
    /// Channel ids the Discord store posts in, comma-separated.
    #[arg(long, env = "DISCORD_CHANNEL_IDS")]
    pub discord_channel_ids: Option<String>,
    /// Another Discord API base, such as cordvault-discord-emulator.
    #[arg(long, env = "DISCORD_API_BASE")]
    pub discord_api_base: Option<String>,
    /// Never delete Discord messages, even of purged chunks.
    #[arg(long, env = "DISCORD_KEEP_MESSAGES")]
    pub discord_keep_messages: bool,
    /// Seconds an upload session may stay idle before it and its chunks go.
    #[arg(long, env = "UPLOAD_IDLE_TIMEOUT_SECS", default_value_t = 24 * 3600)]
    pub upload_idle_timeout_secs: u64,
    /// Seconds between clean-up sweeps.
    #[arg(long, env = "JANITOR_INTERVAL_SECS", default_value_t = 60)]
    pub janitor_interval_secs: u64,
    /// Seconds between worker heartbeats; a worker silent for three is dropped.
    #[arg(long, env = "HEARTBEAT_INTERVAL_SECS", default_value_t = 5)]
    pub heartbeat_interval_secs: u64,
    /// Seconds a store object may exist without a chunk record before the
    /// clean-up sweep deletes it.
    #[arg(long, env = "ORPHAN_GRACE_SECS", default_value_t = 3600)]
    pub orphan_grace_secs: u64,
    /// Days a deleted entry stays in the trash before it is purged.
    #[arg(long, env = "TRASH_RETENTION_DAYS", default_value_t = 30)]
    pub trash_retention_days: u64,
    /// Listings show only entries the caller may read (default: every name, as the original).
    #[arg(long, env = "HIDE_UNREADABLE")]
    pub hide_unreadable: bool,
    /// Seconds a share link download may stall before the server drops it.
    #[arg(long, env = "DOWNLOAD_STALL_TIMEOUT_SECS", default_value_t = 60)]
    pub download_stall_timeout_secs: u64,
    /// Serve the web UI from this directory instead of the copy built into the binary.
    /// Runs the SFTP gateway inside the manager, listening here (e.g.
    /// `127.0.0.1:2022`); its host key is kept in the data directory.
    #[arg(long, env = "SFTP_LISTEN")]
    pub sftp_listen: Option<std::net::SocketAddr>,

    #[arg(long, env = "WEB_UI_DIR")]
    pub web_ui_dir: Option<PathBuf>,
    /// Who makes thumbnails: `in-process` (a worker inside the manager) or
    /// `external` (jobs wait for cordvault-thumbnail-worker processes).
    #[arg(long, env = "THUMBNAILS", default_value = "in-process")]
    pub thumbnails: String,
    /// Widest thumbnail, in pixels.
    #[arg(long, env = "THUMBNAIL_WIDTH", default_value_t = 256)]
    pub thumbnail_width: u32,
    /// Format the in-process worker writes: jpeg or webp.
    #[arg(long, env = "THUMBNAIL_FORMAT", default_value = "jpeg")]
    pub thumbnail_format: ThumbnailFormat,
    /// Who analyses Discord data packages: `in-process` (a worker inside the
    /// manager) or `external` (jobs wait for cordvault-analysis-worker processes).
    #[arg(long, env = "ANALYSIS", default_value = "in-process")]
    pub analysis: String,
    /// Where Discord's package links are fetched from (its click host).
    #[arg(long, env = "DISCORD_CLICK_BASE", default_value = "https://click.discord.com")]
    pub discord_click_base: String,
    /// Link prefixes accepted for packages besides Discord's, comma-separated.
    #[arg(long, env = "PACKAGE_LINK_ALLOWLIST")]
    pub package_link_allowlist: Option<String>,
    /// The original dumpus-api's name for PACKAGE_LINK_ALLOWLIST, read too.
    #[arg(long, env = "DL_ZIP_WHITELISTED_DOMAINS", hide = true)]
    pub dl_zip_whitelisted_domains: Option<String>,
    /// Seconds an analysis worker's claim on a package lasts unrenewed (a
    /// job of a manager that died waits this long before another takes it).
    #[arg(long, env = "PACKAGE_LEASE_SECS", default_value_t = 30)]
    pub package_lease_secs: u64,
    /// Largest data package downloaded, in bytes.
    #[arg(long, env = "PACKAGE_MAX_BYTES", default_value_t = 32 * 1024 * 1024 * 1024)]
    pub package_max_bytes: u64,
    /// Most client connections served at once (kept below the file-descriptor limit).
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Seconds a connection with no request in flight stays open.
    #[arg(long, env = "IDLE_TIMEOUT_SECS", default_value_t = 60)]
    pub idle_timeout_secs: u64,
    /// Bytes each user may store, trash and unfinished uploads included (0: unlimited).
    #[arg(long, env = "QUOTA_BYTES", default_value_t = crate::services::quotas::QuotaLimits::DEFAULT.max_bytes)]
    pub quota_bytes: u64,
    /// Files and folders each user may own, trash included (0: unlimited).
    #[arg(long, env = "QUOTA_ENTRIES", default_value_t = crate::services::quotas::QuotaLimits::DEFAULT.max_entries)]
    pub quota_entries: u64,
    /// Upload sessions each user may have open at once (0: unlimited).
    #[arg(long, env = "QUOTA_UPLOAD_SESSIONS", default_value_t = crate::services::quotas::QuotaLimits::DEFAULT.max_upload_sessions)]
    pub quota_upload_sessions: u64,
    /// Seconds a login token stays valid.
    #[arg(long, env = "TOKEN_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    pub token_ttl_secs: u64,
    /// Logs at debug level.
    #[arg(long, env = "DEBUG_LOGGING")]
    pub debug_logging: bool,
}

impl ServeArgs {
    /// What the flags say when none is given and no variable is set: the
    /// embedded defaults, for a manager on `data_dir`. Tests start from here.
    pub fn defaults(data_dir: &std::path::Path) -> ServeArgs {
        use clap::FromArgMatches;
        let command = ServeArgs::augment_args(clap::Command::new("cordvault-server"))
            .mut_args(|arg| arg.env(None::<&'static str>));
        let arguments = [std::ffi::OsStr::new("cordvault-server"), "--data-dir".as_ref(), data_dir.as_os_str()];
        let matches = command.try_get_matches_from(arguments).expect("the defaults parse");
        ServeArgs::from_arg_matches(&matches).expect("the defaults parse")
    }

    pub fn key_settings(&self) -> KeySettings {
        KeySettings {
            private_key: self.private_key.clone(),
            public_key: self.public_key.clone(),
            message_encryption_key: self.message_encryption_key.clone(),
            service_password: self.service_password.clone(),
        }
    }

    pub fn listen_address(&self) -> String {
        match (self.manager_port, self.listen.rsplit_once(':')) {
            (Some(port), Some((host, _))) => format!("{host}:{port}"),
            (Some(port), None) => format!("{}:{port}", self.listen),
            (None, _) => self.listen.clone(),
        }
    }

    /// The chunk store these flags describe; the error names every missing setting.
    /// Whether an analysis worker runs inside the manager.
    pub fn in_process_analysis(&self) -> anyhow::Result<bool> {
        match self.analysis.as_str() {
            "in-process" => Ok(true),
            "external" => Ok(false),
            other => anyhow::bail!("ANALYSIS must be in-process or external, not {other:?}"),
        }
    }

    /// How data packages are taken in.
    pub fn package_config(&self) -> crate::services::packages::PackageConfig {
        let allowlist = [&self.package_link_allowlist, &self.dl_zip_whitelisted_domains]
            .into_iter()
            .flatten()
            .flat_map(|list| list.split(','))
            .map(str::trim)
            .filter(|prefix| !prefix.is_empty())
            .map(str::to_owned)
            .collect();
        crate::services::packages::PackageConfig {
            click_base: self.discord_click_base.clone(),
            allowlist,
            max_package_bytes: self.package_max_bytes,
            discord_tokens: self
                .discord_bot_token
                .iter()
                .flat_map(|tokens| tokens.split(','))
                .map(str::trim)
                .filter(|token| !token.is_empty())
                .map(str::to_owned)
                .collect(),
            discord_api_base: self.discord_api_base.clone(),
            lease: std::time::Duration::from_secs(self.package_lease_secs.max(1)),
            ..Default::default()
        }
    }

    /// The in-process thumbnail worker's format, or None for `external`.
    pub fn in_process_thumbnails(&self) -> anyhow::Result<Option<ThumbnailFormat>> {
        match self.thumbnails.as_str() {
            "in-process" => Ok(Some(self.thumbnail_format)),
            "external" => Ok(None),
            other => anyhow::bail!("THUMBNAILS must be in-process or external, not {other:?}"),
        }
    }

    pub fn thumbnail_width(&self) -> anyhow::Result<u32> {
        match self.thumbnail_width {
            16..=2048 => Ok(self.thumbnail_width),
            width => anyhow::bail!("THUMBNAIL_WIDTH must be between 16 and 2048 pixels, not {width}"),
        }
    }

    pub fn store_choice(&self) -> anyhow::Result<StoreChoice> {
        match self.chunk_store.as_str() {
            "local" => Ok(StoreChoice::Local),
            "discord" => {
                let mut missing = Vec::new();
                let tokens: Vec<String> = split_list(self.discord_bot_token.as_deref());
                let channels = split_list(self.discord_channel_ids.as_deref());
                if tokens.is_empty() {
                    missing.push("DISCORD_BOT_TOKEN");
                }
                if channels.is_empty() {
                    missing.push("DISCORD_CHANNEL_IDS");
                }
                if !missing.is_empty() {
                    anyhow::bail!("CHUNK_STORE=discord needs {}", missing.join(" and "));
                }
                let channels = channels
                    .iter()
                    .map(|id| {
                        id.parse::<u64>()
                            .map_err(|_| anyhow::anyhow!("DISCORD_CHANNEL_IDS: {id:?} is not a channel id"))
                    })
                    .collect::<anyhow::Result<Vec<u64>>>()?;
                Ok(StoreChoice::Discord(DiscordConfig {
                    tokens,
                    channels,
                    api_base: self.discord_api_base.clone(),
                    keep_messages: self.discord_keep_messages,
                }))
            }
            other => anyhow::bail!("CHUNK_STORE must be local or discord, not {other:?}"),
        }
    }

    pub fn upload_idle_timeout(&self) -> Duration {
        Duration::from_secs(self.upload_idle_timeout_secs)
    }
}
