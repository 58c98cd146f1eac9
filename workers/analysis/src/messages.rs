//! Channels and their messages: who a channel is with, and how many
//! messages were sent in it in each hour. Message files are streamed — a
//! `messages.json` array element by element, a `messages.csv` field by field
//! in a fixed buffer — and only the timestamps are read: message contents
//! are never parsed, kept or looked at.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use serde::Deserialize;
use serde::de::{DeserializeSeed, SeqAccess, Visitor};

use crate::owner::Text;
use crate::timestamp;

/// What a channel is, from its `channel.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    /// A one-to-one conversation with this user.
    Direct {
        other_user: String,
    },
    Guild {
        guild_id: String,
    },
}

#[derive(Debug, Deserialize)]
struct ChannelJson {
    #[serde(default)]
    recipients: Option<Vec<Text>>,
    #[serde(default)]
    guild: Option<GuildRef>,
}

#[derive(Debug, Deserialize)]
struct GuildRef {
    id: Text,
}

impl ChannelKind {
    /// None for group conversations and anything else the statistics do
    /// not cover.
    pub fn parse(channel_json: &[u8], owner_id: &str) -> serde_json::Result<Option<ChannelKind>> {
        let channel: ChannelJson = serde_json::from_slice(channel_json)?;
        if let Some(recipients) = channel.recipients.filter(|recipients| recipients.len() == 2) {
            let other = recipients.into_iter().find(|user| user.0 != owner_id);
            return Ok(other.map(|user| ChannelKind::Direct { other_user: user.0 }));
        }
        Ok(channel.guild.map(|guild| ChannelKind::Guild { guild_id: guild.id.0 }))
    }
}

/// Messages per hour (Unix seconds / 3600) of one channel.
#[derive(Debug, Default)]
pub struct MessageHours {
    pub per_hour: HashMap<i64, u64>,
    pub counted: u64,
    /// Messages without a timestamp that reads; left out of every count.
    pub skipped: u64,
}

impl MessageHours {
    fn add(&mut self, seconds: Option<i64>) {
        match seconds {
            Some(seconds) => {
                *self.per_hour.entry(seconds.div_euclid(3600)).or_default() += 1;
                self.counted += 1;
            }
            None => self.skipped += 1,
        }
    }

    /// A `messages.json`: `[{"ID": …, "Timestamp": "…", "Contents": …}, …]`.
    pub fn read_json(&mut self, reader: impl Read) -> serde_json::Result<()> {
        let mut deserializer =
            serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(256 * 1024, reader));
        EachMessage(self).deserialize(&mut deserializer)?;
        deserializer.end()
    }

    /// A `messages.csv` with a header naming a `Timestamp` column.
    pub fn read_csv(&mut self, mut reader: impl Read) -> std::io::Result<()> {
        use csv_core::ReadFieldResult;
        let mut csv = csv_core::Reader::new();
        let mut input = vec![0u8; 64 * 1024];
        let (mut start, mut end) = (0, 0);
        // Only a header name or a timestamp is ever needed whole: a longer
        // field (a message's contents) goes by without being kept.
        let mut field = [0u8; 64];
        let (mut field_len, mut too_long) = (0, false);
        let (mut column, mut timestamp_column, mut in_header) = (0, None, true);
        loop {
            // An empty input tells csv_core the file has ended.
            if start == end {
                start = 0;
                end = reader.read(&mut input)?;
            }
            let (result, read, written) = csv.read_field(&input[start..end], &mut field[field_len..]);
            start += read;
            field_len += written;
            match result {
                ReadFieldResult::InputEmpty => {}
                ReadFieldResult::OutputFull => (field_len, too_long) = (0, true),
                ReadFieldResult::Field { record_end } => {
                    let value = (!too_long).then(|| &field[..field_len]);
                    if in_header && value == Some(b"Timestamp".as_slice()) {
                        timestamp_column = Some(column);
                    } else if !in_header && Some(column) == timestamp_column {
                        self.add(value.and_then(|value| std::str::from_utf8(value).ok()).and_then(timestamp::parse));
                    }
                    (field_len, too_long, column) = (0, false, column + 1);
                    if record_end {
                        if in_header && timestamp_column.is_none() {
                            return Err(std::io::Error::other("messages.csv has no Timestamp column"));
                        }
                        (in_header, column) = (false, 0);
                    }
                }
                ReadFieldResult::End => return Ok(()),
            }
        }
    }
}

/// Visits the array's elements one at a time.
struct EachMessage<'a>(&'a mut MessageHours);

impl<'de> DeserializeSeed<'de> for EachMessage<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EachMessage<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of messages")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut messages: A) -> Result<(), A::Error> {
        while let Some(message) = messages.next_element::<MessageTime>()? {
            self.0.add(message.timestamp);
        }
        Ok(())
    }
}

/// One message, of which only the time is read; the other fields are
/// skipped without being kept.
#[derive(Deserialize)]
struct MessageTime {
    #[serde(rename = "Timestamp", default, deserialize_with = "seconds")]
    timestamp: Option<i64>,
}

fn seconds<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    struct Seconds;
    impl Visitor<'_> for Seconds {
        type Value = Option<i64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a timestamp")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Option<i64>, E> {
            Ok(timestamp::parse(text))
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
    }
    deserializer.deserialize_any(Seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_kinds() {
        let direct = br#"{"id":"1","type":1,"recipients":["10","20"]}"#;
        assert_eq!(ChannelKind::parse(direct, "10").unwrap(), Some(ChannelKind::Direct { other_user: "20".into() }));
        let guild = br#"{"id":"1","type":0,"name":"general","guild":{"id":"30","name":"G"}}"#;
        assert_eq!(ChannelKind::parse(guild, "10").unwrap(), Some(ChannelKind::Guild { guild_id: "30".into() }));
        let group = br#"{"id":"1","type":3,"recipients":["10","20","30"]}"#;
        assert_eq!(ChannelKind::parse(group, "10").unwrap(), None);
        let self_only = br#"{"id":"1","recipients":["10","10"]}"#;
        assert_eq!(ChannelKind::parse(self_only, "10").unwrap(), None);
    }

    #[test]
    fn json_messages_by_hour() {
        let json = br#"[
            {"ID": 1, "Timestamp": "2024-03-01 12:00:01", "Contents": "a", "Attachments": ""},
            {"ID": 2, "Timestamp": "2024-03-01 12:59:59", "Contents": {"nested": [1, 2]}, "Attachments": ""},
            {"ID": 3, "Timestamp": "2024-03-01 13:00:00", "Contents": "c"},
            {"ID": 4, "Timestamp": "garbage"},
            {"ID": 5}
        ]"#;
        let mut hours = MessageHours::default();
        hours.read_json(&json[..]).unwrap();
        let noon = 1_709_294_400 / 3600;
        assert_eq!(hours.per_hour, HashMap::from([(noon, 2), (noon + 1, 1)]));
        assert_eq!((hours.counted, hours.skipped), (3, 2));
        assert!(MessageHours::default().read_json(&b"[{\"Timestamp\": \"2024"[..]).is_err());
        assert!(MessageHours::default().read_json(&b"{}"[..]).is_err());
    }

    #[test]
    fn csv_messages_by_hour_with_quoted_newlines_and_long_fields() {
        let long = "x".repeat(100_000);
        let csv = format!(
            "ID,Timestamp,Contents,Attachments\n\
             1,2024-03-01 12:00:01.469000+00:00,\"hello\nworld, \"\"quoted\"\"\",\n\
             2,2024-03-01 12:30:00.000000+00:00,{long},\n\
             3,2024-03-01 13:10:00.000000+00:00,last,"
        );
        for piece in [1, 7, 64 * 1024] {
            let mut hours = MessageHours::default();
            hours.read_csv(Chunked(csv.as_bytes(), piece)).unwrap();
            let noon = 1_709_294_400 / 3600;
            assert_eq!(hours.per_hour, HashMap::from([(noon, 2), (noon + 1, 1)]), "pieces of {piece}");
        }
        assert!(MessageHours::default().read_csv(&b"ID,When\n1,2024-03-01 12:00:00\n"[..]).is_err());
    }

    /// A reader that hands out at most `.1` bytes per read.
    struct Chunked<'a>(&'a [u8], usize);

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
}
