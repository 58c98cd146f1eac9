//! link create | ls | revoke: share links anyone can open at `<server>/s/<id>`.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use cordvault_client::from_status;
use cordvault_client::proto::{CreateLinkRequest, Link, ListLinksRequest, RevokeLinkRequest};
use cordvault_core::clock::now_ms;

use crate::output::print_line;
use crate::password;
use crate::remote_path;
use crate::session::Session;

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Create a link to a file or folder and print its address
    Create(CreateArgs),
    /// List your links (every user's with --all, administrators only)
    Ls(LsArgs),
    /// Revoke a link: it stops working at once
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    pub path: String,
    /// Stop working after this long: 90s, 30m, 12h, 7d
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub expires: Option<Duration>,
    /// Ask visitors for this password
    #[arg(long, conflicts_with = "ask_password")]
    pub password: Option<String>,
    /// Prompt for the visitors' password (or read one line of stdin)
    #[arg(long)]
    pub ask_password: bool,
    /// Stop working after this many downloads
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_downloads: Option<u64>,
    /// Print the link as one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Every user's links (administrators only)
    #[arg(long)]
    pub all: bool,
    /// Print one JSON object per link
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    pub id: String,
}

pub async fn run(session: &Session, command: LinkCommand) -> Result<()> {
    match command {
        LinkCommand::Create(args) => create(session, args).await,
        LinkCommand::Ls(args) => list(session, args).await,
        LinkCommand::Revoke(args) => revoke(session, args).await,
    }
}

async fn create(session: &Session, args: CreateArgs) -> Result<()> {
    let password = match (args.password, args.ask_password) {
        (Some(password), _) => password,
        (None, true) => password::obtain_new(None, "Link password: ")?,
        (None, false) => String::new(),
    };
    let expires_at_ms = match args.expires {
        Some(duration) => now_ms() + i64::try_from(duration.as_millis()).context("the expiry is too far away")?,
        None => 0,
    };
    let request = CreateLinkRequest {
        path: remote_path::normalize(&args.path),
        expires_at_ms,
        password,
        max_downloads: args.max_downloads.unwrap_or(0),
    };
    let response = session.client.links()?.create_link(request).await.map_err(from_status)?;
    let Some(link) = response.into_inner().link else {
        bail!("the server created a link but did not return it");
    };
    if args.json {
        print_line(json(session, &link))?;
    } else {
        print_line(address(session, &link))?;
    }
    Ok(())
}

async fn list(session: &Session, args: LsArgs) -> Result<()> {
    let response = session.client.links()?.list_links(ListLinksRequest { all: args.all }).await.map_err(from_status)?;
    for link in response.into_inner().links {
        if args.json {
            print_line(json(session, &link))?;
        } else {
            print_line(summary(session, &link, args.all))?;
        }
    }
    Ok(())
}

async fn revoke(session: &Session, args: RevokeArgs) -> Result<()> {
    let request = RevokeLinkRequest { id: args.id.trim().to_owned() };
    session.client.links()?.revoke_link(request).await.map_err(from_status)?;
    Ok(())
}

/// The full address a visitor opens.
fn address(session: &Session, link: &Link) -> String {
    format!("{}{}", session.server, link.url_path)
}

/// One line of `link ls`: id, state, downloads, expiry, password, [creator,] path.
fn summary(session: &Session, link: &Link, with_creator: bool) -> String {
    let state = if link.alive { "alive" } else { "dead" };
    let downloads = match link.max_downloads {
        0 => link.downloads.to_string(),
        max => format!("{}/{max}", link.downloads),
    };
    let expires = expiry_text(link.expires_at_ms, now_ms());
    let password = if link.has_password { "password" } else { "open" };
    let creator = if with_creator { format!("  {}", link.created_by) } else { String::new() };
    let path = if link.path.is_empty() { "-" } else { &link.path };
    format!(
        "{}  {state:<5}  {downloads:>7}  {expires:<12}  {password:<8}{creator}  {path}  {}",
        link.id,
        address(session, link)
    )
}

fn json(session: &Session, link: &Link) -> serde_json::Value {
    serde_json::json!({
        "id": link.id,
        "url": address(session, link),
        "path": link.path,
        "is_folder": link.is_folder,
        "alive": link.alive,
        "has_password": link.has_password,
        "downloads": link.downloads,
        "max_downloads": link.max_downloads,
        "expires_at_ms": link.expires_at_ms,
        "created_by": link.created_by,
        "created_at_ms": link.created_at_ms,
    })
}

/// "never", "expired" or how long is left: "in 2d 3h", "in 5m".
fn expiry_text(expires_at_ms: i64, now_ms: i64) -> String {
    if expires_at_ms == 0 {
        return "never".to_owned();
    }
    let left_secs = (expires_at_ms - now_ms) / 1000;
    if left_secs <= 0 {
        return "expired".to_owned();
    }
    let (days, hours, minutes) = (left_secs / 86_400, left_secs % 86_400 / 3600, left_secs % 3600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("in {left_secs}s"),
        (0, 0, minutes) => format!("in {minutes}m"),
        (0, hours, minutes) => format!("in {hours}h {minutes}m"),
        (days, hours, _) => format!("in {days}d {hours}h"),
    }
}

/// "90s", "30m", "12h", "7d"; a bare number is seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration like 30m, 12h or 7d"))?;
    let seconds_per_unit = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("unknown unit {unit:?}: use s, m, h, d or w")),
    };
    match number.checked_mul(seconds_per_unit) {
        Some(0) => Err("the duration must be longer than zero".to_owned()),
        Some(seconds) => Ok(Duration::from_secs(seconds)),
        None => Err(format!("{text:?} is too long")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5y").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("99999999999999999999w").is_err());
    }

    #[test]
    fn expiry_reads_as_time_left() {
        assert_eq!(expiry_text(0, 5), "never");
        assert_eq!(expiry_text(1_000, 2_000), "expired");
        assert_eq!(expiry_text(61_000, 0), "in 1m");
        assert_eq!(expiry_text((2 * 86_400 + 3 * 3600 + 60) * 1000, 0), "in 2d 3h");
    }
}
