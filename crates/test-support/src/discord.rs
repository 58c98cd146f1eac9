//! A Discord API emulator: the `/api/v10` routes the Discord chunk store uses,
//! served on loopback so that serenity's real HTTP code path is tested. Like
//! Discord it checks bot tokens and channel access, refuses attachments over
//! the size limit (413, code 40005), rate-limits with Discord's headers and
//! 429 bodies, and hands out attachment URLs on its own CDN route signed with
//! `ex`/`is`/`hm` that expire and honour Range. It can inject 429s and 5xx at
//! random, and records every request that came before its `retry_after`.

// Handlers answer early with a whole Response; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
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
        }
    }
}

/// A stored message: what the bot posted.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub channel_id: u64,
    pub message_id: u64,
    pub content: String,
    pub attachment_id: u64,
    pub filename: String,
    pub data: Bytes,
}

/// A request let through, with the state of its rate-limit bucket.
struct Admitted {
    /// (limit, remaining, reset after), for the X-RateLimit headers.
    bucket: Option<(u32, u32, Duration)>,
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
            .route("/api/v10/users/{user}", get(user))
            .route("/api/v10/guilds/{guild}", get(guild))
            .route("/api/v10/channels/{channel}/messages", get(list_messages).post(create_message))
            .route("/api/v10/channels/{channel}/messages/{message}", get(get_message).delete(delete_message))
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

    /// Every message the bots posted and did not delete.
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

    fn message_json(&self, message: &StoredMessage) -> Value {
        let url = self.attachment_url(message);
        json!({
            "id": message.message_id.to_string(),
            "channel_id": message.channel_id.to_string(),
            "author": bot_user(),
            "content": message.content,
            "timestamp": "2026-11-22T00:00:00.000000+00:00",
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": [{
                "id": message.attachment_id.to_string(),
                "filename": message.filename,
                "size": message.data.len(),
                "url": url,
                "proxy_url": url,
                "content_type": "application/octet-stream",
            }],
            "embeds": [],
            "pinned": false,
            "type": 0,
        })
    }

    /// Auth, injected faults and rate limits, in Discord's order. Err holds
    /// the answer to send instead of handling the request.
    fn admit(&self, headers: &HeaderMap, bucket: &str, limit: Option<(u32, Duration)>) -> Result<Admitted, Response> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let token = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bot "))
            .filter(|token| self.config.tokens.iter().any(|known| known == token))
            .ok_or_else(|| error(StatusCode::UNAUTHORIZED, 0, "401: Unauthorized"))?
            .to_owned();
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
            return Ok(Admitted { bucket: None });
        };
        match take(&mut limits.windows, &bucket, (count, window), now) {
            Ok((remaining, reset_after)) => Ok(Admitted { bucket: Some((count, remaining, reset_after)) }),
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

fn bot_user() -> Value {
    json!({"id": "900000000000000001", "username": "cordvault-test-bot", "discriminator": "0000", "global_name": null, "avatar": null, "bot": true})
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
    if let Err(response) = emulator.admit(&headers, "users/@me", None) {
        return response;
    }
    axum::Json(bot_user()).into_response()
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
    let Some(guild) = emulator.config.guilds.iter().find(|guild| guild["id"] == json!(id)) else {
        return (StatusCode::NOT_FOUND, axum::Json(json!({"message": "Unknown Guild", "code": 10004}))).into_response();
    };
    let mut guild = guild.clone();
    if query.get("with_counts").map(String::as_str) != Some("true") {
        let object = guild.as_object_mut().expect("guilds are objects");
        object.remove("approximate_member_count");
        object.remove("approximate_presence_count");
    }
    axum::Json(guild).into_response()
}

async fn create_message(
    State(emulator): State<Arc<Emulator>>,
    Path(channel): Path<u64>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let window = (emulator.config.messages_per_window, emulator.config.message_window);
    let admitted = match emulator.admit(&headers, &format!("messages:{channel}"), Some(window)) {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    if let Err(response) = emulator.channel_access(channel, true) {
        return response;
    }
    let mut content = String::new();
    let mut file: Option<(String, Bytes)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body"),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let Ok(data) = field.bytes().await else {
            return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body");
        };
        if name == "payload_json" {
            let payload: Value = serde_json::from_slice(&data).unwrap_or(Value::Null);
            content = payload.get("content").and_then(Value::as_str).unwrap_or_default().to_owned();
        } else if let Some(filename) = filename {
            file = Some((filename, data));
        }
    }
    let Some((filename, data)) = file else {
        return error(StatusCode::BAD_REQUEST, 50006, "Cannot send an empty message");
    };
    if data.len() > emulator.config.max_attachment_bytes {
        return error(StatusCode::PAYLOAD_TOO_LARGE, 40005, "Request entity too large");
    }
    let message = StoredMessage {
        channel_id: channel,
        message_id: emulator.next_snowflake(),
        content,
        attachment_id: emulator.next_snowflake(),
        filename,
        data,
    };
    let body = emulator.message_json(&message);
    emulator.messages.lock().unwrap().insert((channel, message.message_id), message);
    let mut response = axum::Json(body).into_response();
    if let Some((limit, remaining, reset_after)) = admitted.bucket {
        rate_headers(&mut response, limit, remaining, reset_after, &format!("messages-{channel}"));
    }
    response
}

async fn get_message(
    State(emulator): State<Arc<Emulator>>,
    Path((channel, message)): Path<(u64, u64)>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = emulator.admit(&headers, &format!("message:{channel}"), None) {
        return response;
    }
    if let Err(response) = emulator.channel_access(channel, false) {
        return response;
    }
    let found = emulator.messages.lock().unwrap().get(&(channel, message)).cloned();
    match found {
        Some(message) => axum::Json(emulator.message_json(&message)).into_response(),
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

async fn list_messages(
    State(emulator): State<Arc<Emulator>>,
    Path(channel): Path<u64>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = emulator.admit(&headers, &format!("list:{channel}"), None) {
        return response;
    }
    if let Err(response) = emulator.channel_access(channel, false) {
        return response;
    }
    let limit: usize = query.get("limit").and_then(|limit| limit.parse().ok()).unwrap_or(50).clamp(1, 100);
    let before: u64 = query.get("before").and_then(|before| before.parse().ok()).unwrap_or(u64::MAX);
    let messages = emulator.messages.lock().unwrap();
    // Newest first, as Discord lists them.
    let page: Vec<Value> = messages
        .range((channel, 0)..(channel, before))
        .rev()
        .take(limit)
        .map(|(_, message)| emulator.message_json(message))
        .collect();
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
