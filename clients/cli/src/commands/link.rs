//! link create | ls | revoke: share links anyone can open at `<server>/s/<id>`.

use anyhow::{Context, Result, bail};
use cordvault_client::from_status;
use cordvault_client::proto::{CreateLinkRequest, Link, ListLinksRequest, RevokeLinkRequest};
use cordvault_core::clock::now_ms;

use crate::cli::link::{CreateArgs, LinkCommand, LsArgs, RevokeArgs};
use crate::output::print_line;
use crate::password;
use crate::remote_path;
use crate::session::Session;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_reads_as_time_left() {
        assert_eq!(expiry_text(0, 5), "never");
        assert_eq!(expiry_text(1_000, 2_000), "expired");
        assert_eq!(expiry_text(61_000, 0), "in 1m");
        assert_eq!(expiry_text((2 * 86_400 + 3 * 3600 + 60) * 1000, 0), "in 2d 3h");
    }
}
