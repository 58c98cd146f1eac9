//! `cordvault package …`: Discord data packages.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum PackageCommand {
    /// Queue a package and print its id: by the link Discord emailed, by a zip
    /// on this machine (uploaded), or by a zip stored in cordvault (--stored)
    Submit(SubmitArgs),
    /// Show where a package is: queued (and where), downloading, analysing, done or failed
    Status(PackageArgs),
    /// Fetch a processed package's result and open it here, with the key, into a SQLite file
    Fetch(FetchArgs),
    /// Delete a package and its result
    Delete(PackageArgs),
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The link Discord emailed (https://click.discord.com/ls/click?upn=…),
    /// or the path of the package zip on this machine, or with --stored in cordvault
    pub link: String,
    /// The argument is the path of a zip stored in cordvault, e.g. /me/package.zip
    #[arg(long)]
    pub stored: bool,
    /// Wait until it is processed (or fails), showing its progress
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// The package's Discord link, or its key (the link's upn value)
    pub link_or_key: String,
    /// Print the status as one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The package's Discord link, or its key (the link's upn value)
    pub link_or_key: String,
    /// Where the SQLite database goes
    #[arg(short, long, default_value = "package.sqlite")]
    pub output: PathBuf,
}
