//! `cordvault app-password …`: secrets that log in in place of your password.

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum AppPasswordCommand {
    /// Create an app password and print its secret (shown this once)
    Create(CreateArgs),
    /// List your app passwords (never their secrets)
    Ls(LsArgs),
    /// Revoke an app password: logging in with it fails from now on
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// What it is for, e.g. "laptop webdav"
    pub label: String,
    /// Print the app password, secret included, as one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Print one JSON object per app password
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    pub id: i64,
}
