//! The Discord chunk store: each object is one attachment on one message,
//! posted by a bot in one of a pool of channels, over serenity's HTTP client
//! (no gateway). Locators keep channel, message and attachment ids, never a
//! CDN URL: attachment URLs are signed and expire, so reads fetch the message
//! for a fresh URL, cache it until shortly before its `ex`, and fetch only the
//! byte range they need from the CDN.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use cordvault_core::crypto::random_hex;
use cordvault_core::retry::Backoff;
use serenity::builder::{CreateAttachment, CreateMessage};
use serenity::http::{LightMethod, Multipart, MultipartUpload, Request, Route};
use serenity::model::channel::Message;
use serenity::model::id::{ChannelId, GuildId, MessageId, UserId};
use serenity::model::user::CurrentUser;

use crate::discord_limits::RateLimiter;
use crate::{ChunkLocator, ChunkStore, StoreError, StoredObject};

/// Discord's attachment limit for bots without boosts.
pub const DISCORD_ATTACHMENT_LIMIT: u64 = 10 * 1024 * 1024;
/// Attempts for requests that fail in ways that pass (5xx, timeouts).
const ATTEMPTS: u32 = 6;
/// URLs are refreshed this long before they expire.
const URL_MARGIN: Duration = Duration::from_secs(30);

#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DiscordConfig {
    pub tokens: Vec<String>,
    pub channels: Vec<u64>,
    /// An API base other than Discord's, such as the emulator.
    pub api_base: Option<String>,
    /// Never delete messages (the original system's behaviour).
    pub keep_messages: bool,
}

struct Bot {
    /// The Authorization header value: "Bot <token>".
    authorization: String,
    limits: RateLimiter,
}

/// Discord's REST API as cordvault's bots call it: requests built by
/// serenity, sent one bot at a time through its rate limiter, 429s, 5xx and
/// network failures retried. The chunk store and the data-package lookups
/// (users, guild widgets) both go through it.
pub struct DiscordApi {
    bots: Vec<Bot>,
    /// Requests are built by serenity (routes, multipart) and sent here.
    client: reqwest::Client,
    api_base: Option<String>,
}

pub struct DiscordStore {
    config: DiscordConfig,
    api: DiscordApi,
    cdn: reqwest::Client,
    next: AtomicUsize,
    urls: Mutex<HashMap<String, (String, SystemTime)>>,
}

/// Everything but the bot tokens, which must not reach a log.
impl std::fmt::Debug for DiscordConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordConfig")
            .field("tokens", &format_args!("[{} hidden]", self.tokens.len()))
            .field("channels", &self.channels)
            .field("api_base", &self.api_base)
            .field("keep_messages", &self.keep_messages)
            .finish()
    }
}

impl std::fmt::Debug for DiscordStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordStore")
            .field("channels", &self.config.channels)
            .field("bots", &self.api.bots.len())
            .finish()
    }
}

/// Channel, message and attachment of a stored object, and the bot that posted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Location {
    bot: usize,
    channel: u64,
    message: u64,
    attachment: u64,
}

impl Location {
    fn locator(&self) -> ChunkLocator {
        ChunkLocator(format!("discord:{}:{}:{}:{}", self.bot, self.channel, self.message, self.attachment))
    }

    fn parse(locator: &ChunkLocator) -> Result<Location, StoreError> {
        let invalid = || StoreError::InvalidLocator(locator.0.clone());
        let mut parts = locator.0.strip_prefix("discord:").ok_or_else(invalid)?.split(':');
        let mut next = || parts.next().and_then(|part| part.parse::<u64>().ok()).ok_or_else(invalid);
        Ok(Location { bot: next()? as usize, channel: next()?, message: next()?, attachment: next()? })
    }
}

/// How a Discord failure is handled.
enum Failure {
    Retry(String),
    Final(StoreError),
}

#[derive(serde::Deserialize, Default)]
struct DiscordError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    retry_after: Option<f64>,
}

/// What an unsuccessful answer means.
fn classify(status: u16, error: &DiscordError, context: &str) -> Failure {
    let code = error.code;
    match (status, code) {
        (413, _) | (_, 40005) => Failure::Final(StoreError::Misconfigured(format!(
            "{context}: Discord refused the attachment as too large (code 40005); lower CHUNK_SIZE"
        ))),
        (401, _) => {
            Failure::Final(StoreError::Misconfigured(format!("{context}: Discord does not accept the bot token (401)")))
        }
        (403, _) | (_, 50001) | (_, 50013) => Failure::Final(StoreError::Misconfigured(format!(
            "{context}: the bot has no access (Discord code {code}: {})",
            error.message
        ))),
        (500..=599, _) => Failure::Retry(format!("{context}: Discord answered {status}")),
        _ => Failure::Final(StoreError::Unavailable(format!(
            "{context}: Discord answered {status} (code {code}: {})",
            error.message
        ))),
    }
}

/// An error with its causes: reqwest's own message says little.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Between tries of one Discord request: 100 ms doubling to 6.4 s.
const BACKOFF: Backoff = Backoff { first: Duration::from_millis(100), ceiling: Duration::from_millis(6400) };

/// The `ex` parameter of a signed attachment URL: when it stops working.
fn url_expiry(url: &str) -> SystemTime {
    let ex = url
        .split(['?', '&'])
        .find_map(|part| part.strip_prefix("ex="))
        .and_then(|hex| u64::from_str_radix(hex, 16).ok());
    match ex {
        Some(seconds) => UNIX_EPOCH + Duration::from_secs(seconds),
        // Unknown: trust it for a minute.
        None => SystemTime::now() + Duration::from_secs(60),
    }
}

impl DiscordApi {
    pub fn new(tokens: &[String], api_base: Option<String>) -> Result<DiscordApi, StoreError> {
        if tokens.is_empty() {
            return Err(StoreError::Misconfigured("DISCORD_BOT_TOKEN is empty".into()));
        }
        let bots = tokens
            .iter()
            .map(|token| Bot { authorization: format!("Bot {}", token.trim()), limits: RateLimiter::default() })
            .collect();
        Ok(DiscordApi { bots, client: http_client(60)?, api_base })
    }

    /// Sends one API request as `bot`, obeying rate limits, retrying 429s,
    /// 5xx and network failures. `bucket` names the rate-limit bucket.
    pub(crate) async fn call(
        &self,
        bot: usize,
        bucket: &str,
        context: &str,
        request: impl Fn() -> Request<'static>,
    ) -> Result<reqwest::Response, StoreError> {
        let bot = self.bots.get(bot).ok_or_else(|| StoreError::Misconfigured(format!("no bot #{bot}")))?;
        let mut failures = 0;
        let mut rate_limited = 0;
        loop {
            bot.limits.acquire(bucket).await;
            let built = request()
                .build(&self.client, &bot.authorization, self.api_base.as_deref())
                .and_then(|builder| builder.build().map_err(Into::into))
                .map_err(|err| StoreError::Misconfigured(format!("{context}: cannot build the request: {err}")))?;
            let failure = match self.client.execute(built).await {
                Err(err) => Failure::Retry(format!("{context}: {}", error_chain(&err))),
                Ok(response) => {
                    bot.limits.update(bucket, response.headers());
                    let status = response.status().as_u16();
                    if response.status().is_success() {
                        return Ok(response);
                    }
                    let headers = response.headers().clone();
                    let body = response.bytes().await.unwrap_or_default();
                    let error: DiscordError = serde_json::from_slice(&body).unwrap_or_default();
                    if status == 429 {
                        bot.limits.rate_limited(bucket, &headers, error.retry_after);
                        rate_limited += 1;
                        if rate_limited > 100 {
                            return Err(StoreError::Unavailable(format!("{context}: rate limited 100 times in a row")));
                        }
                        continue;
                    }
                    if status == 404 {
                        return Err(StoreError::NotFound(ChunkLocator(String::new())));
                    }
                    classify(status, &error, context)
                }
            };
            match failure {
                Failure::Retry(reason) if failures + 1 < ATTEMPTS => {
                    tracing::debug!(%reason, failures, "retrying a Discord request");
                    tokio::time::sleep(BACKOFF.delay(failures)).await;
                    failures += 1;
                }
                Failure::Retry(reason) => return Err(StoreError::Unavailable(reason)),
                Failure::Final(err) => return Err(err),
            }
        }
    }

    /// A user as Discord's API describes it (`GET /users/{id}`); NotFound
    /// for an unknown user.
    pub async fn user(&self, user_id: u64) -> Result<serde_json::Value, StoreError> {
        let response = self
            .call(0, "GET users", "looking up a user", || {
                Request::new(Route::User { user_id: UserId::new(user_id.max(1)) }, LightMethod::Get)
            })
            .await?;
        parse(response, "looking up a user").await
    }

    /// A guild with its approximate member count (`GET /guilds/{id}?with_counts=true`).
    pub async fn guild_with_counts(&self, guild_id: u64) -> Result<serde_json::Value, StoreError> {
        let response = self
            .call(0, "GET guilds", "looking up a guild", || {
                Request::new(Route::Guild { guild_id: GuildId::new(guild_id.max(1)) }, LightMethod::Get)
                    .params(Some(vec![("with_counts", "true".to_owned())]))
            })
            .await?;
        parse(response, "looking up a guild").await
    }
}

fn http_client(timeout_secs: u64) -> Result<reqwest::Client, StoreError> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(timeout_secs))
        .build()
        .map_err(|err| StoreError::Misconfigured(format!("HTTP client: {err}")))
}

impl DiscordStore {
    pub fn new(config: DiscordConfig) -> Result<DiscordStore, StoreError> {
        if config.tokens.is_empty() {
            return Err(StoreError::Misconfigured("DISCORD_BOT_TOKEN is empty".into()));
        }
        if config.channels.is_empty() {
            return Err(StoreError::Misconfigured("DISCORD_CHANNEL_IDS is empty".into()));
        }
        Ok(DiscordStore {
            api: DiscordApi::new(&config.tokens, config.api_base.clone())?,
            config,
            cdn: http_client(120)?,
            next: AtomicUsize::new(0),
            urls: Mutex::default(),
        })
    }

    async fn post_attachment(&self, bot: usize, channel: u64, data: Vec<u8>) -> Result<Message, StoreError> {
        let payload =
            serde_json::to_string(&CreateMessage::new()).map_err(|err| StoreError::Misconfigured(err.to_string()))?;
        // Opaque names: nothing about the file reaches Discord.
        let name = format!("{}.bin", random_hex::<8>());
        let context = format!("posting in channel {channel}");
        let response = self
            .api
            .call(bot, &format!("POST {channel}"), &context, || {
                Request::new(Route::ChannelMessages { channel_id: ChannelId::new(channel) }, LightMethod::Post)
                    .multipart(Some(Multipart {
                        upload: MultipartUpload::Attachments(vec![CreateAttachment::bytes(data.clone(), name.clone())]),
                        fields: vec![],
                        payload_json: Some(payload.clone()),
                    }))
            })
            .await?;
        parse(response, &context).await
    }

    async fn fetch_message(&self, location: &Location) -> Result<Message, StoreError> {
        let (channel, message) = (location.channel, location.message);
        let response = self
            .api
            .call(location.bot, &format!("GET {channel}"), "fetching a chunk's message", || {
                Request::new(
                    Route::ChannelMessage { channel_id: ChannelId::new(channel), message_id: MessageId::new(message) },
                    LightMethod::Get,
                )
            })
            .await?;
        parse(response, "fetching a chunk's message").await
    }

    async fn current_user(&self, bot: usize) -> Result<CurrentUser, StoreError> {
        let response = self
            .api
            .call(bot, "GET users/@me", "checking the bot token", || Request::new(Route::UserMe, LightMethod::Get))
            .await?;
        parse(response, "checking the bot token").await
    }

    async fn delete_message(&self, bot: usize, channel: u64, message: u64) -> Result<(), StoreError> {
        self.api.delete_message(bot, channel, message).await
    }

    async fn messages_before(&self, bot: usize, channel: u64, before: Option<u64>) -> Result<Vec<Message>, StoreError> {
        let response = self
            .api
            .call(bot, &format!("LIST {channel}"), "listing a channel", || {
                let mut params = vec![("limit", "100".to_owned())];
                if let Some(before) = before {
                    params.push(("before", before.to_string()));
                }
                Request::new(Route::ChannelMessages { channel_id: ChannelId::new(channel) }, LightMethod::Get)
                    .params(Some(params))
            })
            .await?;
        parse(response, "listing a channel").await
    }

    /// Checks every token and every channel: a token Discord refuses or a
    /// channel a bot cannot post in stops start-up with a message naming it.
    pub async fn verify(&self) -> Result<(), StoreError> {
        for index in 0..self.api.bots.len() {
            if let Err(err) = self.current_user(index).await {
                return Err(StoreError::Misconfigured(format!(
                    "DISCORD_BOT_TOKEN #{} is not usable: {err}",
                    index + 1
                )));
            }
            for &channel in &self.config.channels {
                // A probe: post an opaque attachment and take it away again.
                match self.post_attachment(index, channel, vec![0u8; 16]).await {
                    Ok(message) => self.delete_message(index, channel, message.id.get()).await?,
                    Err(err) => {
                        let reason = match err {
                            StoreError::NotFound(_) => "the channel does not exist".to_owned(),
                            err => err.to_string(),
                        };
                        return Err(StoreError::Misconfigured(format!(
                            "bot #{} cannot post in channel {channel}: {reason}",
                            index + 1
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    fn pick(&self) -> (usize, u64) {
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        (turn % self.api.bots.len(), self.config.channels[turn % self.config.channels.len()])
    }

    async fn fresh_url(&self, location: &Location, locator: &ChunkLocator) -> Result<String, StoreError> {
        if let Some((url, expires)) = self.urls.lock().expect("urls lock").get(&locator.0)
            && SystemTime::now() + URL_MARGIN < *expires
        {
            return Ok(url.clone());
        }
        let message = match self.fetch_message(location).await {
            Err(StoreError::NotFound(_)) => return Err(StoreError::NotFound(locator.clone())),
            result => result?,
        };
        let attachment = message
            .attachments
            .iter()
            .find(|attachment| attachment.id.get() == location.attachment)
            .ok_or_else(|| StoreError::NotFound(locator.clone()))?;
        let url = attachment.url.clone();
        self.urls.lock().expect("urls lock").insert(locator.0.clone(), (url.clone(), url_expiry(&url)));
        Ok(url)
    }
}

#[async_trait]
impl ChunkStore for DiscordStore {
    fn max_object_size(&self) -> u64 {
        DISCORD_ATTACHMENT_LIMIT
    }

    async fn put(&self, data: Bytes) -> Result<ChunkLocator, StoreError> {
        let size = data.len() as u64;
        if size > DISCORD_ATTACHMENT_LIMIT {
            return Err(StoreError::TooLarge { size, limit: DISCORD_ATTACHMENT_LIMIT });
        }
        let (bot, channel) = self.pick();
        // Durable only with a confirmed message id.
        let message = self.post_attachment(bot, channel, data.to_vec()).await?;
        let attachment = message
            .attachments
            .first()
            .ok_or_else(|| StoreError::Unavailable("Discord stored a message without the attachment".into()))?;
        let location = Location { bot, channel, message: message.id.get(), attachment: attachment.id.get() };
        let locator = location.locator();
        let url = attachment.url.clone();
        self.urls.lock().expect("urls lock").insert(locator.0.clone(), (url.clone(), url_expiry(&url)));
        Ok(locator)
    }

    async fn get_range(&self, locator: &ChunkLocator, range: Range<u64>) -> Result<Bytes, StoreError> {
        let location = Location::parse(locator)?;
        if range.start >= range.end {
            return Ok(Bytes::new());
        }
        let mut attempt = 0;
        loop {
            let url = self.fresh_url(&location, locator).await?;
            let response = self
                .cdn
                .get(&url)
                .header(reqwest::header::RANGE, format!("bytes={}-{}", range.start, range.end - 1))
                .send()
                .await;
            let failure = match response {
                Ok(response) if response.status() == reqwest::StatusCode::PARTIAL_CONTENT => {
                    return response.bytes().await.map_err(|err| StoreError::Unavailable(format!("CDN read: {err}")));
                }
                Ok(response) if response.status() == reqwest::StatusCode::OK => {
                    // No range support: cut it here.
                    let body =
                        response.bytes().await.map_err(|err| StoreError::Unavailable(format!("CDN read: {err}")))?;
                    let end = (range.end as usize).min(body.len());
                    return Ok(body.slice((range.start as usize).min(end)..end));
                }
                Ok(response) if response.status() == reqwest::StatusCode::RANGE_NOT_SATISFIABLE => {
                    return Ok(Bytes::new());
                }
                Ok(response) => {
                    // An expired or refused URL: forget it and ask again.
                    self.urls.lock().expect("urls lock").remove(&locator.0);
                    format!("CDN answered {}", response.status())
                }
                Err(err) => format!("CDN request failed: {err}"),
            };
            if attempt + 1 >= ATTEMPTS {
                return Err(StoreError::Unavailable(failure));
            }
            tokio::time::sleep(BACKOFF.delay(attempt)).await;
            attempt += 1;
        }
    }

    async fn delete(&self, locator: &ChunkLocator) -> Result<(), StoreError> {
        let location = Location::parse(locator)?;
        self.urls.lock().expect("urls lock").remove(&locator.0);
        if self.config.keep_messages {
            return Ok(());
        }
        self.delete_message(location.bot, location.channel, location.message).await
    }

    async fn list(&self) -> Result<Vec<StoredObject>, StoreError> {
        let mut objects = Vec::new();
        for bot in 0..self.api.bots.len() {
            let me = self.current_user(bot).await?.id;
            for &channel in &self.config.channels {
                let mut before: Option<u64> = None;
                loop {
                    let page = self.messages_before(bot, channel, before).await?;
                    let Some(last) = page.last() else { break };
                    before = Some(last.id.get());
                    for message in page.iter().filter(|message| message.author.id == me) {
                        let Some(attachment) = message.attachments.first() else { continue };
                        let location =
                            Location { bot, channel, message: message.id.get(), attachment: attachment.id.get() };
                        let created = message.id.created_at().unix_timestamp().max(0) as u64;
                        objects.push(StoredObject {
                            locator: location.locator(),
                            stored_at: UNIX_EPOCH + Duration::from_secs(created),
                        });
                    }
                    if page.len() < 100 {
                        break;
                    }
                }
            }
        }
        Ok(objects)
    }
}

pub(crate) async fn parse<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    context: &str,
) -> Result<T, StoreError> {
    let body = response.bytes().await.map_err(|err| StoreError::Unavailable(format!("{context}: {err}")))?;
    serde_json::from_slice(&body).map_err(|err| StoreError::Unavailable(format!("{context}: unexpected answer: {err}")))
}

pub fn shared(store: DiscordStore) -> Arc<dyn ChunkStore> {
    Arc::new(store)
}
