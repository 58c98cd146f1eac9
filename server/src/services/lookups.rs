//! Discord users and guild widgets for data-package clients, looked up
//! through the bot (the same request path and rate limiter as the Discord
//! chunk store) and cached in the database for a day.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use cordvault_core::clock::Clock;
use cordvault_core::{Error, Result};
use cordvault_store::{DiscordApi, StoreError};
use serde_json::Value;

use super::rate_limit::{RateLimiter, RatePolicy};
use crate::db::Db;

/// How long a looked-up user or guild is served from the cache.
const CACHE_FOR: Duration = Duration::from_secs(24 * 3600);

/// A user as dumpus clients show one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscordUser {
    pub user_id: String,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub avatar_url: String,
}

/// A guild's widget: its name, icon and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuildWidget {
    pub name: String,
    pub icon_url: Option<String>,
    pub member_count: u64,
}

#[derive(Clone)]
pub struct Lookups {
    db: Db,
    clock: Clock,
    /// None without DISCORD_BOT_TOKEN: every lookup is NOT_FOUND.
    api: Option<Arc<DiscordApi>>,
    /// Lookups that reach Discord spend the bot's rate limit: per address.
    fetches: RateLimiter,
}

/// Lookups an address may send to Discord: 30 at once, then one a second.
const FETCHES: RatePolicy = RatePolicy { burst: 30, refill: Duration::from_secs(1) };

impl Lookups {
    pub fn new(db: Db, clock: Clock, api: Option<DiscordApi>) -> Lookups {
        let fetches = RateLimiter::new("Discord lookups", FETCHES, clock.clone());
        Lookups { db, clock, api: api.map(Arc::new), fetches }
    }

    /// `peer` is the caller's address, for the rate limit.
    pub async fn user(&self, user_id: &str, peer: Option<IpAddr>) -> Result<DiscordUser> {
        let id = snowflake(user_id)?;
        let user = self.cached("user", user_id, peer, |api| async move { api.user(id).await }).await?;
        Ok(DiscordUser {
            user_id: user_id.to_owned(),
            username: text(&user, "username"),
            display_name: text(&user, "global_name"),
            avatar_url: avatar_url(id, &user),
        })
    }

    pub async fn guild_widget(&self, guild_id: &str, peer: Option<IpAddr>) -> Result<GuildWidget> {
        let id = snowflake(guild_id)?;
        let guild = self.cached("guild", guild_id, peer, |api| async move { api.guild_with_counts(id).await }).await?;
        let icon_url = text(&guild, "icon").map(|icon| {
            let extension = if icon.starts_with("a_") { "gif" } else { "png" };
            format!("https://cdn.discordapp.com/icons/{guild_id}/{icon}.{extension}")
        });
        Ok(GuildWidget {
            name: text(&guild, "name").unwrap_or_default(),
            icon_url,
            member_count: guild["approximate_member_count"].as_u64().unwrap_or(0),
        })
    }

    /// The cached payload, or a fresh one from Discord, kept when it looks
    /// real (it names the user or guild).
    async fn cached<F, Fut>(&self, kind: &str, id: &str, peer: Option<IpAddr>, fetch: F) -> Result<Value>
    where
        F: FnOnce(Arc<DiscordApi>) -> Fut,
        Fut: Future<Output = std::result::Result<Value, StoreError>>,
    {
        let now = self.clock.now_ms();
        let fresh_since = now - CACHE_FOR.as_millis() as i64;
        if let Some(payload) = self.db.cached_lookup(kind, id, fresh_since).await?
            && let Ok(value) = serde_json::from_str(&payload)
        {
            return Ok(value);
        }
        let api = self
            .api
            .clone()
            .ok_or_else(|| Error::not_found(format!("no Discord bot is configured to look up a {kind}")))?;
        self.fetches.take(peer)?;
        let value = match fetch(api).await {
            Ok(value) => value,
            Err(StoreError::NotFound(_)) => return Err(Error::not_found(format!("Discord knows no such {kind}"))),
            Err(err) => return Err(Error::unavailable(format!("Discord did not answer: {err}"))),
        };
        if value.get("username").or_else(|| value.get("name")).is_some_and(Value::is_string) {
            self.db.store_lookup(kind, id, &value.to_string(), now).await?;
        }
        Ok(value)
    }
}

fn snowflake(id: &str) -> Result<u64> {
    id.parse::<u64>().ok().filter(|id| *id > 0).ok_or_else(|| Error::invalid_argument("a Discord id is a number"))
}

fn text(value: &Value, field: &str) -> Option<String> {
    value.get(field).and_then(Value::as_str).filter(|text| !text.is_empty()).map(str::to_owned)
}

/// As dumpus-api: an animated avatar as GIF, another as WebP; without one,
/// Discord's default avatar (by discriminator for legacy names, by id for new ones).
fn avatar_url(id: u64, user: &Value) -> String {
    if let Some(hash) = text(user, "avatar") {
        let extension = if hash.starts_with("a_") { "gif" } else { "webp" };
        return format!("https://cdn.discordapp.com/avatars/{id}/{hash}.{extension}");
    }
    let discriminator = text(user, "discriminator").and_then(|text| text.parse::<u64>().ok()).unwrap_or(0);
    let index = if discriminator != 0 { discriminator % 5 } else { (id >> 22) % 6 };
    format!("https://cdn.discordapp.com/embed/avatars/{index}.png")
}
