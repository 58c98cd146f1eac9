//! The demo package: a database of made-up statistics, so that dumpus
//! clients can show what they do without a package. Like the original's:
//! 100 conversations, 100 guilds with 100 channels, 5,000 activity rows
//! over 17 events, 100 calls, 10,000 app sessions, the owner Wumpus, no
//! payments; the same for the same seed.

use std::collections::BTreeMap;
use std::path::Path;

use cordvault_core::calendar::UtcDateTime;

use crate::Result;
use crate::database::*;

const EVENTS: &[&str] = &[
    "message_sent",
    "guild_joined",
    "application_command_used",
    "add_reaction",
    "email_opened",
    "login_successful",
    "app_crashed",
    "app_opened",
    "user_avatar_updated",
    "oauth2_authorize_accepted",
    "remote_auth_login",
    "notification_clicked",
    "captcha_served",
    "voice_message_recorded",
    "message_reported",
    "message_edited",
    "premium_upsell_viewed",
];
const COLOURS: &[&str] = &["Red", "Blue", "Green", "Yellow", "Purple", "Pink", "Black", "White", "Gold", "Silver"];
const ANIMALS: &[&str] = &["Lion", "Tiger", "Bear", "Wolf", "Eagle", "Hawk", "Fox", "Cat", "Dog", "Snake"];
const SYSTEMS: &[&str] = &["windows", "linux", "macos", "android", "ios"];
const EMOJI: &[&str] = &["👍", "👎", "😂", "😡", "😭", "😍", "🤔", "🤢", "🤮", "🤯"];
const BOTS: &[&str] = &["159985870458322944", "936929561302675456", "432610292342587392", "276060004262477825"];
/// 2021-01-01, where the demo's time begins; it spans four years.
const START: i64 = 1_609_459_200;

/// The activity table's key: event, day, hour, channel, guild, user, extra 1.
type ActivityKey = (&'static str, String, i32, Option<String>, Option<String>, Option<String>, Option<String>);

struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    fn id(&mut self) -> String {
        format!("{}{:017}", 1 + self.below(9), self.below(100_000_000_000_000_000))
    }

    fn name(&mut self) -> String {
        format!("{}{}{}", self.pick(COLOURS), self.pick(ANIMALS), self.below(1000))
    }
}

/// Writes the demo database at `output`.
pub fn demo_database(output: &Path, seed: u64) -> Result<()> {
    let mut random = Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut database = ResultDatabase::create(output)?;
    let mut direct = Vec::new();
    for _ in 0..100 {
        let name = random.name();
        direct.push(DirectChannelRow {
            channel_id: random.id(),
            dm_user_id: random.id(),
            user_name: name.to_lowercase(),
            display_name: Some(name),
            user_avatar_url: Some(format!("https://cdn.discordapp.com/embed/avatars/{}.png", random.below(6))),
            total_message_count: random.below(1000) as i64,
            total_voice_channel_duration: random.below(10) as i64,
            sentiment_score: random.below(1000) as f64 / 1000.0,
        });
    }
    let guilds: Vec<GuildRow> = (0..100)
        .map(|_| GuildRow {
            guild_id: random.id(),
            guild_name: format!("{}'s server", random.name()),
            total_message_count: random.below(1000) as i64,
        })
        .collect();
    let channels: Vec<GuildChannelRow> = (0..100)
        .map(|_| GuildChannelRow {
            channel_id: random.id(),
            channel_name: random.name(),
            guild_id: guilds[random.below(100) as usize].guild_id.clone(),
            total_message_count: random.below(1000) as i64,
            total_voice_channel_duration: random.below(10) as i64,
        })
        .collect();
    // Rows of one key add up, as the activity table's primary key wants.
    let mut activity: BTreeMap<ActivityKey, (i64, Option<String>)> = BTreeMap::new();
    for _ in 0..5000 {
        let weighted = random.below(6) <= 2;
        let event = if weighted { random.pick(&["message_sent", "guild_joined"]) } else { random.pick(EVENTS) };
        let (mut user, mut channel, mut guild, mut extra1, mut extra2) = (None, None, None, None, None);
        match event {
            "message_sent" if random.below(2) == 0 => {
                channel = Some(direct[random.below(100) as usize].channel_id.clone())
            }
            "message_sent" => {
                let row = &channels[random.below(100) as usize];
                (channel, guild) = (Some(row.channel_id.clone()), Some(row.guild_id.clone()));
            }
            "guild_joined" => guild = Some(guilds[random.below(100) as usize].guild_id.clone()),
            "add_reaction" => {
                extra1 = Some(random.pick(EMOJI).to_owned());
                extra2 = Some(if random.below(2) == 0 { "1" } else { "0" }.to_owned());
                channel = Some(channels[random.below(100) as usize].channel_id.clone());
            }
            "application_command_used" => {
                user = Some(random.pick(BOTS).to_owned());
                guild = Some(guilds[random.below(100) as usize].guild_id.clone());
            }
            "app_opened" => extra1 = Some(random.pick(SYSTEMS).to_owned()),
            _ => {}
        }
        let day = UtcDateTime::from_unix(START + random.below(4 * 365) as i64 * 86_400).date_string();
        let hour = random.below(24) as i32;
        let count = if weighted { 1 + random.below(50) as i64 } else { 1 };
        let entry = activity.entry((event, day, hour, channel, guild, user, extra1)).or_insert((0, extra2));
        entry.0 += count;
    }
    for ((event_name, day, hour, channel, guild, user, extra1), (count, extra2)) in activity {
        database.add_activity(ActivityRow {
            event_name,
            day,
            hour: Some(hour),
            occurence_count: count,
            associated_user_id: user,
            associated_channel_id: channel,
            associated_guild_id: guild,
            extra_field_1: extra1,
            extra_field_2: extra2,
        })?;
    }
    let mut calls = BTreeMap::new();
    for _ in 0..100 {
        let row = &channels[random.below(100) as usize];
        let started = START + random.below(4 * 365 * 86_400) as i64;
        let ended = started + 60 * random.below(500) as i64 + random.below(60) as i64;
        calls.insert((row.channel_id.clone(), started), (row.guild_id.clone(), ended));
    }
    let calls: Vec<VoiceSessionRow> = calls
        .into_iter()
        .map(|((channel_id, started), (guild_id, ended))| VoiceSessionRow {
            channel_id,
            guild_id: Some(guild_id),
            duration_mins: (ended - started) / 60,
            started_date: epoch_text(started),
            ended_date: epoch_text(ended),
        })
        .collect();
    let sessions: Vec<SessionRow> = (0..10_000)
        .map(|_| {
            let started = START + random.below(4 * 365 * 86_400) as i64;
            let ended = started + 60 * random.below(500) as i64 + random.below(60) as i64;
            SessionRow {
                started_date: epoch_text(started),
                ended_date: epoch_text(ended),
                duration_mins: (ended - started) / 60,
                device_os: random.pick(SYSTEMS).to_owned(),
            }
        })
        .collect();
    database.add_direct_channels(&direct)?;
    database.add_guilds(&guilds)?;
    database.add_guild_channels(&channels)?;
    database.add_voice_sessions(&calls)?;
    database.add_sessions(&sessions)?;
    database.finish(PackageRow {
        package_id: "demo".to_owned(),
        package_version: PACKAGE_VERSION,
        package_owner_id: "000000000000000000".to_owned(),
        package_owner_name: "wumpus".to_owned(),
        package_owner_display_name: Some("Wumpus".to_owned()),
        package_owner_avatar_url: Some("https://cdn.discordapp.com/embed/avatars/0.png".to_owned()),
        package_is_partial: false,
    })
}

/// The demo database, gzipped, as `/process/demo/data` serves it.
pub fn demo_gzipped(seed: u64) -> Result<Vec<u8>> {
    use std::io::Write;
    let folder =
        tempfile::tempdir().map_err(|err| crate::AnalysisError::Internal(format!("a scratch folder: {err}")))?;
    let path = folder.path().join("demo.sqlite");
    demo_database(&path, seed)?;
    let bytes = std::fs::read(&path).map_err(|err| crate::AnalysisError::Internal(err.to_string()))?;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&bytes).and_then(|()| gzip.finish()).map_err(|err| crate::AnalysisError::Internal(err.to_string()))
}
