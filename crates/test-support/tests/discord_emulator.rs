//! The Discord emulator's routes for peer mode, through plain HTTP calls:
//! the bots' guilds and channels, text messages, edits, history paging and
//! the message-content intent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cordvault_test_support::discord::{
    BotGuild, DEFAULT_BOT_GUILD, EmulatorConfig, FIRST_BOT_USER_ID, GuildChannel, RunningEmulator, iso8601,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const TOKEN: &str = "test-bot-token";
const OTHER_TOKEN: &str = "other-bot-token";
const CHANNEL: u64 = 1_000_000_000_000_001;
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

fn config() -> EmulatorConfig {
    EmulatorConfig { tokens: vec![TOKEN.into(), OTHER_TOKEN.into()], ..Default::default() }
}

struct Api {
    emulator: RunningEmulator,
    http: reqwest::Client,
}

impl Api {
    async fn start(config: EmulatorConfig) -> Api {
        Api { emulator: RunningEmulator::start(config).await, http: reqwest::Client::new() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v10{path}", self.emulator.url)
    }

    /// A call as the bot of `token` (`None`: no Authorization header).
    async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bot {token}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(TOKEN), None).await
    }

    async fn post_text(&self, token: &str, content: &str) -> Value {
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/channels/{CHANNEL}/messages"),
                Some(token),
                Some(json!({"content": content})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn list(&self, query: &str) -> (StatusCode, Value) {
        self.get(&format!("/channels/{CHANNEL}/messages{query}")).await
    }

    /// The ids of a listing, as numbers.
    async fn list_ids(&self, query: &str) -> Vec<u64> {
        let (status, body) = self.list(query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        ids(&body)
    }
}

fn ids(listing: &Value) -> Vec<u64> {
    listing.as_array().expect("array").iter().map(|message| message["id"].as_str().unwrap().parse().unwrap()).collect()
}

fn snowflake_time(id: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis((id >> 22) + DISCORD_EPOCH_MS)
}

fn assert_error(result: &(StatusCode, Value), status: StatusCode, code: u64) {
    assert_eq!(result.0, status, "{}", result.1);
    assert_eq!(result.1["code"], json!(code), "{}", result.1);
}

#[tokio::test]
async fn new_routes_need_a_valid_token() {
    let api = Api::start(config()).await;
    let message = api.post_text(TOKEN, "hello").await["id"].as_str().unwrap().to_owned();
    let routes = [
        (Method::GET, "/users/@me/guilds".to_owned(), None),
        (Method::GET, format!("/guilds/{DEFAULT_BOT_GUILD}/channels"), None),
        (Method::GET, format!("/channels/{CHANNEL}/messages?limit=5"), None),
        (Method::POST, format!("/channels/{CHANNEL}/messages"), Some(json!({"content": "hi"}))),
        (Method::PATCH, format!("/channels/{CHANNEL}/messages/{message}"), Some(json!({"content": "hi"}))),
    ];
    for (method, path, body) in routes {
        for token in [None, Some("wrong-token")] {
            let (status, answer) = api.call(method.clone(), &path, token, body.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} with {token:?}: {answer}");
        }
    }
    // Nothing was changed by the refused calls.
    let (_, listing) = api.list("").await;
    assert_eq!(listing[0]["content"], "hello");
    assert!(listing[0]["edited_timestamp"].is_null());
    assert_eq!(listing.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn default_guild_has_a_general_channel() {
    let api = Api::start(EmulatorConfig::default()).await;
    let (status, guilds) = api.get("/users/@me/guilds").await;
    assert_eq!(status, StatusCode::OK);
    let guilds = guilds.as_array().unwrap();
    assert_eq!(guilds.len(), 1);
    let guild = &guilds[0];
    assert_eq!(guild["id"], json!(DEFAULT_BOT_GUILD.to_string()));
    assert!(guild["name"].is_string());
    assert!(guild.get("icon").is_some());
    assert_eq!(guild["owner"], json!(false));
    assert!(guild["permissions"].is_string());
    assert!(guild.get("approximate_member_count").is_none());

    let (status, channels) = api.get(&format!("/guilds/{DEFAULT_BOT_GUILD}/channels")).await;
    assert_eq!(status, StatusCode::OK);
    let general = channels.as_array().unwrap().iter().find(|channel| channel["name"] == "general").expect("general");
    assert_eq!(general["id"], json!(EmulatorConfig::default().channels[0].to_string()));
    assert_eq!(general["type"], json!(0));
    assert_eq!(general["guild_id"], json!(DEFAULT_BOT_GUILD.to_string()));
    assert_eq!(general["position"], json!(0));
    assert!(general["last_message_id"].is_null());
    // Every configured channel is listed, each once.
    let config = EmulatorConfig::default();
    let listed: Vec<&str> =
        channels.as_array().unwrap().iter().map(|channel| channel["id"].as_str().unwrap()).collect();
    for id in config.channels.iter().chain(&config.read_only_channels) {
        assert_eq!(listed.iter().filter(|listed| **listed == id.to_string()).count(), 1, "{id}");
    }

    // A message in general shows as its last message.
    let posted = api.post_text(TOKEN, "first").await["id"].clone();
    let (_, channels) = api.get(&format!("/guilds/{DEFAULT_BOT_GUILD}/channels")).await;
    let general = channels.as_array().unwrap().iter().find(|channel| channel["name"] == "general").unwrap();
    assert_eq!(general["last_message_id"], posted);
    // The guild itself is known to GET /guilds/{id}.
    let (status, guild) = api.get(&format!("/guilds/{DEFAULT_BOT_GUILD}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(guild["id"], json!(DEFAULT_BOT_GUILD.to_string()));
}

#[tokio::test]
async fn configured_guilds_page_and_hide_what_the_bot_is_not_in() {
    let guilds = vec![
        BotGuild {
            id: 30,
            name: "third".into(),
            channels: vec![GuildChannel::voice(301, "lounge"), GuildChannel::text(302, "peers")],
        },
        BotGuild { id: 10, name: "first".into(), channels: vec![GuildChannel::text(CHANNEL, "general")] },
        BotGuild { id: 20, name: "second".into(), channels: vec![] },
    ];
    let api = Api::start(EmulatorConfig { bot_guilds: Some(guilds), ..config() }).await;
    let names = |listing: &Value| -> Vec<String> {
        listing.as_array().unwrap().iter().map(|guild| guild["name"].as_str().unwrap().to_owned()).collect()
    };
    let (_, all) = api.get("/users/@me/guilds").await;
    assert_eq!(names(&all), ["first", "second", "third"]);
    let (_, page) = api.get("/users/@me/guilds?limit=1").await;
    assert_eq!(names(&page), ["first"]);
    let (_, page) = api.get("/users/@me/guilds?after=10&limit=1").await;
    assert_eq!(names(&page), ["second"]);
    let (_, page) = api.get("/users/@me/guilds?after=10").await;
    assert_eq!(names(&page), ["second", "third"]);
    let (_, page) = api.get("/users/@me/guilds?before=30&limit=1").await;
    assert_eq!(names(&page), ["second"]);
    let (_, counted) = api.get("/users/@me/guilds?with_counts=true").await;
    assert!(counted[0]["approximate_member_count"].is_number());
    for bad in ["?limit=0", "?limit=201", "?limit=x", "?after=abc"] {
        assert_error(&api.get(&format!("/users/@me/guilds{bad}")).await, StatusCode::BAD_REQUEST, 50035);
    }

    let (status, channels) = api.get("/guilds/30/channels").await;
    assert_eq!(status, StatusCode::OK);
    let channels = channels.as_array().unwrap();
    assert_eq!(channels.len(), 2);
    assert_eq!((channels[0]["name"].as_str(), channels[0]["type"].as_u64()), (Some("lounge"), Some(2)));
    assert_eq!((channels[1]["name"].as_str(), channels[1]["type"].as_u64()), (Some("peers"), Some(0)));
    assert_eq!(channels[1]["position"], json!(1));
    assert_eq!(channels[1]["guild_id"], json!("30"));
    let (status, empty) = api.get("/guilds/20/channels").await;
    assert_eq!((status, empty), (StatusCode::OK, json!([])));

    // A guild Discord knows but the bot is not in; one nobody knows; garbage.
    assert_error(&api.get("/guilds/197038439483310086/channels").await, StatusCode::FORBIDDEN, 50001);
    assert_error(&api.get("/guilds/99/channels").await, StatusCode::NOT_FOUND, 10004);
    assert_error(&api.get("/guilds/general/channels").await, StatusCode::BAD_REQUEST, 50035);
}

#[tokio::test]
async fn text_messages_carry_their_author_and_timestamps() {
    let api = Api::start(config()).await;
    let first = api.post_text(TOKEN, "from the first bot").await;
    let second = api.post_text(OTHER_TOKEN, "from the second bot").await;
    assert_eq!(first["author"]["id"], json!(FIRST_BOT_USER_ID.to_string()));
    assert_eq!(first["author"]["bot"], json!(true));
    assert_eq!(second["author"]["id"], json!((FIRST_BOT_USER_ID + 1).to_string()));
    assert_eq!(api.emulator.emulator.bot_user_id(OTHER_TOKEN), Some(FIRST_BOT_USER_ID + 1));
    // /users/@me agrees.
    let (_, me) = api.call(Method::GET, "/users/@me", Some(OTHER_TOKEN), None).await;
    assert_eq!(me["id"], second["author"]["id"]);

    for message in [&first, &second] {
        let id: u64 = message["id"].as_str().unwrap().parse().unwrap();
        let posted = snowflake_time(id);
        let now = SystemTime::now();
        assert!(now.duration_since(posted).unwrap_or_default() < Duration::from_secs(60));
        assert!(posted.duration_since(now).unwrap_or_default() < Duration::from_secs(5));
        assert_eq!(message["timestamp"], json!(iso8601(posted)));
        assert!(message["edited_timestamp"].is_null());
        assert_eq!(message["attachments"], json!([]));
        assert_eq!(message["channel_id"], json!(CHANNEL.to_string()));
    }

    // Discord's own refusals for text messages.
    let path = format!("/channels/{CHANNEL}/messages");
    let post = |body: Value| api.call(Method::POST, &path, Some(TOKEN), Some(body));
    assert_error(&post(json!({"content": ""})).await, StatusCode::BAD_REQUEST, 50006);
    assert_error(&post(json!({})).await, StatusCode::BAD_REQUEST, 50006);
    assert_error(&post(json!({"content": "x".repeat(2001)})).await, StatusCode::BAD_REQUEST, 50035);
    assert_eq!(post(json!({"content": "é".repeat(2000)})).await.0, StatusCode::OK);
    assert_error(&post(json!({"content": 5})).await, StatusCode::BAD_REQUEST, 50035);
    assert_error(&post(json!("not an object")).await, StatusCode::BAD_REQUEST, 50109);
    // A channel the bot may only read, and one it cannot see.
    let read_only = EmulatorConfig::default().read_only_channels[0];
    assert_error(
        &api.call(Method::POST, &format!("/channels/{read_only}/messages"), Some(TOKEN), Some(json!({"content": "x"})))
            .await,
        StatusCode::FORBIDDEN,
        50013,
    );
    assert_error(
        &api.call(Method::POST, "/channels/42/messages", Some(TOKEN), Some(json!({"content": "x"}))).await,
        StatusCode::FORBIDDEN,
        50001,
    );
}

#[tokio::test]
async fn only_the_author_edits_a_message() {
    let api = Api::start(config()).await;
    let posted = api.post_text(TOKEN, "advert v1").await;
    let id = posted["id"].as_str().unwrap().to_owned();
    let path = format!("/channels/{CHANNEL}/messages/{id}");

    let before_edit = SystemTime::now() - Duration::from_secs(1);
    let (status, edited) = api.call(Method::PATCH, &path, Some(TOKEN), Some(json!({"content": "advert v2"}))).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["id"], json!(id));
    assert_eq!(edited["content"], "advert v2");
    assert_eq!(edited["timestamp"], posted["timestamp"], "the creation time does not move");
    let edited_at = edited["edited_timestamp"].as_str().expect("edited_timestamp set");
    assert!(
        edited_at >= iso8601(before_edit).as_str() && edited_at <= iso8601(SystemTime::now()).as_str(),
        "{edited_at}"
    );
    let (_, fetched) = api.get(&format!("/channels/{CHANNEL}/messages/{id}")).await;
    assert_eq!(fetched["content"], "advert v2");
    assert_eq!(fetched["edited_timestamp"], edited["edited_timestamp"]);
    // Editing keeps the message in its place: still the only one.
    assert_eq!(api.list_ids("").await, [id.parse::<u64>().unwrap()]);

    // Another bot may not edit it, whatever it sends.
    assert_error(
        &api.call(Method::PATCH, &path, Some(OTHER_TOKEN), Some(json!({"content": "hijacked"}))).await,
        StatusCode::FORBIDDEN,
        50005,
    );
    let other = api.emulator.emulator.insert_message(CHANNEL, 80_351_110_224_678_912, "a user's message");
    assert_error(
        &api.call(
            Method::PATCH,
            &format!("/channels/{CHANNEL}/messages/{other}"),
            Some(TOKEN),
            Some(json!({"content": "x"})),
        )
        .await,
        StatusCode::FORBIDDEN,
        50005,
    );
    let (_, fetched) = api.get(&format!("/channels/{CHANNEL}/messages/{id}")).await;
    assert_eq!(fetched["content"], "advert v2");

    // Unknown message, emptied text, too long, no content member (only the
    // edited time moves).
    assert_error(
        &api.call(
            Method::PATCH,
            &format!("/channels/{CHANNEL}/messages/12345"),
            Some(TOKEN),
            Some(json!({"content": "x"})),
        )
        .await,
        StatusCode::NOT_FOUND,
        10008,
    );
    assert_error(
        &api.call(Method::PATCH, &path, Some(TOKEN), Some(json!({"content": ""}))).await,
        StatusCode::BAD_REQUEST,
        50006,
    );
    assert_error(
        &api.call(Method::PATCH, &path, Some(TOKEN), Some(json!({"content": null}))).await,
        StatusCode::BAD_REQUEST,
        50006,
    );
    assert_error(
        &api.call(Method::PATCH, &path, Some(TOKEN), Some(json!({"content": "x".repeat(2001)}))).await,
        StatusCode::BAD_REQUEST,
        50035,
    );
    let (status, unchanged) = api.call(Method::PATCH, &path, Some(TOKEN), Some(json!({"flags": 0}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unchanged["content"], "advert v2");

    // The author deletes it; an edit then finds nothing.
    let (status, _) = api.call(Method::DELETE, &path, Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(
        &api.call(Method::PATCH, &path, Some(TOKEN), Some(json!({"content": "x"}))).await,
        StatusCode::NOT_FOUND,
        10008,
    );
}

#[tokio::test]
async fn history_pages_with_before_after_and_limit() {
    let api = Api::start(config()).await;
    let emulator = &api.emulator.emulator;
    let all: Vec<u64> =
        (0..120).map(|index| emulator.insert_message(CHANNEL, 7, &format!("message {index}"))).collect();
    // Another channel's messages never show.
    emulator.insert_message(1_000_000_000_000_002, 7, "elsewhere");
    let newest_first: Vec<u64> = all.iter().rev().copied().collect();

    assert_eq!(api.list_ids("").await, newest_first[..50], "default limit 50, newest first");
    assert_eq!(api.list_ids("?limit=100").await, newest_first[..100]);
    assert_eq!(api.list_ids("?limit=1").await, newest_first[..1]);
    assert_eq!(api.list_ids(&format!("?before={}&limit=5", all[10])).await, [all[9], all[8], all[7], all[6], all[5]]);
    assert_eq!(api.list_ids(&format!("?before={}", all[2])).await, [all[1], all[0]]);
    assert_eq!(api.list_ids(&format!("?before={}", all[0])).await, Vec::<u64>::new());
    // After: the oldest ones after it, still newest first.
    assert_eq!(api.list_ids(&format!("?after={}&limit=3", all[10])).await, [all[13], all[12], all[11]]);
    assert_eq!(api.list_ids("?after=0&limit=2").await, [all[1], all[0]]);
    assert_eq!(api.list_ids(&format!("?after={}", all[119])).await, Vec::<u64>::new());
    // Around: the message and its neighbours.
    let around = api.list_ids(&format!("?around={}&limit=5", all[60])).await;
    assert_eq!(around, [all[62], all[61], all[60], all[59], all[58]]);

    // Walking back through the whole history, a page at a time.
    let mut walked = Vec::new();
    let mut query = "?limit=100".to_owned();
    loop {
        let page = api.list_ids(&query).await;
        let Some(&oldest) = page.last() else { break };
        walked.extend(page);
        query = format!("?limit=100&before={oldest}");
    }
    assert_eq!(walked, newest_first);
    // And forward from the start.
    let mut walked = Vec::new();
    let mut after = 0;
    loop {
        let page = api.list_ids(&format!("?limit=50&after={after}")).await;
        let Some(&newest) = page.first() else { break };
        walked.extend(page.into_iter().rev());
        after = newest;
    }
    assert_eq!(walked, all);

    for bad in ["?limit=0", "?limit=101", "?limit=-1", "?limit=ten", "?before=abc", "?after=1.5"] {
        assert_error(&api.list(bad).await, StatusCode::BAD_REQUEST, 50035);
    }
    assert_error(&api.list(&format!("?before={}&after={}", all[50], all[10])).await, StatusCode::BAD_REQUEST, 50035);

    // Listed messages carry their author and creation time.
    let (_, page) = api.list("?limit=1").await;
    assert_eq!(page[0]["author"]["id"], json!("7"));
    assert_eq!(page[0]["timestamp"], json!(iso8601(snowflake_time(all[119]))));
}

#[tokio::test]
async fn without_the_message_content_intent_others_messages_are_blank() {
    let api = Api::start(EmulatorConfig { message_content_intent: false, ..config() }).await;
    let own = api.post_text(TOKEN, "cordvault-peer/1 {mine}").await;
    assert_eq!(own["content"], "cordvault-peer/1 {mine}", "the author sees its own message");
    api.post_text(OTHER_TOKEN, "cordvault-peer/1 {theirs}").await;
    let user = api.emulator.emulator.insert_message(CHANNEL, 80_351_110_224_678_912, "hello from a human");

    let contents = |listing: &Value| -> Vec<String> {
        listing.as_array().unwrap().iter().map(|message| message["content"].as_str().unwrap().to_owned()).collect()
    };
    let (_, listing) = api.list("").await;
    assert_eq!(contents(&listing), ["", "", "cordvault-peer/1 {mine}"]);
    // Everything else is still there: ids, authors, timestamps.
    assert_eq!(listing[0]["id"], json!(user.to_string()));
    assert_eq!(listing[0]["author"]["username"], json!("nelly"));
    assert!(listing[1]["timestamp"].is_string());
    let (_, listing) = api.call(Method::GET, &format!("/channels/{CHANNEL}/messages"), Some(OTHER_TOKEN), None).await;
    assert_eq!(contents(&listing), ["", "cordvault-peer/1 {theirs}", ""]);
    let (_, single) = api.get(&format!("/channels/{CHANNEL}/messages/{user}")).await;
    assert_eq!(single["content"], "");
    // The application's flags say so, as Discord's do.
    let (status, application) = api.get("/oauth2/applications/@me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(application["flags"].as_u64().unwrap() & (3 << 18), 0);

    // With the intent (the default), everyone's content.
    let api = Api::start(config()).await;
    api.post_text(OTHER_TOKEN, "theirs").await;
    api.emulator.emulator.insert_message(CHANNEL, 5, "human");
    let (_, listing) = api.list("").await;
    assert_eq!(contents(&listing), ["human", "theirs"]);
    let (_, application) = api.get("/oauth2/applications/@me").await;
    assert_eq!(application["flags"].as_u64().unwrap() & (3 << 18), 1 << 19);
    let (status, _) = api.call(Method::GET, "/oauth2/applications/@me", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// The chunk store's multipart posts (payload_json and a file) still work,
/// and a multipart post may also be text only.
#[tokio::test]
async fn multipart_posts_still_work() {
    let api = Api::start(config()).await;
    let boundary = "cordvault-boundary";
    let multipart = |parts: &[(&str, Option<&str>, &[u8])]| {
        let mut body = Vec::new();
        for (name, filename, data) in parts {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
            if let Some(filename) = filename {
                body.extend(format!("; filename=\"{filename}\"\r\nContent-Type: application/octet-stream").as_bytes());
            }
            body.extend(b"\r\n\r\n");
            body.extend(*data);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        body
    };
    let post = |body: Vec<u8>| {
        api.http
            .post(api.url(&format!("/channels/{CHANNEL}/messages")))
            .header("authorization", format!("Bot {TOKEN}"))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
    };

    let response =
        post(multipart(&[("payload_json", None, b"{\"tts\":false}"), ("files[0]", Some("a.bin"), b"chunk")]))
            .await
            .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let message: Value = response.json().await.unwrap();
    assert_eq!(message["content"], "");
    assert_eq!(message["author"]["id"], json!(FIRST_BOT_USER_ID.to_string()));
    let url = message["attachments"][0]["url"].as_str().unwrap();
    assert_eq!(api.http.get(url).send().await.unwrap().bytes().await.unwrap().as_ref(), b"chunk");

    let response = post(multipart(&[("payload_json", None, b"{\"content\":\"text only\"}")])).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let message: Value = response.json().await.unwrap();
    assert_eq!(
        (message["content"].as_str(), message["attachments"].as_array().map(Vec::len)),
        (Some("text only"), Some(0))
    );

    let response = post(multipart(&[("payload_json", None, b"{}")])).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let stored = api.emulator.emulator.messages();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|message| message.author_id == FIRST_BOT_USER_ID && message.edited_at.is_none()));
}

#[test]
fn timestamps_are_iso_8601_in_utc() {
    assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000000+00:00");
    assert_eq!(iso8601(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00.000000+00:00");
    assert_eq!(iso8601(UNIX_EPOCH + Duration::from_micros(1_790_000_000_123_456)), "2026-09-21T14:13:20.123456+00:00");
    assert_eq!(iso8601(UNIX_EPOCH + Duration::from_secs(4_102_444_799)), "2099-12-31T23:59:59.000000+00:00");
}
