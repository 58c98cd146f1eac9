//! The analytics shards: one JSON event per line, millions of them, in
//! every shard (the original read only the first). A line's event type is
//! found first and only the events the statistics use are parsed; counts go
//! into their buckets at once, so memory grows with the number of buckets
//! (days, hours, channels), not of events. Voice and app session events are
//! kept, compactly, to be paired afterwards.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::BufRead;

use serde::Deserialize;

use crate::timestamp;

/// A line longer than this is skipped as malformed without being held.
const MAX_LINE: usize = 1024 * 1024;

/// The events counted per day with nothing else attached, by the name the
/// activity table gives them.
const PER_DAY: &[(&str, &str)] = &[
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

/// The events read beyond those of [`PER_DAY`].
const DETAILED: &[&str] = &[
    "join_voice_channel",
    "leave_voice_channel",
    "session_start",
    "session_end",
    "guild_joined",
    "application_command_used",
    "add_reaction",
    "app_opened",
];

/// Strings seen many times (ids, emoji, systems), stored once.
#[derive(Debug, Default)]
pub struct Names {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

pub type Name = u32;

impl Names {
    pub fn intern(&mut self, name: &str) -> Name {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as Name;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    pub fn get(&self, name: Name) -> &str {
        &self.names[name as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoiceEvent {
    pub seconds: i64,
    pub join: bool,
    pub channel: Name,
    pub guild: Option<Name>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionEvent {
    pub seconds: i64,
    pub start: bool,
    pub os: Name,
}

/// Day numbers are Unix seconds / 86,400; hour numbers Unix seconds / 3,600.
#[derive(Debug, Default)]
pub struct Analytics {
    pub lines: u64,
    /// Lines with an event type that read: none at all marks the package partial.
    pub events: u64,
    /// Lines that are not JSON (or too long): skipped.
    pub malformed: u64,
    /// Events the statistics use that lack a field or a readable time: skipped.
    pub incomplete: u64,
    pub per_day: HashMap<(&'static str, i64), u64>,
    /// (guild, hour).
    pub guild_joined: HashMap<(Name, i64), u64>,
    /// (guild, application, day).
    pub commands: HashMap<(Name, Name, i64), u64>,
    /// (channel, emoji name, day) → (count, a custom emoji).
    pub reactions: HashMap<(Name, Name, i64), (u64, bool)>,
    /// (system, day).
    pub app_opened: HashMap<(Name, i64), u64>,
    pub voice: Vec<VoiceEvent>,
    pub sessions: Vec<SessionEvent>,
    pub names: Names,
}

/// The fields any of the read events use; the others are skipped unkept.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    client_track_timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    channel_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    guild_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    os: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    application_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    emoji_name: Option<Cow<'a, str>>,
    #[serde(default)]
    emoji_id: Option<serde::de::IgnoredAny>,
}

impl Analytics {
    /// Reads one shard to its end.
    pub fn read_shard(&mut self, mut shard: impl BufRead) -> std::io::Result<()> {
        let mut line = Vec::with_capacity(4096);
        while let Some(complete) = read_bounded_line(&mut shard, &mut line, MAX_LINE)? {
            self.lines += 1;
            if !complete {
                self.malformed += 1;
                continue;
            }
            self.read_line(&line);
        }
        Ok(())
    }

    fn read_line(&mut self, line: &[u8]) {
        let line = line.trim_ascii();
        if line.is_empty() {
            self.lines -= 1;
            return;
        }
        let Some(event_type) = event_type_of(line) else {
            // No event type: valid JSON without one is skipped quietly.
            if serde_json::from_slice::<serde::de::IgnoredAny>(line).is_err() {
                self.malformed += 1;
            }
            return;
        };
        let per_day = PER_DAY.iter().find(|(event, _)| *event == event_type).map(|(_, name)| *name);
        if per_day.is_none() && !DETAILED.contains(&event_type) {
            self.events += 1;
            return;
        }
        let event_type = event_type.to_owned();
        let Ok(event) = serde_json::from_slice::<Event>(line) else {
            self.malformed += 1;
            return;
        };
        self.events += 1;
        if !self.count(&event_type, per_day, &event) {
            self.incomplete += 1;
        }
    }

    /// False when the event lacks what its statistic needs.
    fn count(&mut self, event_type: &str, per_day: Option<&'static str>, event: &Event) -> bool {
        let Some(seconds) = event.timestamp.as_deref().and_then(timestamp::parse) else {
            return false;
        };
        let (day, hour) = (seconds.div_euclid(86_400), seconds.div_euclid(3600));
        if let Some(name) = per_day {
            *self.per_day.entry((name, day)).or_default() += 1;
            return true;
        }
        match event_type {
            "join_voice_channel" | "leave_voice_channel" => {
                let Some(channel) = event.channel_id.as_deref() else { return false };
                // The client's own clock when it has one, as the original.
                let seconds = event.client_track_timestamp.as_deref().and_then(timestamp::parse).unwrap_or(seconds);
                let voice = VoiceEvent {
                    seconds,
                    join: event_type == "join_voice_channel",
                    channel: self.names.intern(channel),
                    guild: event.guild_id.as_deref().map(|guild| self.names.intern(guild)),
                };
                self.voice.push(voice);
            }
            "session_start" | "session_end" => {
                let Some(os) = event.os.as_deref() else { return false };
                let os = self.names.intern(os);
                self.sessions.push(SessionEvent { seconds, start: event_type == "session_start", os });
            }
            "guild_joined" => {
                let Some(guild) = event.guild_id.as_deref() else { return false };
                let guild = self.names.intern(guild);
                *self.guild_joined.entry((guild, hour)).or_default() += 1;
            }
            "application_command_used" => {
                let (Some(guild), Some(application)) = (event.guild_id.as_deref(), event.application_id.as_deref())
                else {
                    return false;
                };
                // "-1": a built-in command, not an application's.
                if application == "-1" {
                    return true;
                }
                let key = (self.names.intern(guild), self.names.intern(application), day);
                *self.commands.entry(key).or_default() += 1;
            }
            "add_reaction" => {
                let (Some(channel), Some(emoji)) = (event.channel_id.as_deref(), event.emoji_name.as_deref()) else {
                    return false;
                };
                let key = (self.names.intern(channel), self.names.intern(emoji), day);
                let entry = self.reactions.entry(key).or_default();
                entry.0 += 1;
                entry.1 |= event.emoji_id.is_some();
            }
            "app_opened" => {
                let Some(os) = event.os.as_deref() else { return false };
                let os = self.names.intern(os);
                *self.app_opened.entry((os, day)).or_default() += 1;
            }
            _ => return false,
        }
        true
    }
}

/// The value of the line's top-level `"event_type"` key, found without
/// parsing the line.
fn event_type_of(line: &[u8]) -> Option<&str> {
    const KEY: &[u8] = b"\"event_type\"";
    let at = line.windows(KEY.len()).position(|window| window == KEY)?;
    let rest = line[at + KEY.len()..].trim_ascii_start().strip_prefix(b":")?.trim_ascii_start().strip_prefix(b"\"")?;
    let end = rest.iter().position(|&byte| byte == b'"' || byte == b'\\')?;
    std::str::from_utf8(&rest[..end]).ok()
}

/// Reads up to a newline into `line`. Some(false) when the line was longer
/// than `max`: its bytes are skipped, not kept. None at the end.
fn read_bounded_line(reader: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> std::io::Result<Option<bool>> {
    line.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(any.then_some(!too_long));
        }
        any = true;
        let (part, found) = match available.iter().position(|&byte| byte == b'\n') {
            Some(at) => (&available[..at], Some(at + 1)),
            None => (available, None),
        };
        if !too_long && line.len() + part.len() <= max {
            line.extend_from_slice(part);
        } else {
            too_long = true;
            line.clear();
        }
        let used = found.unwrap_or(available.len());
        reader.consume(used);
        if found.is_some() {
            return Ok(Some(!too_long));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Analytics {
        let mut analytics = Analytics::default();
        analytics.read_shard(text.as_bytes()).unwrap();
        analytics
    }

    #[test]
    fn counts_each_kind_and_skips_bad_lines() {
        let shard = [
            r#"{"event_type":"login_successful","timestamp":"\"2024-03-01T12:00:00.000Z\""}"#,
            r#"{"event_type": "login_successful", "timestamp": "2024-03-01T23:59:59Z"}"#,
            r#"{"event_type":"app_native_crash","timestamp":"2024-03-02T00:00:00Z"}"#,
            r#"{"event_type":"guild_joined","guild_id":"7","timestamp":"2024-03-01T12:10:00Z"}"#,
            r#"{"event_type":"add_reaction","channel_id":"5","emoji_name":"x","emoji_id":"9","timestamp":"2024-03-01T12:10:00Z"}"#,
            r#"{"event_type":"add_reaction","channel_id":"5","emoji_name":"x","timestamp":"2024-03-01T13:10:00Z"}"#,
            r#"{"event_type":"application_command_used","application_id":"-1","guild_id":"7","timestamp":"2024-03-01T12:10:00Z"}"#,
            r#"{"event_type":"application_command_used","application_id":"3","guild_id":"7","timestamp":"2024-03-01T12:10:00Z"}"#,
            r#"{"event_type":"application_command_used","application_id":"3","timestamp":"2024-03-01T12:10:00Z"}"#,
            r#"{"event_type":"something_else","x":1}"#,
            r#"{"no_type":true}"#,
            r#"not json at all"#,
            r#"{"event_type":"login_successful","timestamp":"#,
            r#"{"event_type":"login_successful","timestamp":"yesterday"}"#,
            "",
        ]
        .join("\n");
        let analytics = read(&shard);
        assert_eq!(analytics.lines, 14);
        assert_eq!(analytics.events, 11);
        assert_eq!((analytics.malformed, analytics.incomplete), (2, 2));
        let day = 1_709_294_400 / 86_400;
        assert_eq!(analytics.per_day[&("login_successful", day)], 2);
        assert_eq!(analytics.per_day[&("app_crashed", day + 1)], 1);
        assert_eq!(analytics.guild_joined.values().sum::<u64>(), 1);
        assert_eq!(analytics.reactions.values().copied().collect::<Vec<_>>(), [(2, true)]);
        assert_eq!(analytics.commands.values().sum::<u64>(), 1);
    }

    #[test]
    fn an_overlong_line_is_skipped_unkept() {
        let long = format!("{{\"event_type\":\"login_successful\",\"pad\":\"{}\"}}", "x".repeat(MAX_LINE));
        let shard = format!("{long}\n{}\n", r#"{"event_type":"login_successful","timestamp":"2024-03-01T12:00:00Z"}"#);
        let analytics = read(&shard);
        assert_eq!((analytics.lines, analytics.malformed), (2, 1));
        assert_eq!(analytics.per_day.values().sum::<u64>(), 1);
    }
}
