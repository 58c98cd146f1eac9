//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub mod admin;
pub mod app_password;
pub mod link;
pub mod package;
pub mod peer;
pub mod ssh_key;

use crate::byte_range::ByteRange;
use admin::AdminCommand;
use app_password::AppPasswordCommand;
use link::LinkCommand;
use package::PackageCommand;
use peer::PeerArgs;
use ssh_key::SshKeyCommand;

#[derive(Debug, Parser)]
#[command(name = "cordvault", version, about = "Store, organise and fetch files on a cordvault server")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Server address [default: the one saved by `login`, else http://127.0.0.1:8080]
    #[arg(long, global = true, env = "CORDVAULT_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// Token to use instead of the one saved by `login`
    #[arg(long, global = true, env = "CORDVAULT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an account (the first one needs no login and becomes an administrator)
    Register(Credentials),
    /// Log in and save the token for later commands
    Login(Credentials),
    /// Show who the saved token belongs to
    Whoami,
    /// Change your password (and save the new token)
    Passwd(PasswdArgs),
    /// SSH public keys for the SFTP gateway: add, list and remove yours
    #[command(subcommand)]
    SshKey(SshKeyCommand),
    /// App passwords, which log in in place of your password (WebDAV clients): create, list and revoke
    #[command(subcommand)]
    AppPassword(AppPasswordCommand),
    /// List a folder
    Ls(LsArgs),
    /// Create a folder
    Mkdir(MkdirArgs),
    /// Move a file or folder into another folder
    Mv(MvArgs),
    /// Rename a file or folder in place
    Rename(RenameArgs),
    /// Delete a file or folder
    Rm(RmArgs),
    /// Upload a file or a directory tree
    Put(PutArgs),
    /// Download a file or a folder tree
    Get(GetArgs),
    /// Administer accounts (administrators only)
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Share links: create, list and revoke them
    #[command(subcommand)]
    Link(LinkCommand),
    /// Discord data packages: submit a link, follow it, fetch and open the result (no login needed)
    #[command(subcommand)]
    Package(PackageCommand),
    /// Peer mode: share a folder over SFTP with the peers of a Discord channel, browse and download theirs
    Peer(PeerArgs),
}

impl Command {
    /// Whether an authentication failure means "log in first"; for `login`
    /// itself it means a wrong password.
    pub fn needs_login_hint(&self) -> bool {
        !matches!(self, Command::Login(_) | Command::Package(_) | Command::Peer(_))
    }
}

#[derive(Debug, Args)]
pub struct Credentials {
    pub username: String,
    /// Password [default: prompted, or one line of stdin when it is not a terminal]
    #[arg(long, env = "CORDVAULT_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// Current password [default: prompted]
    #[arg(long)]
    pub old: Option<String>,
    /// New password [default: prompted]
    #[arg(long)]
    pub new: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SortKey {
    Name,
    Size,
    Updated,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Folder (or file) to list
    #[arg(default_value = "/")]
    pub path: String,
    #[arg(long, value_enum, default_value_t = SortKey::Name)]
    pub sort: SortKey,
    /// Reverse the order
    #[arg(long)]
    pub desc: bool,
    /// Show kind, size and owner
    #[arg(short, long)]
    pub long: bool,
}

#[derive(Debug, Args)]
pub struct MkdirArgs {
    /// Create missing parents too, and accept an existing folder
    #[arg(short, long)]
    pub parents: bool,
    pub path: String,
}

#[derive(Debug, Args)]
pub struct MvArgs {
    pub source: String,
    pub destination_folder: String,
    /// Pick a free name like "name (1).ext" when the name is taken
    #[arg(long)]
    pub rename_on_conflict: bool,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    pub path: String,
    pub new_name: String,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Delete a folder and everything in it
    #[arg(short, long)]
    pub recursive: bool,
    pub path: String,
}

#[derive(Debug, Args)]
pub struct PutArgs {
    /// Local file or directory
    pub local: PathBuf,
    /// Target path, or an existing folder to upload into
    pub remote: String,
    /// Files uploaded at once
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// Chunk streams per file
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub streams: u16,
    /// Replace remote files with different content
    #[arg(long, conflicts_with = "rename")]
    pub overwrite: bool,
    /// Upload under a free name like "name (1).ext" when the name is taken
    #[arg(long)]
    pub rename: bool,
    /// Print one JSON object per file on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Remote file or folder
    pub remote: String,
    /// Local target path, or an existing directory to download into
    pub local: PathBuf,
    /// Only these bytes: START-END (inclusive) or START-
    #[arg(long, value_name = "START-END")]
    pub range: Option<ByteRange>,
    /// Start over instead of continuing a partial local file
    #[arg(long)]
    pub no_resume: bool,
    /// Download a folder and everything in it
    #[arg(short, long)]
    pub recursive: bool,
    /// Files downloaded at once (with -r)
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
}
