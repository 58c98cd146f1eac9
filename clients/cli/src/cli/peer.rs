//! `cordvault peer …`: peer mode, the discord-sftp tool rebuilt. Peers
//! announce themselves in a Discord channel through a bot and share folders
//! with each other over SFTP.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = false)]
pub struct PeerArgs {
    #[command(flatten)]
    pub options: PeerOptions,
    #[command(subcommand)]
    pub command: Option<PeerCommand>,
}

#[derive(Debug, Subcommand)]
pub enum PeerCommand {
    /// Announce, discover and share without the interactive shell (for services)
    Serve,
    /// Print the live peers of the channel, one per line: instance, address, fingerprint, last seen
    List,
    /// Download from a peer: PEER:/path, into LOCAL or the current directory
    Get(PeerGetArgs),
}

#[derive(Debug, Args)]
pub struct PeerGetArgs {
    /// Folders too, with everything in them
    #[arg(short, long)]
    pub recursive: bool,
    /// Overwrite existing local files
    #[arg(short, long)]
    pub force: bool,
    /// PEER:/path/on/the/peer
    pub source: String,
    /// Local file or directory [default: the current directory]
    pub local: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PeerOptions {
    /// The text channel peers meet in, looked up in every guild the bot is in
    #[arg(short, long, global = true, default_value = "general", conflicts_with = "channel_id")]
    pub channel: String,
    /// The channel's id, instead of its name
    #[arg(long, global = true, value_name = "ID")]
    pub channel_id: Option<u64>,
    /// File holding the bot token [default: ~/.discordsftptoken; DISCORD_BOT_TOKEN wins when set]
    #[arg(short, long, global = true, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// TCP port of the SFTP server
    #[arg(short, long, global = true, default_value_t = 2200)]
    pub port: u16,
    /// Address the SFTP server listens on
    #[arg(long, global = true, default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// Address (and optional :port) others should dial, when not the bound one
    #[arg(long, global = true, value_name = "HOST[:PORT]")]
    pub advertise_address: Option<String>,
    /// Map the port on the router with UPnP while running
    #[arg(long, global = true)]
    pub upnp: bool,
    /// Run no server: only browse and download from others
    #[arg(long, global = true)]
    pub client_only: bool,
    /// This peer's name in the channel [default: USER@HOST]
    #[arg(long, global = true)]
    pub instance: Option<String>,
    /// Let only these peers connect (repeatable)
    #[arg(long, global = true, value_name = "INSTANCE")]
    pub allow: Vec<String>,
    /// The folder to share [default: the current directory]
    #[arg(long, global = true, value_name = "DIR")]
    pub folder: Option<PathBuf>,
    /// Let peers upload into the shared folder
    #[arg(long, global = true)]
    pub writable: bool,
    /// Share dotfiles too (hidden and refused by default)
    #[arg(long, global = true)]
    pub dotfiles: bool,
    /// Keys, pins and history [default: the user's config directory, cordvault/peer]
    #[arg(long, global = true, env = "CORDVAULT_PEER_CONFIG", value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// Write the log to this file instead of stderr
    #[arg(short, long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Log debug detail
    #[arg(short, long, global = true)]
    pub debug: bool,
}
