//! `cordvault ssh-key …`: the SSH public keys that log you in to the SFTP gateway.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum SshKeyCommand {
    /// Add a public key (Ed25519, ECDSA, or RSA of 2048 bits or more)
    Add(AddArgs),
    /// List your keys
    Ls(LsArgs),
    /// Remove one of your keys
    Rm(RmArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The public key file, e.g. ~/.ssh/id_ed25519.pub, or - for one line of stdin
    #[arg(value_name = "FILE.pub|-")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Print one JSON object per key
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// The key's id or fingerprint (SHA256:..., as `ssh-key ls` and `ssh-keygen -l` show it)
    #[arg(value_name = "ID|FINGERPRINT")]
    pub key: String,
}
