//! Command-line flags and environment variables of `cordvault-server`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::keys::KeySettings;

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
    /// Plaintext bytes per chunk.
    #[arg(long, env = "CHUNK_SIZE", default_value_t = 4 * 1024 * 1024)]
    pub chunk_size: u64,
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
    /// Seconds a login token stays valid.
    #[arg(long, env = "TOKEN_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    pub token_ttl_secs: u64,
    /// Logs at debug level.
    #[arg(long, env = "DEBUG_LOGGING")]
    pub debug_logging: bool,
}

impl ServeArgs {
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

    pub fn upload_idle_timeout(&self) -> Duration {
        Duration::from_secs(self.upload_idle_timeout_secs)
    }
}
