//! Synthetic Discord data packages: a zip in any of the layouts Discord has
//! shipped, any size, the same bytes for the same seed — and beside it every
//! row a correct analysis must produce, computed here from the events as
//! they were made (not by the analysis code), so a test compares the two.
//!
//! The events are laid out so that the right answer is unambiguous: calls
//! and app sessions never overlap, and the traps (a join with no leave, a
//! call over 24 hours, a start swallowed by the session around it, failed
//! and Orb payments, group conversations, unnamed channels, malformed
//! lines) each have one documented outcome.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use cordvault_core::calendar::UtcDateTime;
use serde_json::{Value, json};
use zip::write::SimpleFileOptions;

/// Which generation of Discord's export to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageLayout {
    /// Since June 2025: `Account/`, `Activity/analytics/`, `Messages/c<id>/messages.json`, `Servers/`.
    Current,
    /// Before March 2024: `account/` with payments in `user.json`, `activity/`,
    /// `messages/<id>/messages.csv`, `servers/`; analytics times without the extra quotes.
    Legacy,
    /// A French export: `Compte/`, `Activité/`, `Serveurs/`.
    Translated,
    /// The current layout re-zipped inside one extra folder.
    Wrapped,
}

#[derive(Debug, Clone)]
pub struct PackageSpec {
    pub seed: u64,
    pub layout: PackageLayout,
    /// Messages, spread over the conversations.
    pub messages: u64,
    /// Analytics lines (events and noise), spread over `shards` files.
    pub analytics_lines: u64,
    pub shards: u32,
    pub direct_channels: u32,
    pub guild_channels: u32,
    pub guilds: u32,
}

impl PackageSpec {
    pub fn small(seed: u64, layout: PackageLayout) -> PackageSpec {
        PackageSpec {
            seed,
            layout,
            messages: 3_000,
            analytics_lines: 5_000,
            shards: 3,
            direct_channels: 6,
            guild_channels: 8,
            guilds: 3,
        }
    }
}

/// What a correct analysis finds: each table's rows, as SQLite returns
/// them, sorted; plus the noise that must have been skipped.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Expected {
    pub tables: BTreeMap<String, Vec<Vec<Value>>>,
    pub malformed_lines: u64,
    pub messages: u64,
    pub analytics_events: u64,
}

const OWNER_ID: &str = "100000000000000001";
const SYSTEMS: &[&str] = &["windows", "linux", "macos", "android", "ios"];
const PLAIN_EVENTS: &[(&str, &str)] = &[
    ("email_opened", "email_opened"),
    ("login_successful", "login_successful"),
    ("user_avatar_updated", "user_avatar_updated"),
    ("app_crashed", "app_crashed"),
    ("app_native_crash", "app_crashed"),
    ("oauth2_authorize_accepted", "oauth2_authorize_accepted"),
    ("remote_auth_login", "remote_auth_login"),
    ("notification_clicked", "notification_clicked"),
    ("captcha_served", "captcha_served"),
    ("voice_message_recorded", "voice_message_recorded"),
    ("message_reported", "message_reported"),
    ("message_edited", "message_edited"),
    ("premium_upsell_viewed", "premium_upsell_viewed"),
];
/// 2021-01-01 to 2024-12-31, where everything happens.
const START: i64 = 1_609_459_200;
const SPAN: i64 = 4 * 365 * 86_400;

/// A small deterministic generator (xorshift64*).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn time(&mut self) -> i64 {
        START + self.below(SPAN as u64) as i64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// The activity table's key, in column order: event_name, day, hour,
/// user, channel, guild, extra 1, extra 2.
type ActivityKey =
    (String, String, i64, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);

#[derive(Clone)]
struct Channel {
    id: String,
    /// The other user of a direct conversation.
    other_user: Option<String>,
    guild: Option<(String, String)>,
    index_name: String,
}

struct Builder {
    spec: PackageSpec,
    random: Random,
    activity: BTreeMap<ActivityKey, i64>,
    voice_minutes: HashMap<String, i64>,
    expected: Expected,
}

/// Analytics lines, spread over the shard files as they come.
struct Shards<'z> {
    zip: &'z mut zip::ZipWriter<std::io::BufWriter<std::fs::File>>,
    options: SimpleFileOptions,
    folder: String,
    shards: u32,
    per_shard: u64,
    shard: u32,
    in_shard: u64,
    lines: u64,
    /// Lines with an event type.
    events: u64,
}

impl Shards<'_> {
    fn push(&mut self, line: String) -> zip::result::ZipResult<()> {
        if self.lines == 0 || (self.in_shard >= self.per_shard && self.shard + 1 < self.shards) {
            if self.lines > 0 {
                self.shard += 1;
            }
            let name = format!("{}/events-2024-{:05}-of-{:05}.json", self.folder, self.shard, self.shards);
            self.zip.start_file(name, self.options)?;
            self.in_shard = 0;
        }
        self.zip.write_all(line.as_bytes())?;
        self.zip.write_all(b"\n")?;
        self.lines += 1;
        self.in_shard += 1;
        if line.contains("\"event_type\":") {
            self.events += 1;
        }
        Ok(())
    }
}

/// Every table of a SQLite file, as Python's sqlite3 (a reader independent
/// of cordvault's code) returns its rows, sorted as [`Expected`] sorts them.
pub fn read_tables(database: &Path) -> BTreeMap<String, Vec<Vec<Value>>> {
    let script = r#"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
print(json.dumps({name: [list(row) for row in db.execute(f"SELECT * FROM {name}")] for name in names}))
"#;
    let output =
        std::process::Command::new("python3").arg("-c").arg(script).arg(database).output().expect("python3 runs");
    assert!(output.status.success(), "python sqlite3: {}", String::from_utf8_lossy(&output.stderr));
    let mut tables: BTreeMap<String, Vec<Vec<Value>>> =
        serde_json::from_slice(&output.stdout).expect("JSON from python");
    for rows in tables.values_mut() {
        rows.sort_by_key(|row| Value::Array(row.clone()).to_string());
    }
    tables
}

impl Expected {
    /// Panics at the first row that differs from `found`.
    pub fn assert_matches(&self, found: &BTreeMap<String, Vec<Vec<Value>>>) {
        let names: Vec<&String> = found.keys().collect();
        assert_eq!(names, self.tables.keys().collect::<Vec<_>>(), "the tables");
        for (table, rows) in &self.tables {
            let found = &found[table];
            for (n, (want, got)) in rows.iter().zip(found).enumerate() {
                assert_eq!(want, got, "{table} row {n}");
            }
            assert_eq!(rows.len(), found.len(), "{table}: rows");
        }
    }

    /// The package id the result names.
    pub fn with_package_id(mut self, package_id: &str) -> Expected {
        if let Some(row) = self.tables.get_mut("package_data").and_then(|rows| rows.first_mut()) {
            row[0] = Value::from(package_id);
        }
        self
    }
}

/// Writes the package to `zip_path` and returns what its analysis must give.
pub fn generate(spec: &PackageSpec, zip_path: &Path) -> std::io::Result<Expected> {
    let mut builder = Builder {
        spec: spec.clone(),
        random: Random(spec.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        activity: BTreeMap::new(),
        voice_minutes: HashMap::new(),
        expected: Expected::default(),
    };
    let file = std::fs::File::create(zip_path)?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    builder.write(&mut zip).map_err(std::io::Error::other)?;
    zip.finish()?.flush()?;
    Ok(builder.finish())
}

impl Builder {
    fn folder(&self, current: &str, legacy: &str, translated: &str) -> String {
        match self.spec.layout {
            PackageLayout::Current => current.to_owned(),
            PackageLayout::Legacy => legacy.to_owned(),
            PackageLayout::Translated => translated.to_owned(),
            PackageLayout::Wrapped => format!("discord-package/{current}"),
        }
    }

    fn legacy(&self) -> bool {
        self.spec.layout == PackageLayout::Legacy
    }

    fn write(&mut self, zip: &mut zip::ZipWriter<std::io::BufWriter<std::fs::File>>) -> zip::result::ZipResult<()> {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
            .large_file(true);
        let account = self.folder("Account", "account", "Compte");
        let messages_root = self.folder("Messages", "messages", "Messages");
        let servers_root = self.folder("Servers", "servers", "Serveurs");
        let activity_root = self.folder("Activity", "activity", "Activité");

        let guilds: Vec<(String, String)> =
            (0..self.spec.guilds).map(|n| (format!("2{:017}", n + 1), format!("Guild {n} ✨"))).collect();
        // A guild left since: its channels keep their messages, but it is
        // not in the servers index, so it has no guilds row.
        let left_guild = (format!("2{:017}", 999), "Left guild".to_owned());
        let mut channels = Vec::new();
        let mut friends = Vec::new();
        for n in 0..self.spec.direct_channels {
            let user = format!("3{:017}", n + 1);
            let (name, discriminator) =
                if n % 2 == 0 { (format!("friend{n}"), "0") } else { (format!("Old Friend {n}"), "1234") };
            let global_name = format!("Friend Number {n}");
            let avatar = if n % 3 == 0 { format!("a_{n:032}") } else { format!("{n:032x}") };
            let extension = if avatar.starts_with("a_") { "gif" } else { "jpg" };
            let avatar_url = format!("https://cdn.discordapp.com/avatars/{user}/{avatar}.{extension}");
            let index_name =
                format!("Direct Message with {name}#{}", if discriminator == "0" { "0000" } else { discriminator });
            let shown_name = if discriminator == "0" { name.clone() } else { format!("{name}#{discriminator}") };
            friends.push((
                user.clone(),
                name,
                discriminator,
                avatar,
                global_name.clone(),
                avatar_url.clone(),
                shown_name,
            ));
            channels.push(Channel { id: format!("4{:017}", n + 1), other_user: Some(user), guild: None, index_name });
        }
        for n in 0..self.spec.guild_channels {
            let guild =
                if n + 1 == self.spec.guild_channels { left_guild.clone() } else { self.random.pick(&guilds).clone() };
            channels.push(Channel {
                id: format!("5{:017}", n + 1),
                other_user: None,
                guild: Some(guild),
                index_name: format!("channel-{n}"),
            });
        }

        // Analytics first: voice minutes per channel go into the channel rows.
        let shards = self.spec.shards.max(1);
        let mut out = Shards {
            zip: &mut *zip,
            options,
            folder: format!("{activity_root}/analytics"),
            shards,
            per_shard: (self.spec.analytics_lines / u64::from(shards)).max(1),
            shard: 0,
            in_shard: 0,
            lines: 0,
            events: 0,
        };
        self.analytics(&mut out, &channels)?;
        // Another folder with a similar name, which is no analytics.
        zip.start_file(format!("{activity_root}/reporting/events-2024-00000-of-00001.json"), options)?;
        zip.write_all(b"{\"event_type\":\"login_successful\",\"timestamp\":\"2022-01-01T00:00:00Z\"}\n")?;

        // The owner, friends and payments.
        let payments = self.payments();
        let mut user = json!({
            "id": OWNER_ID,
            "username": "package_owner",
            "discriminator": "0",
            "global_name": "Package Owner",
            "email": "owner@example.com",
            "avatar_hash": "a_0123456789abcdef",
            "relationships": friends.iter().map(|(id, name, discriminator, avatar, global_name, _, _)| json!({
                "id": id, "type": 1, "nickname": null,
                "user": {"id": id, "username": name, "discriminator": discriminator, "avatar": avatar, "global_name": global_name},
            })).collect::<Vec<_>>(),
        });
        if self.legacy() {
            user["payments"] = Value::Array(payments.clone());
        }
        zip.start_file(format!("{account}/user.json"), options)?;
        zip.write_all(user.to_string().as_bytes())?;
        if !self.legacy() {
            zip.start_file(format!("{account}/user_data_exports/discord_billing/payments.json"), options)?;
            zip.write_all(json!({"records": payments}).to_string().as_bytes())?;
        }
        self.table(
            "package_data",
            vec![vec![
                json!("<package id>"),
                json!("0.1.0"),
                json!(OWNER_ID),
                json!("package_owner"),
                json!("Package Owner"),
                json!(format!("https://cdn.discordapp.com/avatars/{OWNER_ID}/a_0123456789abcdef.gif")),
                json!(0),
            ]],
        );

        // Servers.
        let mut index = serde_json::Map::new();
        for (id, name) in &guilds {
            index.insert(id.clone(), json!(name));
            zip.start_file(format!("{servers_root}/{id}/guild.json"), options)?;
            zip.write_all(json!({"id": id, "name": name}).to_string().as_bytes())?;
        }
        zip.start_file(format!("{servers_root}/index.json"), options)?;
        zip.write_all(Value::Object(index).to_string().as_bytes())?;

        // Messages.
        let mut index = serde_json::Map::new();
        let mut guild_messages: HashMap<String, i64> = HashMap::new();
        let (mut direct_rows, mut guild_rows) = (Vec::new(), Vec::new());
        let per_channel = self.split(self.spec.messages, channels.len());
        for (channel, count) in channels.iter().zip(per_channel) {
            index.insert(channel.id.clone(), json!(channel.index_name));
            let folder = if self.legacy() { channel.id.clone() } else { format!("c{}", channel.id) };
            let channel_json = match (&channel.other_user, &channel.guild) {
                (Some(user), _) => json!({"id": channel.id, "type": 1, "recipients": [OWNER_ID, user]}),
                (_, Some((id, name))) => {
                    json!({"id": channel.id, "type": 0, "name": channel.index_name, "guild": {"id": id, "name": name}})
                }
                _ => unreachable!("a channel is direct or in a guild"),
            };
            zip.start_file(format!("{messages_root}/{folder}/channel.json"), options)?;
            zip.write_all(channel_json.to_string().as_bytes())?;
            let file = if self.legacy() { "messages.csv" } else { "messages.json" };
            zip.start_file(format!("{messages_root}/{folder}/{file}"), options)?;
            self.messages(zip, channel, count)?;
            let voice = self.voice_minutes.get(&channel.id).copied().unwrap_or(0);
            match (&channel.other_user, &channel.guild) {
                (Some(user), _) => {
                    let friend =
                        friends.iter().find(|friend| &friend.0 == user).expect("every direct channel has its friend");
                    direct_rows.push(vec![
                        json!(channel.id),
                        json!(user),
                        json!(friend.6),
                        json!(friend.4),
                        json!(friend.5),
                        json!(count),
                        json!(voice),
                        json!(0.5),
                    ]);
                }
                (_, Some((guild, _))) => {
                    *guild_messages.entry(guild.clone()).or_default() += count as i64;
                    guild_rows.push(vec![
                        json!(channel.id),
                        json!(channel.index_name),
                        json!(guild),
                        json!(count),
                        json!(voice),
                    ]);
                }
                _ => {}
            }
        }
        self.table("dm_channels_data", direct_rows);
        self.table("guild_channels_data", guild_rows);
        let guild_rows = guilds
            .iter()
            .map(|(id, name)| vec![json!(id), json!(name), json!(guild_messages.get(id).copied().unwrap_or(0))])
            .collect();
        self.table("guilds", guild_rows);

        // Conversations the statistics leave out: a group, an unnamed one,
        // one with no messages file.
        let traps = [
            ("6000000000000000001", json!("Group with friends")),
            ("6000000000000000002", Value::Null),
            ("6000000000000000003", json!("no-messages")),
        ];
        for (n, (id, name)) in traps.iter().enumerate() {
            index.insert(id.to_string(), name.clone());
            let folder = if self.legacy() { id.to_string() } else { format!("c{id}") };
            let recipients = [OWNER_ID, "300000000000000001", "300000000000000002"];
            zip.start_file(format!("{messages_root}/{folder}/channel.json"), options)?;
            zip.write_all(json!({"id": id, "type": 3, "recipients": recipients}).to_string().as_bytes())?;
            if n < 2 {
                let file = if self.legacy() { "messages.csv" } else { "messages.json" };
                zip.start_file(format!("{messages_root}/{folder}/{file}"), options)?;
                let trap = Channel { id: id.to_string(), other_user: None, guild: None, index_name: String::new() };
                self.messages_not_counted(zip, &trap)?;
            }
        }
        zip.start_file(format!("{messages_root}/index.json"), options)?;
        zip.write_all(Value::Object(index).to_string().as_bytes())?;
        Ok(())
    }

    /// Splits `total` over `parts` unevenly.
    fn split(&mut self, total: u64, parts: usize) -> Vec<u64> {
        let weights: Vec<u64> = (0..parts).map(|_| 1 + self.random.below(10)).collect();
        let sum: u64 = weights.iter().sum();
        let mut shares: Vec<u64> = weights.iter().map(|weight| total * weight / sum).collect();
        let given: u64 = shares.iter().sum();
        if let Some(first) = shares.first_mut() {
            *first += total - given;
        }
        shares
    }

    fn messages<W: Write>(&mut self, out: &mut W, channel: &Channel, count: u64) -> std::io::Result<()> {
        self.expected.messages += count;
        let legacy = self.legacy();
        if legacy {
            out.write_all(b"ID,Timestamp,Contents,Attachments\n")?;
        } else {
            out.write_all(b"[")?;
        }
        for n in 0..count {
            let seconds = self.random.time();
            let time = UtcDateTime::from_unix(seconds);
            let key = (
                "message_sent".to_owned(),
                time.date_string(),
                i64::from(time.hour),
                None,
                Some(channel.id.clone()),
                channel.guild.as_ref().map(|(id, _)| id.clone()),
                None,
                None,
            );
            *self.activity.entry(key).or_default() += 1;
            let stamp = format!("{} {:02}:{:02}:{:02}", time.date_string(), time.hour, time.minute, time.second);
            let id = 700_000_000_000_000_000u64 + self.random.below(1 << 40);
            if legacy {
                // Contents with the commas, quotes and newlines CSV must survive.
                writeln!(
                    out,
                    "{id},{stamp}.{:06}+00:00,\"message {n}, with \"\"quotes\"\"\nand a second line\",",
                    self.random.below(1_000_000)
                )?;
            } else {
                let separator = if n == 0 { "" } else { "," };
                let message = json!({"ID": id, "Timestamp": stamp, "Contents": format!("message {n} with \"quotes\" and ünïcödé"), "Attachments": ""});
                write!(out, "{separator}{message}")?;
            }
        }
        if !legacy {
            out.write_all(b"]")?;
        }
        Ok(())
    }

    fn messages_not_counted<W: Write>(&mut self, out: &mut W, _channel: &Channel) -> std::io::Result<()> {
        if self.legacy() {
            out.write_all(b"ID,Timestamp,Contents,Attachments\n1,2022-01-01 00:00:00.000000+00:00,left out,\n")
        } else {
            out.write_all(br#"[{"ID":1,"Timestamp":"2022-01-01 00:00:00","Contents":"left out","Attachments":""}]"#)
        }
    }

    fn payments(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        let mut records = Vec::new();
        for n in 0..6u64 {
            let seconds = self.random.time();
            let time = UtcDateTime::from_unix(seconds);
            let created =
                format!("{}T{:02}:{:02}:{:02}.000000+00:00", time.date_string(), time.hour, time.minute, time.second);
            // Every third failed, one paid in Orbs: neither counts.
            let (status, currency) = match n {
                2 => (2, "usd"),
                5 => (1, "discord_orb"),
                _ => (1, if n % 2 == 0 { "eur" } else { "usd" }),
            };
            let (id, amount, description) =
                (format!("8{:017}", n + 1), 499 + n as i64 * 100, format!("Nitro month {n}"));
            records.push(json!({"id": id, "amount": amount, "currency": currency, "created_at": created, "description": description, "status": status}));
            if status == 1 && currency != "discord_orb" {
                rows.push(vec![
                    json!(id),
                    json!(time.date_string()),
                    json!(amount),
                    json!(currency),
                    json!(description),
                ]);
            }
        }
        self.table("payments", rows);
        records
    }

    /// The analytics lines, written into the shards as they are made.
    fn analytics(&mut self, lines: &mut Shards, channels: &[Channel]) -> zip::result::ZipResult<()> {
        let legacy = self.legacy();
        let stamp = |seconds: i64| {
            let time = UtcDateTime::from_unix(seconds);
            let iso = format!("{}T{:02}:{:02}:{:02}.123Z", time.date_string(), time.hour, time.minute, time.second);
            // Current exports wrap the time in a second pair of quotes.
            if legacy { iso } else { format!("\"{iso}\"") }
        };
        let guild_ids: Vec<String> =
            channels.iter().filter_map(|channel| channel.guild.clone()).map(|(id, _)| id).collect();
        let guild_ids = if guild_ids.is_empty() { vec!["2000000000000000099".to_owned()] } else { guild_ids };
        let (mut voice_clock, mut session_clock) = (START, START);
        let (mut calls, mut sessions) = (Vec::new(), Vec::new());
        let noise_channel = "5999999999999999999";
        // One call over 24 hours, at the very start: no session.
        lines.push(json!({"event_type": "join_voice_channel", "channel_id": noise_channel, "timestamp": stamp(START - 200_000), "client_track_timestamp": "null"}).to_string())?;
        lines.push(json!({"event_type": "leave_voice_channel", "channel_id": noise_channel, "timestamp": stamp(START - 200_000 + 86_401), "client_track_timestamp": "null"}).to_string())?;
        let target = self.spec.analytics_lines;
        while lines.lines < target {
            let n = lines.lines;
            match self.random.below(100) {
                // Noise: a malformed line, a line without a type, an unknown event.
                0 => {
                    lines.push("{\"event_type\":\"login_successful\",\"timestamp\":".to_owned())?;
                    self.expected.malformed_lines += 1;
                }
                1 => lines.push(json!({"not_an_event": n}).to_string())?,
                2..=6 => lines.push(
                    json!({"event_type": "channel_opened", "channel_id": "1", "timestamp": stamp(self.random.time())})
                        .to_string(),
                )?,
                7..=36 => {
                    let (event, counted) = *self.random.pick(PLAIN_EVENTS);
                    let seconds = self.random.time();
                    self.count(counted, seconds, false, [None, None, None, None, None]);
                    lines.push(json!({"event_type": event, "timestamp": stamp(seconds)}).to_string())?;
                }
                37..=44 => {
                    let guild = self.random.pick(&guild_ids).clone();
                    let seconds = self.random.time();
                    self.count("guild_joined", seconds, true, [None, None, Some(guild.clone()), None, None]);
                    lines.push(
                        json!({"event_type": "guild_joined", "guild_id": guild, "timestamp": stamp(seconds)})
                            .to_string(),
                    )?;
                }
                45..=52 => {
                    let guild = self.random.pick(&guild_ids).clone();
                    let seconds = self.random.time();
                    // Built-in commands (application "-1") are not counted.
                    let application = *self.random.pick(&["936929561302675456", "159985870458322944", "-1"]);
                    if application != "-1" {
                        self.count(
                            "application_command_used",
                            seconds,
                            false,
                            [Some(application.to_owned()), None, Some(guild.clone()), None, None],
                        );
                    }
                    lines.push(json!({"event_type": "application_command_used", "application_id": application, "guild_id": guild, "timestamp": stamp(seconds)}).to_string())?;
                }
                53..=62 => {
                    let channel = self.random.pick(channels).id.clone();
                    let seconds = self.random.time();
                    let (emoji, custom) =
                        *self.random.pick(&[("👍", false), ("😂", false), ("partyblob", true), ("kekw", true)]);
                    let flag = if custom { "1" } else { "0" };
                    self.count(
                        "add_reaction",
                        seconds,
                        false,
                        [None, Some(channel.clone()), None, Some(emoji.to_owned()), Some(flag.to_owned())],
                    );
                    let mut line = json!({"event_type": "add_reaction", "channel_id": channel, "emoji_name": emoji, "user_id": OWNER_ID, "timestamp": stamp(seconds)});
                    if custom {
                        line["emoji_id"] = json!("1100000000000000001");
                    }
                    lines.push(line.to_string())?;
                }
                63..=70 => {
                    let os = *self.random.pick(SYSTEMS);
                    let seconds = self.random.time();
                    self.count("app_opened", seconds, false, [None, None, None, Some(os.to_owned()), None]);
                    lines
                        .push(json!({"event_type": "app_opened", "os": os, "timestamp": stamp(seconds)}).to_string())?;
                }
                71..=85 => {
                    // A call: join and leave, after every call before it.
                    let channel = self.random.pick(channels).clone();
                    let started = voice_clock + 600 + self.random.below(3 * 86_400) as i64;
                    let ended = started + 60 + self.random.below(3 * 3600) as i64;
                    voice_clock = ended;
                    let guild = channel.guild.as_ref().map(|(id, _)| id.clone());
                    calls.push(vec![
                        json!(channel.id),
                        json!(guild),
                        json!((ended - started) / 60),
                        json!(format!("{started}.0")),
                        json!(format!("{ended}.0")),
                    ]);
                    *self.voice_minutes.entry(channel.id.clone()).or_default() += (ended - started) / 60;
                    for (event, seconds) in [("join_voice_channel", started), ("leave_voice_channel", ended)] {
                        // The client's clock wins over the server's; "null" when it had none.
                        let mut line = if self.random.below(2) == 0 {
                            json!({"event_type": event, "channel_id": channel.id, "timestamp": stamp(seconds + 7), "client_track_timestamp": stamp(seconds)})
                        } else {
                            json!({"event_type": event, "channel_id": channel.id, "timestamp": stamp(seconds), "client_track_timestamp": "null"})
                        };
                        if let Some(guild) = &guild {
                            line["guild_id"] = json!(guild);
                        }
                        lines.push(line.to_string())?;
                    }
                }
                _ => {
                    // An app session; now and then a second start inside it,
                    // from another system, which it swallows.
                    let os = *self.random.pick(SYSTEMS);
                    let started = session_clock + 600 + self.random.below(2 * 86_400) as i64;
                    let ended = started + 120 + self.random.below(8 * 3600) as i64;
                    session_clock = ended;
                    sessions.push(vec![
                        json!(format!("{started}.0")),
                        json!(format!("{ended}.0")),
                        json!((ended - started) / 60),
                        json!(os),
                    ]);
                    lines.push(
                        json!({"event_type": "session_start", "os": os, "timestamp": stamp(started)}).to_string(),
                    )?;
                    if self.random.below(4) == 0 {
                        lines.push(
                            json!({"event_type": "session_start", "os": "linux", "timestamp": stamp(started + 60)})
                                .to_string(),
                        )?;
                    }
                    lines
                        .push(json!({"event_type": "session_end", "os": os, "timestamp": stamp(ended)}).to_string())?;
                }
            }
        }
        // Joins that never end, after every leave in their channel.
        for n in 0..3 {
            lines.push(json!({"event_type": "join_voice_channel", "channel_id": noise_channel, "timestamp": stamp(START + SPAN * 2 + n * 1000), "client_track_timestamp": "null"}).to_string())?;
        }
        // The malformed lines name a type too, but are no events.
        self.expected.analytics_events = lines.events - self.expected.malformed_lines;
        self.table("voice_sessions", calls);
        self.table("sessions", sessions);
        Ok(())
    }

    /// Counts one event into its activity row; `[user, channel, guild, extra 1, extra 2]`.
    fn count(&mut self, event: &str, seconds: i64, hourly: bool, associated: [Option<String>; 5]) {
        let time = UtcDateTime::from_unix(seconds);
        let hour = if hourly { i64::from(time.hour) } else { 0 };
        let [user, channel, guild, extra1, extra2] = associated;
        *self
            .activity
            .entry((event.to_owned(), time.date_string(), hour, user, channel, guild, extra1, extra2))
            .or_default() += 1;
    }

    fn table(&mut self, name: &str, rows: Vec<Vec<Value>>) {
        self.expected.tables.insert(name.to_owned(), rows);
    }

    fn finish(mut self) -> Expected {
        let activity = std::mem::take(&mut self.activity)
            .into_iter()
            .map(|((event, day, hour, user, channel, guild, extra1, extra2), count)| {
                vec![
                    json!(event),
                    json!(day),
                    json!(hour),
                    json!(count),
                    json!(user),
                    json!(channel),
                    json!(guild),
                    json!(extra1),
                    json!(extra2),
                ]
            })
            .collect();
        self.table("activity", activity);
        for rows in self.expected.tables.values_mut() {
            rows.sort_by_key(|row| Value::Array(row.clone()).to_string());
        }
        self.expected
    }
}
