//! A package zip into a statistics database: the steps in order, with the
//! limits that keep a hostile zip from costing more than a real one.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use cordvault_core::calendar::UtcDateTime;
use zip::ZipArchive;

use crate::analytics::{Analytics, Name};
use crate::database::*;
use crate::layout::{Layout, MessagesFile};
use crate::messages::{ChannelKind, MessageHours};
use crate::owner::Account;
use crate::sessions::{app_sessions, voice_sessions};
use crate::{AnalysisError, Result};

/// What a package may cost.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Sum of the declared sizes of the entries read.
    pub max_unpacked_bytes: u64,
    pub max_entries: usize,
    /// Entries above 1 MiB compressed more than this are a zip bomb: real
    /// JSON compresses 5 to 30 times, deflate tops out near 1,032.
    pub max_ratio: u64,
    /// `user.json`, `channel.json`, the indexes and `payments.json` are read
    /// whole; they are small in real packages.
    pub max_small_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_unpacked_bytes: 64 * 1024 * 1024 * 1024,
            max_entries: 1_000_000,
            max_ratio: 200,
            max_small_file_bytes: 64 * 1024 * 1024,
        }
    }
}

/// How the analysis went, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub analytics_lines: u64,
    pub analytics_events: u64,
    pub malformed_lines: u64,
    pub incomplete_events: u64,
    pub messages: u64,
    pub skipped_messages: u64,
    pub partial: bool,
}

/// The original's stub, kept so the column holds what clients expect:
/// message contents are never read, so there is no sentiment to score.
const SENTIMENT_NOT_SCORED: f64 = 0.5;

/// Analyses the zip at `zip_path` into a new SQLite file at `output`.
pub fn analyse(zip_path: &Path, package_id: &str, output: &Path, limits: &Limits) -> Result<Report> {
    let file = File::open(zip_path).map_err(|err| AnalysisError::Internal(format!("opening the package: {err}")))?;
    let mut zip = ZipArchive::new(BufReader::new(file))?;
    let names = checked_names(&mut zip, limits)?;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let layout = Layout::detect(&names).ok_or(AnalysisError::MissingUserData)?;

    let mut account = Account::parse(&read_small(&mut zip, &layout.user_json, limits)?)
        .map_err(|err| AnalysisError::InvalidPackage(format!("{}: {err}", layout.user_json)))?;
    if let Some(payments) = &layout.payments_json {
        account
            .add_payments_json(&read_small(&mut zip, payments, limits)?)
            .map_err(|err| AnalysisError::InvalidPackage(format!("{payments}: {err}")))?;
    }

    let mut analytics = Analytics::default();
    for shard in &layout.analytics {
        let entry = zip.by_name(shard)?;
        analytics.read_shard(BufReader::with_capacity(256 * 1024, entry))?;
    }
    let mut report = Report {
        analytics_lines: analytics.lines,
        analytics_events: analytics.events,
        malformed_lines: analytics.malformed,
        incomplete_events: analytics.incomplete,
        partial: analytics.events == 0 || layout.servers_index.is_none() || layout.messages_index.is_none(),
        ..Report::default()
    };

    let mut database = ResultDatabase::create(output)?;
    let calls = voice_sessions(std::mem::take(&mut analytics.voice), |channel| analytics.names.get(channel).to_owned());
    let mut voice_minutes: HashMap<&str, i64> = HashMap::new();
    let mut call_rows = Vec::with_capacity(calls.len());
    for call in &calls {
        let channel = analytics.names.get(call.channel);
        let minutes = (call.ended - call.started) / 60;
        *voice_minutes.entry(channel).or_default() += minutes;
        call_rows.push(VoiceSessionRow {
            channel_id: channel.to_owned(),
            guild_id: call.guild.map(|guild| analytics.names.get(guild).to_owned()),
            duration_mins: minutes,
            started_date: epoch_text(call.started),
            ended_date: epoch_text(call.ended),
        });
    }
    database.add_voice_sessions(&call_rows)?;
    let sessions: Vec<SessionRow> = app_sessions(std::mem::take(&mut analytics.sessions))
        .into_iter()
        .map(|session| SessionRow {
            started_date: epoch_text(session.started),
            ended_date: epoch_text(session.ended),
            duration_mins: (session.ended - session.started) / 60,
            device_os: analytics.names.get(session.os).to_owned(),
        })
        .collect();
    database.add_sessions(&sessions)?;
    write_activity(&mut database, &analytics)?;

    // Channels: the index names them; channel.json says what they are.
    let channel_names: BTreeMap<String, Option<String>> = match &layout.messages_index {
        Some(index) => parse_small(&mut zip, index, limits)?,
        None => BTreeMap::new(),
    };
    let mut guild_messages: HashMap<String, i64> = HashMap::new();
    let (mut direct_rows, mut guild_rows) = (Vec::new(), Vec::new());
    for channel in &layout.channels {
        let Some(messages) = &channel.messages else { continue };
        let Some(Some(full_name)) = channel_names.get(&channel.channel_id) else { continue };
        let kind = ChannelKind::parse(&read_small(&mut zip, &channel.channel_json, limits)?, &account.owner.id)
            .map_err(|err| AnalysisError::InvalidPackage(format!("{}: {err}", channel.channel_json)))?;
        let Some(kind) = kind else { continue };
        let mut hours = MessageHours::default();
        match messages {
            MessagesFile::Json(name) => hours
                .read_json(zip.by_name(name)?)
                .map_err(|err| AnalysisError::InvalidPackage(format!("{name}: {err}")))?,
            MessagesFile::Csv(name) => hours.read_csv(zip.by_name(name)?)?,
        }
        report.messages += hours.counted;
        report.skipped_messages += hours.skipped;
        let (channel_id, total) = (channel.channel_id.clone(), hours.counted as i64);
        let voice = voice_minutes.get(channel_id.as_str()).copied().unwrap_or(0);
        let guild_id = match &kind {
            ChannelKind::Guild { guild_id } => Some(guild_id.clone()),
            ChannelKind::Direct { .. } => None,
        };
        let mut per_hour: Vec<(i64, u64)> = hours.per_hour.into_iter().collect();
        per_hour.sort_unstable();
        for (hour, count) in per_hour {
            let time = UtcDateTime::from_unix(hour * 3600);
            database.add_activity(ActivityRow {
                event_name: "message_sent",
                day: time.date_string(),
                hour: Some(time.hour as i32),
                occurence_count: count as i64,
                associated_user_id: None,
                associated_channel_id: Some(channel_id.clone()),
                associated_guild_id: guild_id.clone(),
                extra_field_1: None,
                extra_field_2: None,
            })?;
        }
        match kind {
            ChannelKind::Direct { other_user } => {
                let friend = account.friends.get(&other_user);
                direct_rows.push(DirectChannelRow {
                    channel_id,
                    user_name: direct_message_name(full_name),
                    display_name: friend.and_then(|friend| friend.display_name.clone()),
                    user_avatar_url: friend.and_then(|friend| friend.avatar_url.clone()),
                    dm_user_id: other_user,
                    total_message_count: total,
                    total_voice_channel_duration: voice,
                    sentiment_score: SENTIMENT_NOT_SCORED,
                });
            }
            ChannelKind::Guild { guild_id } => {
                *guild_messages.entry(guild_id.clone()).or_default() += total;
                guild_rows.push(GuildChannelRow {
                    channel_id,
                    channel_name: full_name.clone(),
                    guild_id,
                    total_message_count: total,
                    total_voice_channel_duration: voice,
                });
            }
        }
    }
    database.add_direct_channels(&direct_rows)?;
    database.add_guild_channels(&guild_rows)?;

    // Guilds: those the servers index lists (the ones still joined).
    let guild_names: BTreeMap<String, String> = match &layout.servers_index {
        Some(index) => parse_small(&mut zip, index, limits)?,
        None => BTreeMap::new(),
    };
    let guild_rows: Vec<GuildRow> = guild_names
        .into_iter()
        .map(|(guild_id, guild_name)| GuildRow {
            total_message_count: guild_messages.get(&guild_id).copied().unwrap_or(0),
            guild_id,
            guild_name,
        })
        .collect();
    database.add_guilds(&guild_rows)?;

    let payments: Vec<PaymentRow> = account
        .payments
        .iter()
        .map(|payment| PaymentRow {
            payment_id: payment.id.clone(),
            payment_date: payment.date.clone(),
            payment_amount: payment.amount,
            payment_currency: payment.currency.clone(),
            payment_description: payment.description.clone(),
        })
        .collect();
    database.add_payments(&payments)?;

    let owner = account.owner;
    database.finish(PackageRow {
        package_id: package_id.to_owned(),
        package_version: PACKAGE_VERSION,
        package_owner_id: owner.id,
        package_owner_name: owner.username,
        package_owner_display_name: owner.display_name,
        package_owner_avatar_url: owner.avatar_url,
        package_is_partial: report.partial,
    })?;
    Ok(report)
}

/// "Direct Message with alice#1234" → "alice#1234"; "… bob#0000" → "bob"
/// (new usernames have no discriminator).
fn direct_message_name(full_name: &str) -> String {
    let name = full_name.strip_prefix("Direct Message with ").unwrap_or(full_name);
    name.strip_suffix("#0000").unwrap_or(name).to_owned()
}

fn write_activity(database: &mut ResultDatabase, analytics: &Analytics) -> Result<()> {
    let names = &analytics.names;
    let name = |name: Name| Some(names.get(name).to_owned());
    let row = |event_name: &'static str, day: i64, hour: i32, count: u64| ActivityRow {
        event_name,
        day: UtcDateTime::from_unix(day * 86_400).date_string(),
        hour: Some(hour),
        occurence_count: count as i64,
        associated_user_id: None,
        associated_channel_id: None,
        associated_guild_id: None,
        extra_field_1: None,
        extra_field_2: None,
    };
    for (&(event_name, day), &count) in &analytics.per_day {
        database.add_activity(row(event_name, day, 0, count))?;
    }
    for (&(guild, hour), &count) in &analytics.guild_joined {
        let time = UtcDateTime::from_unix(hour * 3600);
        let day = hour.div_euclid(24);
        database.add_activity(ActivityRow {
            associated_guild_id: name(guild),
            ..row("guild_joined", day, time.hour as i32, count)
        })?;
    }
    for (&(guild, application, day), &count) in &analytics.commands {
        // The original puts the application in the user column; clients
        // join it against users to label bots.
        database.add_activity(ActivityRow {
            associated_guild_id: name(guild),
            associated_user_id: name(application),
            ..row("application_command_used", day, 0, count)
        })?;
    }
    for (&(channel, emoji, day), &(count, custom)) in &analytics.reactions {
        database.add_activity(ActivityRow {
            associated_channel_id: name(channel),
            extra_field_1: name(emoji),
            extra_field_2: Some(if custom { "1" } else { "0" }.to_owned()),
            ..row("add_reaction", day, 0, count)
        })?;
    }
    for (&(os, day), &count) in &analytics.app_opened {
        database.add_activity(ActivityRow { extra_field_1: name(os), ..row("app_opened", day, 0, count) })?;
    }
    Ok(())
}

/// Entry names, after checking the zip against the limits.
fn checked_names<R: Read + std::io::Seek>(zip: &mut ZipArchive<R>, limits: &Limits) -> Result<Vec<String>> {
    if zip.len() > limits.max_entries {
        return Err(AnalysisError::TooLarge(format!(
            "{} entries, over the limit of {}",
            zip.len(),
            limits.max_entries
        )));
    }
    let mut names = Vec::with_capacity(zip.len());
    let mut unpacked = 0u64;
    for index in 0..zip.len() {
        let entry = zip.by_index_raw(index)?;
        let name = entry.name()?.into_owned();
        let (size, packed) = (entry.size(), entry.compressed_size());
        unpacked = unpacked.saturating_add(size);
        if unpacked > limits.max_unpacked_bytes {
            return Err(AnalysisError::TooLarge(format!(
                "it unpacks to more than {} bytes",
                limits.max_unpacked_bytes
            )));
        }
        if size > 1024 * 1024 && size / packed.max(1) > limits.max_ratio {
            return Err(AnalysisError::TooLarge(format!(
                "{name} is compressed {}:1, as only a zip bomb is",
                size / packed.max(1)
            )));
        }
        if !entry.is_dir() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn read_small<R: Read + std::io::Seek>(zip: &mut ZipArchive<R>, name: &str, limits: &Limits) -> Result<Vec<u8>> {
    let entry = zip.by_name(name)?;
    if entry.size() > limits.max_small_file_bytes {
        return Err(AnalysisError::TooLarge(format!(
            "{name} is {} bytes, over the limit of {}",
            entry.size(),
            limits.max_small_file_bytes
        )));
    }
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    entry.take(limits.max_small_file_bytes).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn parse_small<R, T>(zip: &mut ZipArchive<R>, name: &str, limits: &Limits) -> Result<T>
where
    R: Read + std::io::Seek,
    T: serde::de::DeserializeOwned,
{
    serde_json::from_slice(&read_small(zip, name, limits)?)
        .map_err(|err| AnalysisError::InvalidPackage(format!("{name}: {err}")))
}
