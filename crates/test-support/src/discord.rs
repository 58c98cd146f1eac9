//! A Discord API emulator: the `/api/v10` routes the Discord chunk store uses,
//! served on loopback so that serenity's real HTTP code path is tested. Like
//! Discord it checks bot tokens and channel access, refuses attachments over
//! the size limit (413, code 40005), rate-limits with Discord's headers and
//! 429 bodies, and hands out attachment URLs on its own CDN route signed with
//! `ex`/`is`/`hm` that expire and honour Range. It can inject 429s and 5xx at
//! random, and records every request that came before its `retry_after`.
//!
//! For peer mode it also lists the bots' guilds and their channels, posts
//! text-only messages (JSON bodies), edits (only the author may) and pages
//! channel history with `before`/`after`/`limit`, each message carrying its
//! author (the bot of the token that posted it) and ISO 8601 timestamps;
//! and without the message-content intent it blanks other users' messages
//! as Discord does.

// Handlers answer early with a whole Response; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ring::hmac;
use serde_json::{Value, json};

const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Valid bot tokens.
    pub tokens: Vec<String>,
    /// Channels, and which tokens may read and post in each (empty: all).
    pub channels: Vec<u64>,
    /// Channels the bots may read but not post in.
    pub read_only_channels: Vec<u64>,
    pub max_attachment_bytes: usize,
    /// Lifetime of signed attachment URLs.
    pub url_lifetime: Duration,
    /// Messages per channel per window, like Discord's 5 per 5 s.
    pub messages_per_window: u32,
    pub message_window: Duration,
    /// Requests per second per token (Discord's global limit is 50).
    pub requests_per_second: u32,
    /// Chance of an injected 429 and of an injected 502, per request.
    pub inject_429: f64,
    pub inject_5xx: f64,
    /// Users `GET /users/{id}` knows, as Discord's JSON user objects.
    pub users: Vec<Value>,
    /// Guilds `GET /guilds/{id}` knows, with their approximate counts.
    pub guilds: Vec<Value>,
    /// The guilds the bots are members of, for `GET /users/@me/guilds`,
    /// and their channels, for `GET /guilds/{id}/channels`. `None`: one
    /// guild, [`DEFAULT_BOT_GUILD`] "cordvault test guild", whose text
    /// channels are `channels` (the first named `general`, the others
    /// `cordvault-2`, `cordvault-3`...) then `read_only_channels`
    /// (`read-only-1`...). Listing a channel does not grant access to it:
    /// posting and reading still follow `channels` and `read_only_channels`.
    pub bot_guilds: Option<Vec<BotGuild>>,
    /// Whether the bots have the privileged message-content intent. Without
    /// it, as on Discord, messages the requesting bot did not author come
    /// back with empty `content`, `embeds`, `attachments` and `components`.
    pub message_content_intent: bool,
}

/// The guild [`EmulatorConfig::bot_guilds`] holds when left at `None`.
pub const DEFAULT_BOT_GUILD: u64 = 1_100_000_000_000_001;

/// The user id of the bot behind the first token; the bot of token `i` has
/// this id plus `i`.
pub const FIRST_BOT_USER_ID: u64 = 900_000_000_000_000_001;

/// A guild the bots are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotGuild {
    pub id: u64,
    pub name: String,
    /// In display order (their `position`).
    pub channels: Vec<GuildChannel>,
}

/// A channel of a [`BotGuild`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuildChannel {
    pub id: u64,
    pub name: String,
    /// Discord's channel type: 0 text, 2 voice, 4 category, 5 announcement...
    pub kind: u8,
}

impl GuildChannel {
    /// A text channel (type 0).
    pub fn text(id: u64, name: &str) -> GuildChannel {
        GuildChannel { id, name: name.to_owned(), kind: 0 }
    }

    /// A voice channel (type 2).
    pub fn voice(id: u64, name: &str) -> GuildChannel {
        GuildChannel { id, name: name.to_owned(), kind: 2 }
    }
}

impl EmulatorConfig {
    /// The bots' guilds: [`bot_guilds`](Self::bot_guilds), or the default
    /// guild built from the channels when it is `None`.
    pub fn resolved_bot_guilds(&self) -> Vec<BotGuild> {
        if let Some(guilds) = &self.bot_guilds {
            return guilds.clone();
        }
        let mut channels: Vec<GuildChannel> = self
            .channels
            .iter()
            .enumerate()
            .map(|(index, &id)| {
                let name = if index == 0 { "general".to_owned() } else { format!("cordvault-{}", index + 1) };
                GuildChannel::text(id, &name)
            })
            .collect();
        channels.extend(
            self.read_only_channels
                .iter()
                .enumerate()
                .map(|(index, &id)| GuildChannel::text(id, &format!("read-only-{}", index + 1))),
        );
        vec![BotGuild { id: DEFAULT_BOT_GUILD, name: "cordvault test guild".into(), channels }]
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            tokens: vec!["test-bot-token".into()],
            channels: vec![1_000_000_000_000_001, 1_000_000_000_000_002],
            read_only_channels: vec![1_000_000_000_000_099],
            max_attachment_bytes: 10 * 1024 * 1024,
            url_lifetime: Duration::from_secs(3600),
            messages_per_window: 1000,
            message_window: Duration::from_secs(5),
            requests_per_second: 10_000,
            inject_429: 0.0,
            inject_5xx: 0.0,
            users: vec![
                json!({"id": "80351110224678912", "username": "nelly", "global_name": "Nelly", "discriminator": "0", "avatar": "a_8342729096ea3675442027381ff50dfe"}),
                json!({"id": "53908232506183680", "username": "oldtimer", "global_name": null, "discriminator": "1337", "avatar": null}),
                json!({"id": "175928847299117063", "username": "newbie", "global_name": null, "discriminator": "0", "avatar": null}),
            ],
            guilds: vec![
                json!({"id": "197038439483310086", "name": "Discord Testers", "icon": "f64c482b807da4f539cff778d174971c", "approximate_member_count": 61_342, "approximate_presence_count": 9_001}),
            ],
            bot_guilds: None,
            message_content_intent: true,
        }
    }
}

/// A stored message: what the bot posted.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub channel_id: u64,
    pub message_id: u64,
    pub content: String,
    /// 0, with an empty `filename` and `data`, for a message without attachment.
    pub attachment_id: u64,
    pub filename: String,
    pub data: Bytes,
    /// The user (bot) that posted it.
    pub author_id: u64,
    /// When it was last edited, if ever.
    pub edited_at: Option<SystemTime>,
}

impl StoredMessage {
    pub fn has_attachment(&self) -> bool {
        self.attachment_id != 0
    }

    /// When it was posted: the time in its snowflake id, as on Discord.
    pub fn created_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis((self.message_id >> 22) + DISCORD_EPOCH_MS)
    }
}

/// A request let through, with the state of its rate-limit bucket.
struct Admitted {
    /// (limit, remaining, reset after), for the X-RateLimit headers.
    bucket: Option<(u32, u32, Duration)>,
    /// The user id of the bot whose token made the request.
    bot: u64,
}

struct Window {
    started: Instant,
    used: u32,
}

#[derive(Default)]
struct Limits {
    windows: HashMap<String, Window>,
    /// Bucket → when a 429 was answered, and the moment before which the
    /// client was told to wait.
    blocked_until: HashMap<String, (Instant, Instant)>,
}

pub struct Emulator {
    config: EmulatorConfig,
    base_url: Mutex<String>,
    key: hmac::Key,
    messages: Mutex<BTreeMap<(u64, u64), StoredMessage>>,
    next_id: AtomicU64,
    limits: Mutex<Limits>,
    violations: AtomicU64,
    violation_log: Mutex<Vec<String>>,
    requests: AtomicU64,
    rate_limited: AtomicU64,
    random: Mutex<u64>,
}

/// A running emulator; it stops when dropped.
pub struct RunningEmulator {
    pub url: String,
    pub emulator: Arc<Emulator>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RunningEmulator {
    pub async fn start(config: EmulatorConfig) -> RunningEmulator {
        RunningEmulator::start_on("127.0.0.1:0", config).await.expect("emulator starts")
    }

    pub async fn start_on(listen: &str, config: EmulatorConfig) -> std::io::Result<RunningEmulator> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr: SocketAddr = listener.local_addr()?;
        let url = format!("http://{addr}");
        let emulator = Arc::new(Emulator {
            config,
            base_url: Mutex::new(url.clone()),
            key: hmac::Key::new(hmac::HMAC_SHA256, &cordvault_core_random()),
            messages: Mutex::default(),
            next_id: AtomicU64::new(1),
            limits: Mutex::default(),
            violations: AtomicU64::new(0),
            violation_log: Mutex::default(),
            requests: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            random: Mutex::new(0x9E37_79B9_7F4A_7C15),
        });
        let app = Router::new()
            .route("/api/v10/users/@me", get(current_user))
            .route("/api/v10/oauth2/applications/@me", get(current_application))
            .route("/api/v10/users/@me/guilds", get(current_user_guilds))
            .route("/api/v10/users/{user}", get(user))
            .route("/api/v10/guilds/{guild}", get(guild))
            .route("/api/v10/guilds/{guild}/channels", get(guild_channels))
            .route("/api/v10/channels/{channel}/messages", get(list_messages).post(create_message))
            .route(
                "/api/v10/channels/{channel}/messages/{message}",
                get(get_message).patch(edit_message).delete(delete_message),
            )
            .route("/attachments/{channel}/{attachment}/{filename}", get(cdn))
            .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(emulator.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RunningEmulator { url, emulator, task })
    }
}

fn cordvault_core_random() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("random");
    bytes
}

impl Emulator {
    pub fn config(&self) -> &EmulatorConfig {
        &self.config
    }

    /// Every message in every channel (posted by the bots or put there by
    /// [`insert_message`](Self::insert_message)) and not deleted. The bots
    /// hold Manage Messages: any of them may delete any message.
    pub fn messages(&self) -> Vec<StoredMessage> {
        self.messages.lock().unwrap().values().cloned().collect()
    }

    /// Requests sent before the `retry_after` the emulator had announced.
    pub fn violations(&self) -> u64 {
        self.violations.load(Ordering::Relaxed)
    }

    /// What each violation was: bucket and timing.
    pub fn violation_log(&self) -> Vec<String> {
        self.violation_log.lock().unwrap().clone()
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// 429 answers, injected or earned.
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// The user id of the bot behind `token`, if the emulator knows the token.
    pub fn bot_user_id(&self, token: &str) -> Option<u64> {
        self.config.tokens.iter().position(|known| known == token).map(bot_id)
    }

    /// Puts a text message in `channel` as if `author_id` (any user, or a
    /// bot of [`bot_user_id`](Self::bot_user_id)) had posted it, bypassing
    /// auth and rate limits: for tests that need other people's messages.
    /// Returns its id.
    pub fn insert_message(&self, channel: u64, author_id: u64, content: &str) -> u64 {
        let message = StoredMessage {
            channel_id: channel,
            message_id: self.next_snowflake(),
            content: content.to_owned(),
            attachment_id: 0,
            filename: String::new(),
            data: Bytes::new(),
            author_id,
            edited_at: None,
        };
        let id = message.message_id;
        self.messages.lock().unwrap().insert((channel, id), message);
        id
    }

    /// A user object: one of the bots, a configured user, or a plain one.
    fn user_json(&self, id: u64) -> Value {
        if let Some(index) = id.checked_sub(FIRST_BOT_USER_ID)
            && (index as usize) < self.config.tokens.len()
        {
            return bot_user(index as usize);
        }
        if let Some(user) = self.config.users.iter().find(|user| user["id"] == json!(id.to_string())) {
            return user.clone();
        }
        json!({"id": id.to_string(), "username": format!("user-{id}"), "discriminator": "0", "global_name": null, "avatar": null})
    }

    fn next_snowflake(&self) -> u64 {
        let ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        ((ms - DISCORD_EPOCH_MS) << 22) | (self.next_id.fetch_add(1, Ordering::Relaxed) & 0x3F_FFFF)
    }

    fn chance(&self, probability: f64) -> bool {
        if probability <= 0.0 {
            return false;
        }
        let mut state = self.random.lock().unwrap();
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        (*state % 1_000_000) as f64 / 1_000_000.0 < probability
    }

    fn sign(&self, path: &str, expires: u64, issued: u64) -> String {
        let tag = hmac::sign(&self.key, format!("{path}?ex={expires:x}&is={issued:x}").as_bytes());
        hex::encode(tag.as_ref())
    }

    fn attachment_url(&self, message: &StoredMessage) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let expires = now + self.config.url_lifetime.as_secs().max(1);
        let path = format!("/attachments/{}/{}/{}", message.channel_id, message.attachment_id, message.filename);
        let signature = self.sign(&path, expires, now);
        format!("{}{path}?ex={expires:x}&is={now:x}&hm={signature}&", self.base_url.lock().unwrap())
    }

    /// The message as `viewer` (a bot's user id) receives it: without the
    /// message-content intent, someone else's message has no content,
    /// attachments or embeds, as on Discord.
    fn message_json(&self, message: &StoredMessage, viewer: u64) -> Value {
        let visible = self.config.message_content_intent || message.author_id == viewer;
        let attachments = if message.has_attachment() && visible {
            let url = self.attachment_url(message);
            json!([{
                "id": message.attachment_id.to_string(),
                "filename": message.filename,
                "size": message.data.len(),
                "url": url,
                "proxy_url": url,
                "content_type": "application/octet-stream",
            }])
        } else {
            json!([])
        };
        json!({
            "id": message.message_id.to_string(),
            "channel_id": message.channel_id.to_string(),
            "author": self.user_json(message.author_id),
            "content": if visible { message.content.as_str() } else { "" },
            "timestamp": iso8601(message.created_at()),
            "edited_timestamp": message.edited_at.map(iso8601),
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": [],
            "components": [],
            "pinned": false,
            "type": 0,
        })
    }

    /// Auth, injected faults and rate limits, in Discord's order. Err holds
    /// the answer to send instead of handling the request.
    fn admit(&self, headers: &HeaderMap, bucket: &str, limit: Option<(u32, Duration)>) -> Result<Admitted, Response> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let (token, bot) = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bot "))
            .and_then(|token| Some((token.to_owned(), self.bot_user_id(token)?)))
            .ok_or_else(|| error(StatusCode::UNAUTHORIZED, 0, "401: Unauthorized"))?;
        let now = Instant::now();
        let bucket = format!("{token}:{bucket}");
        let global = format!("{token}:global");
        let mut limits = self.limits.lock().unwrap();
        // A request counts as a violation when it arrives before the
        // announced retry_after and long enough after the 429 that the
        // client had it: requests already on their way (a megabyte body
        // takes a while on a busy machine) do not count.
        for key in [&bucket, &global] {
            if let Some((answered, until)) = limits.blocked_until.get(key)
                && now > *answered + Duration::from_millis(100)
                && now + Duration::from_millis(5) < *until
            {
                self.violations.fetch_add(1, Ordering::Relaxed);
                let early = until.duration_since(now);
                let since = now.duration_since(*answered);
                self.violation_log.lock().unwrap().push(format!("{key}: {since:?} after the 429, {early:?} early"));
            }
        }
        if self.chance(self.config.inject_429) {
            return Err(self.too_many(&mut limits, &bucket, Duration::from_millis(150), false));
        }
        if self.chance(self.config.inject_5xx) {
            return Err((StatusCode::BAD_GATEWAY, "upstream failure").into_response());
        }
        let per_second = (self.config.requests_per_second, Duration::from_secs(1));
        if let Err(wait) = take(&mut limits.windows, &global, per_second, now) {
            return Err(self.too_many(&mut limits, &global, wait, true));
        }
        let Some((count, window)) = limit else {
            return Ok(Admitted { bucket: None, bot });
        };
        match take(&mut limits.windows, &bucket, (count, window), now) {
            Ok((remaining, reset_after)) => Ok(Admitted { bucket: Some((count, remaining, reset_after)), bot }),
            Err(wait) => Err(self.too_many(&mut limits, &bucket, wait, false)),
        }
    }

    fn too_many(&self, limits: &mut Limits, key: &str, wait: Duration, global: bool) -> Response {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        limits.blocked_until.insert(key.to_owned(), (now, now + wait));
        let body =
            json!({"message": "You are being rate limited.", "retry_after": wait.as_secs_f64(), "global": global});
        let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert("retry-after", HeaderValue::from_str(&format!("{:.3}", wait.as_secs_f64())).unwrap());
        if global {
            headers.insert("x-ratelimit-global", HeaderValue::from_static("true"));
        }
        headers.insert("x-ratelimit-scope", HeaderValue::from_static("user"));
        response
    }

    fn channel_access(&self, channel: u64, post: bool) -> Result<(), Response> {
        if self.config.channels.contains(&channel) {
            return Ok(());
        }
        if self.config.read_only_channels.contains(&channel) {
            if post {
                return Err(error(StatusCode::FORBIDDEN, 50013, "Missing Permissions"));
            }
            return Ok(());
        }
        Err(error(StatusCode::FORBIDDEN, 50001, "Missing Access"))
    }
}

/// Counts a request in a fixed window. Err(wait) when the window is full;
/// otherwise what is left of it: (remaining, reset after).
fn take(
    windows: &mut HashMap<String, Window>,
    key: &str,
    (count, length): (u32, Duration),
    now: Instant,
) -> Result<(u32, Duration), Duration> {
    let window = windows.entry(key.to_owned()).or_insert(Window { started: now, used: 0 });
    if now.duration_since(window.started) >= length {
        *window = Window { started: now, used: 0 };
    }
    let reset_after = length.saturating_sub(now.duration_since(window.started));
    if window.used >= count {
        return Err(reset_after);
    }
    window.used += 1;
    Ok((count - window.used, reset_after))
}

fn bot_id(index: usize) -> u64 {
    FIRST_BOT_USER_ID + index as u64
}

/// The bot user of token `index`; the first is `cordvault-test-bot`.
fn bot_user(index: usize) -> Value {
    let username =
        if index == 0 { "cordvault-test-bot".to_owned() } else { format!("cordvault-test-bot-{}", index + 1) };
    json!({"id": bot_id(index).to_string(), "username": username, "discriminator": "0000", "global_name": null, "avatar": null, "bot": true})
}

/// Discord's timestamp form: `2026-11-22T00:00:00.000000+00:00`, in UTC.
pub fn iso8601(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let (hour, minute, second) = (seconds % 86_400 / 3600, seconds % 3600 / 60, seconds % 60);
    // Howard Hinnant's civil_from_days.
    let days = (seconds / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:06}+00:00", since.subsec_micros())
}

/// Discord's answer to a form field that breaks a rule.
fn invalid_form(field: &str, code: &str, message: &str) -> Response {
    let body = json!({
        "code": 50035,
        "message": "Invalid Form Body",
        "errors": {field: {"_errors": [{"code": code, "message": message}]}},
    });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

/// An optional snowflake query parameter; anything but digits is refused.
fn snowflake_param(query: &HashMap<String, String>, name: &str) -> Result<Option<u64>, Response> {
    match query.get(name) {
        None => Ok(None),
        Some(value) => value
            .parse()
            .map(Some)
            .map_err(|_| invalid_form(name, "NUMBER_TYPE_COERCE", &format!("Value \"{value}\" is not snowflake."))),
    }
}

/// An optional `limit` in `range`, `default` when absent.
fn limit_param(
    query: &HashMap<String, String>,
    range: std::ops::RangeInclusive<usize>,
    default: usize,
) -> Result<usize, Response> {
    match query.get("limit") {
        None => Ok(default),
        Some(value) => match value.parse::<usize>() {
            Ok(limit) if range.contains(&limit) => Ok(limit),
            _ => Err(invalid_form(
                "limit",
                "NUMBER_TYPE_MAX",
                &format!("int value should be between {} and {}.", range.start(), range.end()),
            )),
        },
    }
}

/// Discord's limit on a message's content, in characters.
const MAX_CONTENT_CHARS: usize = 2000;

fn check_content(content: &str) -> Result<(), Response> {
    if content.chars().count() > MAX_CONTENT_CHARS {
        return Err(invalid_form("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."));
    }
    Ok(())
}

/// What a create or edit request carried.
#[derive(Default)]
struct MessageBody {
    /// `None`: no `content` member; `Some(None)`: `"content": null`.
    content: Option<Option<String>>,
    file: Option<(String, Bytes)>,
}

/// Reads a message body, JSON or multipart (`payload_json`, a `content`
/// field, files), as Discord accepts both.
async fn read_message_body(request: Request) -> Result<MessageBody, Response> {
    let form_error = || error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body");
    let json_error = || error(StatusCode::BAD_REQUEST, 50109, "The request body contains invalid JSON.");
    let content_member = |payload: &Value| -> Result<Option<Option<String>>, Response> {
        let Some(object) = payload.as_object() else {
            return Err(json_error());
        };
        match object.get("content") {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(content)) => Ok(Some(Some(content.clone()))),
            Some(_) => Err(invalid_form("content", "BASE_TYPE_STRING", "Must be a string.")),
        }
    };
    let content_type =
        request.headers().get("content-type").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    let mut body = MessageBody::default();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &()).await.map_err(|_| form_error())?;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(_) => return Err(form_error()),
            };
            let name = field.name().unwrap_or_default().to_owned();
            let filename = field.file_name().map(str::to_owned);
            let Ok(data) = field.bytes().await else {
                return Err(form_error());
            };
            if name == "payload_json" {
                let payload: Value = serde_json::from_slice(&data).map_err(|_| json_error())?;
                if let Some(content) = content_member(&payload)? {
                    body.content = Some(content);
                }
            } else if let Some(filename) = filename {
                body.file = Some((filename, data));
            } else if name == "content" {
                body.content = Some(Some(String::from_utf8(data.to_vec()).map_err(|_| form_error())?));
            }
        }
    } else {
        let data = axum::body::to_bytes(request.into_body(), 8 * 1024 * 1024).await.map_err(|_| form_error())?;
        let payload: Value = serde_json::from_slice(&data).map_err(|_| json_error())?;
        body.content = content_member(&payload)?;
    }
    Ok(body)
}

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (status, axum::Json(json!({"code": code, "message": message}))).into_response()
}

fn rate_headers(response: &mut Response, limit: u32, remaining: u32, reset_after: Duration, bucket: &str) {
    let headers = response.headers_mut();
    let reset = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + reset_after;
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from_str(&format!("{:.3}", reset.as_secs_f64())).unwrap());
    headers.insert(
        "x-ratelimit-reset-after",
        HeaderValue::from_str(&format!("{:.3}", reset_after.as_secs_f64())).unwrap(),
    );
    headers.insert("x-ratelimit-bucket", HeaderValue::from_str(bucket).unwrap());
}

async fn current_user(State(emulator): State<Arc<Emulator>>, headers: HeaderMap) -> Response {
    match emulator.admit(&headers, "users/@me", None) {
        Ok(admitted) => axum::Json(emulator.user_json(admitted.bot)).into_response(),
        Err(response) => response,
    }
}

/// `GET /oauth2/applications/@me`: the bot's application; its `flags`
/// carry GATEWAY_MESSAGE_CONTENT_LIMITED (1 << 19) when the emulator grants
/// the message-content intent, as for an unverified bot with it enabled.
async fn current_application(State(emulator): State<Arc<Emulator>>, headers: HeaderMap) -> Response {
    let admitted = match emulator.admit(&headers, "oauth2/applications/@me", None) {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let flags: u64 = if emulator.config.message_content_intent { 1 << 19 } else { 0 };
    axum::Json(json!({
        "id": admitted.bot.to_string(),
        "name": "cordvault test bot",
        "description": "",
        "bot_public": false,
        "bot_require_code_grant": false,
        "flags": flags,
    }))
    .into_response()
}

/// The permissions the bots hold in their guilds: view channels, send
/// messages, manage messages, embed links, attach files, read history.
const BOT_PERMISSIONS: &str = "125952";

/// `GET /users/@me/guilds`: the bots' guilds as partial guild objects,
/// by id, paged with `before`/`after`/`limit` (1-200, default 200).
async fn current_user_guilds(
    State(emulator): State<Arc<Emulator>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = emulator.admit(&headers, "users/@me/guilds", None) {
        return response;
    }
    let (limit, before, after) = match (
        limit_param(&query, 1..=200, 200),
        snowflake_param(&query, "before"),
        snowflake_param(&query, "after"),
    ) {
        (Ok(limit), Ok(before), Ok(after)) => (limit, before, after),
        (Err(response), _, _) | (_, Err(response), _) | (_, _, Err(response)) => return response,
    };
    let with_counts = query.get("with_counts").map(String::as_str) == Some("true");
    let mut guilds = emulator.config.resolved_bot_guilds();
    guilds.sort_by_key(|guild| guild.id);
    guilds.retain(|guild| before.is_none_or(|before| guild.id < before) && after.is_none_or(|after| guild.id > after));
    // Before a given guild: the ones closest to it.
    let skip = if before.is_some() && after.is_none() { guilds.len().saturating_sub(limit) } else { 0 };
    let page: Vec<Value> = guilds
        .iter()
        .skip(skip)
        .take(limit)
        .map(|guild| {
            let known = emulator.config.guilds.iter().find(|known| known["id"] == json!(guild.id.to_string()));
            let mut object = json!({
                "id": guild.id.to_string(),
                "name": guild.name,
                "icon": known.map(|known| known["icon"].clone()).unwrap_or(Value::Null),
                "banner": null,
                "owner": false,
                "permissions": BOT_PERMISSIONS,
                "features": [],
            });
            if with_counts {
                let count = |name: &str, default: u64| known.map(|known| known[name].clone()).unwrap_or(json!(default));
                object["approximate_member_count"] = count("approximate_member_count", 2);
                object["approximate_presence_count"] = count("approximate_presence_count", 1);
            }
            object
        })
        .collect();
    axum::Json(Value::Array(page)).into_response()
}

/// `GET /guilds/{id}/channels`: a bot guild's channels; 403 (50001) for a
/// guild Discord knows but the bots are not in, 404 (10004) otherwise.
async fn guild_channels(
    State(emulator): State<Arc<Emulator>>,
    Path(guild): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = emulator.admit(&headers, &format!("guild-channels:{guild}"), None) {
        return response;
    }
    let Ok(guild_id) = guild.parse::<u64>() else {
        return invalid_form("guild_id", "NUMBER_TYPE_COERCE", &format!("Value \"{guild}\" is not snowflake."));
    };
    let Some(found) = emulator.config.resolved_bot_guilds().into_iter().find(|candidate| candidate.id == guild_id)
    else {
        if emulator.config.guilds.iter().any(|known| known["id"] == json!(guild)) {
            return error(StatusCode::FORBIDDEN, 50001, "Missing Access");
        }
        return error(StatusCode::NOT_FOUND, 10004, "Unknown Guild");
    };
    let messages = emulator.messages.lock().unwrap();
    let channels: Vec<Value> = found
        .channels
        .iter()
        .enumerate()
        .map(|(position, channel)| {
            let mut object = json!({
                "id": channel.id.to_string(),
                "type": channel.kind,
                "guild_id": guild_id.to_string(),
                "name": channel.name,
                "position": position,
                "permission_overwrites": [],
                "parent_id": null,
                "nsfw": false,
                "flags": 0,
            });
            match channel.kind {
                // Text and announcement channels.
                0 | 5 => {
                    let last = messages.range((channel.id, 0)..=(channel.id, u64::MAX)).next_back();
                    object["topic"] = Value::Null;
                    object["last_message_id"] = last.map(|((_, id), _)| json!(id.to_string())).unwrap_or(Value::Null);
                    object["rate_limit_per_user"] = json!(0);
                }
                // Voice and stage channels.
                2 | 13 => {
                    object["bitrate"] = json!(64_000);
                    object["user_limit"] = json!(0);
                    object["rtc_region"] = Value::Null;
                }
                _ => {}
            }
            object
        })
        .collect();
    axum::Json(Value::Array(channels)).into_response()
}

/// `GET /users/{id}`: a user Discord knows, or 404 with code 10013.
async fn user(State(emulator): State<Arc<Emulator>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(response) = emulator.admit(&headers, "users", None) {
        return response;
    }
    match emulator.config.users.iter().find(|user| user["id"] == json!(id)) {
        Some(user) => axum::Json(user.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, axum::Json(json!({"message": "Unknown User", "code": 10013}))).into_response(),
    }
}

/// `GET /guilds/{id}?with_counts=true`: the counts only when asked for.
async fn guild(
    State(emulator): State<Arc<Emulator>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = emulator.admit(&headers, "guilds", None) {
        return response;
    }
    let bot_guild = || {
        let bot_guild = emulator.config.resolved_bot_guilds().into_iter().find(|guild| guild.id.to_string() == id)?;
        Some(
            json!({"id": id, "name": bot_guild.name, "icon": null, "features": [], "approximate_member_count": 2, "approximate_presence_count": 1}),
        )
    };
    let found = emulator.config.guilds.iter().find(|guild| guild["id"] == json!(id)).cloned().or_else(bot_guild);
    let Some(mut guild) = found else {
        return (StatusCode::NOT_FOUND, axum::Json(json!({"message": "Unknown Guild", "code": 10004}))).into_response();
    };
    if query.get("with_counts").map(String::as_str) != Some("true") {
        let object = guild.as_object_mut().expect("guilds are objects");
        object.remove("approximate_member_count");
        object.remove("approximate_presence_count");
    }
    axum::Json(guild).into_response()
}

/// `POST /channels/{id}/messages`: text, an attachment, or both; JSON or
/// multipart bodies.
async fn create_message(
    State(emulator): State<Arc<Emulator>>,
    Path(channel): Path<u64>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let window = (emulator.config.messages_per_window, emulator.config.message_window);
    let admitted = match emulator.admit(&headers, &format!("messages:{channel}"), Some(window)) {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    if let Err(response) = emulator.channel_access(channel, true) {
        return response;
    }
    let body = match read_message_body(request).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let content = body.content.flatten().unwrap_or_default();
    if let Err(response) = check_content(&content) {
        return response;
    }
    if content.is_empty() && body.file.is_none() {
        return error(StatusCode::BAD_REQUEST, 50006, "Cannot send an empty message");
    }
    if body.file.as_ref().is_some_and(|(_, data)| data.len() > emulator.config.max_attachment_bytes) {
        return error(StatusCode::PAYLOAD_TOO_LARGE, 40005, "Request entity too large");
    }
    let message_id = emulator.next_snowflake();
    let (attachment_id, filename, data) = match body.file {
        Some((filename, data)) => (emulator.next_snowflake(), filename, data),
        None => (0, String::new(), Bytes::new()),
    };
    let message = StoredMessage {
        channel_id: channel,
        message_id,
        content,
        attachment_id,
        filename,
        data,
        author_id: admitted.bot,
        edited_at: None,
    };
    let body = emulator.message_json(&message, admitted.bot);
    emulator.messages.lock().unwrap().insert((channel, message.message_id), message);
    let mut response = axum::Json(body).into_response();
    if let Some((limit, remaining, reset_after)) = admitted.bucket {
        rate_headers(&mut response, limit, remaining, reset_after, &format!("messages-{channel}"));
    }
    response
}

/// `PATCH /channels/{id}/messages/{id}`: a new content, by the author only
/// (403, 50005, for anyone else); sets `edited_timestamp`. Attachments sent
/// with an edit are ignored.
async fn edit_message(
    State(emulator): State<Arc<Emulator>>,
    Path((channel, message)): Path<(u64, u64)>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let window = (emulator.config.messages_per_window, emulator.config.message_window);
    let admitted = match emulator.admit(&headers, &format!("edit:{channel}"), Some(window)) {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    if let Err(response) = emulator.channel_access(channel, false) {
        return response;
    }
    let body = match read_message_body(request).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let mut messages = emulator.messages.lock().unwrap();
    let Some(stored) = messages.get_mut(&(channel, message)) else {
        return error(StatusCode::NOT_FOUND, 10008, "Unknown Message");
    };
    if stored.author_id != admitted.bot {
        return error(StatusCode::FORBIDDEN, 50005, "Cannot edit a message authored by another user");
    }
    if let Some(content) = body.content {
        let content = content.unwrap_or_default();
        if let Err(response) = check_content(&content) {
            return response;
        }
        if content.is_empty() && !stored.has_attachment() {
            return error(StatusCode::BAD_REQUEST, 50006, "Cannot send an empty message");
        }
        stored.content = content;
    }
    stored.edited_at = Some(SystemTime::now());
    let body = emulator.message_json(stored, admitted.bot);
    drop(messages);
    let mut response = axum::Json(body).into_response();
    if let Some((limit, remaining, reset_after)) = admitted.bucket {
        rate_headers(&mut response, limit, remaining, reset_after, &format!("edit-{channel}"));
    }
    response
}

async fn get_message(
    State(emulator): State<Arc<Emulator>>,
    Path((channel, message)): Path<(u64, u64)>,
    headers: HeaderMap,
) -> Response {
    let admitted = match emulator.admit(&headers, &format!("message:{channel}"), None) {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    if let Err(response) = emulator.channel_access(channel, false) {
        return response;
    }
    let found = emulator.messages.lock().unwrap().get(&(channel, message)).cloned();
    match found {
        Some(message) => axum::Json(emulator.message_json(&message, admitted.bot)).into_response(),
        None => error(StatusCode::NOT_FOUND, 10008, "Unknown Message"),
    }
}

async fn delete_message(
    State(emulator): State<Arc<Emulator>>,
    Path((channel, message)): Path<(u64, u64)>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = emulator.admit(&headers, &format!("delete:{channel}"), None) {
        return response;
    }
    if let Err(response) = emulator.channel_access(channel, true) {
        return response;
    }
    match emulator.messages.lock().unwrap().remove(&(channel, message)) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => error(StatusCode::NOT_FOUND, 10008, "Unknown Message"),
    }
}

/// `GET /channels/{id}/messages`: newest first, as Discord lists them.
/// `limit` 1-100 (default 50); at most one of `before` (the newest older
/// than it), `after` (the oldest newer than it, still listed newest first)
/// and `around` (that message and its neighbours), which Discord documents
/// as mutually exclusive: the emulator refuses a combination.
async fn list_messages(
    State(emulator): State<Arc<Emulator>>,
    Path(channel): Path<u64>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let admitted = match emulator.admit(&headers, &format!("list:{channel}"), None) {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    if let Err(response) = emulator.channel_access(channel, false) {
        return response;
    }
    let (limit, before, after, around) = match (
        limit_param(&query, 1..=100, 50),
        snowflake_param(&query, "before"),
        snowflake_param(&query, "after"),
        snowflake_param(&query, "around"),
    ) {
        (Ok(limit), Ok(before), Ok(after), Ok(around)) => (limit, before, after, around),
        (Err(response), ..) | (_, Err(response), ..) | (_, _, Err(response), _) | (.., Err(response)) => {
            return response;
        }
    };
    if [before, after, around].iter().filter(|anchor| anchor.is_some()).count() > 1 {
        return invalid_form("before", "BASE_TYPE_BAD", "Only one of before, after and around may be given.");
    }
    let messages = emulator.messages.lock().unwrap();
    let newer_than = |id: u64| messages.range((channel, id.saturating_add(1))..=(channel, u64::MAX));
    let older_than = |id: u64| messages.range((channel, 0)..(channel, id));
    let page: Vec<&StoredMessage> = if let Some(after) = after {
        let mut page: Vec<_> = newer_than(after).take(limit).map(|(_, message)| message).collect();
        page.reverse();
        page
    } else if let Some(around) = around {
        let mut page: Vec<_> = newer_than(around).take(limit / 2).map(|(_, message)| message).collect();
        page.reverse();
        let rest = limit - page.len();
        page.extend(messages.range((channel, 0)..=(channel, around)).rev().take(rest).map(|(_, message)| message));
        page
    } else {
        older_than(before.unwrap_or(u64::MAX)).rev().take(limit).map(|(_, message)| message).collect()
    };
    let page: Vec<Value> = page.into_iter().map(|message| emulator.message_json(message, admitted.bot)).collect();
    axum::Json(Value::Array(page)).into_response()
}

async fn cdn(
    State(emulator): State<Arc<Emulator>>,
    Path((channel, attachment, filename)): Path<(u64, u64, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/attachments/{channel}/{attachment}/{filename}");
    let parse = |name: &str| query.get(name).and_then(|value| u64::from_str_radix(value, 16).ok());
    let (Some(expires), Some(issued), Some(signature)) = (parse("ex"), parse("is"), query.get("hm")) else {
        return (StatusCode::NOT_FOUND, "This content is no longer available.").into_response();
    };
    if emulator.sign(&path, expires, issued) != *signature {
        return (StatusCode::NOT_FOUND, "This content is no longer available.").into_response();
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    if now >= expires {
        return (StatusCode::NOT_FOUND, "This content is no longer available.").into_response();
    }
    let data = {
        let messages = emulator.messages.lock().unwrap();
        messages
            .values()
            .find(|message| message.channel_id == channel && message.attachment_id == attachment)
            .map(|message| message.data.clone())
    };
    let Some(data) = data else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let len = data.len() as u64;
    let range = headers.get("range").and_then(|value| value.to_str().ok()).and_then(|value| parse_range(value, len));
    match range {
        Some((start, end)) => {
            let mut response = (StatusCode::PARTIAL_CONTENT, data.slice(start as usize..=end as usize)).into_response();
            let content_range = format!("bytes {start}-{end}/{len}");
            response.headers_mut().insert("content-range", HeaderValue::from_str(&content_range).unwrap());
            response
        }
        None => (StatusCode::OK, data).into_response(),
    }
}

/// `bytes=a-b` or `bytes=a-` within `len`; anything else means the whole body.
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let (start, end) = value.strip_prefix("bytes=")?.split_once('-')?;
    let start: u64 = start.parse().ok()?;
    let end: u64 = if end.is_empty() { len.checked_sub(1)? } else { end.parse::<u64>().ok()?.min(len.checked_sub(1)?) };
    (start <= end).then_some((start, end))
}

/// Channel ids and tokens a test passes to the store.
pub fn channel_list(channels: &[u64]) -> String {
    channels.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}
