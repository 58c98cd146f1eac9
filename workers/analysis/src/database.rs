//! The statistics database dumpus clients read: its schema, exactly as the
//! original writes it (names, types, keys, the `occurence_count` spelling,
//! the secondary indexes), filled in batches inside one transaction.

use std::path::Path;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::{AnalysisError, Result};

/// The output format's version, as the original states it.
pub const PACKAGE_VERSION: &str = "0.1.0";

const SCHEMA: &str = "
CREATE TABLE activity (
    event_name TEXT NOT NULL,
    day TEXT NOT NULL,
    hour INTEGER,
    occurence_count INTEGER NOT NULL,
    associated_user_id TEXT,
    associated_channel_id TEXT,
    associated_guild_id TEXT,
    extra_field_1 TEXT,
    extra_field_2 TEXT,
    PRIMARY KEY (event_name, day, hour, associated_channel_id, associated_guild_id, associated_user_id, extra_field_1)
);
CREATE TABLE dm_channels_data (
    channel_id TEXT NOT NULL,
    dm_user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    display_name TEXT,
    user_avatar_url TEXT,
    total_message_count INTEGER NOT NULL,
    total_voice_channel_duration INTEGER NOT NULL,
    sentiment_score REAL NOT NULL,
    PRIMARY KEY (channel_id)
);
CREATE TABLE guild_channels_data (
    channel_id TEXT NOT NULL,
    channel_name TEXT NOT NULL,
    guild_id TEXT NOT NULL,
    total_message_count INTEGER NOT NULL,
    total_voice_channel_duration INTEGER NOT NULL,
    PRIMARY KEY (channel_id)
);
CREATE TABLE guilds (
    guild_id TEXT NOT NULL,
    guild_name TEXT NOT NULL,
    total_message_count INTEGER NOT NULL,
    PRIMARY KEY (guild_id)
);
CREATE TABLE payments (
    payment_id TEXT NOT NULL,
    payment_date TEXT NOT NULL,
    payment_amount INTEGER NOT NULL,
    payment_currency TEXT NOT NULL,
    payment_description TEXT NOT NULL,
    PRIMARY KEY (payment_id)
);
CREATE TABLE voice_sessions (
    channel_id TEXT NOT NULL,
    guild_id TEXT,
    duration_mins INTEGER NOT NULL,
    started_date TEXT NOT NULL,
    ended_date TEXT NOT NULL,
    PRIMARY KEY (channel_id, started_date)
);
CREATE TABLE sessions (
    started_date TEXT NOT NULL,
    ended_date TEXT NOT NULL,
    duration_mins INTEGER NOT NULL,
    device_os TEXT NOT NULL
);
CREATE TABLE package_data (
    package_id TEXT NOT NULL,
    package_version TEXT NOT NULL,
    package_owner_id TEXT NOT NULL,
    package_owner_name TEXT NOT NULL,
    package_owner_display_name TEXT,
    package_owner_avatar_url TEXT,
    package_is_partial BOOLEAN NOT NULL DEFAULT 0
);
";

/// Activity rows come in hash order, and inserting them so into the
/// table's seven-column primary key costs a random B-tree descent each: they
/// go to this keyless scratch table first and into `activity` sorted, once.
const ACTIVITY_UNSORTED: &str = "
CREATE TEMP TABLE activity_unsorted AS SELECT * FROM activity WHERE 0;
";

const ACTIVITY_SORTED: &str = "
INSERT INTO activity SELECT * FROM activity_unsorted
    ORDER BY event_name, day, hour, associated_channel_id, associated_guild_id, associated_user_id, extra_field_1;
DROP TABLE activity_unsorted;
";

/// Built after the rows are in, so each insert writes only its row.
const INDEXES: &str = "
CREATE INDEX idx_activity_event_guild_day ON activity (event_name, associated_guild_id, day);
CREATE INDEX idx_activity_event_channel_day ON activity (event_name, associated_channel_id, day);
CREATE INDEX idx_sessions_started_date ON sessions (started_date);
CREATE INDEX idx_voice_sessions_started_date ON voice_sessions (started_date);
CREATE INDEX idx_dm_channels_dm_user_id ON dm_channels_data (dm_user_id);
CREATE INDEX idx_guild_channels_guild_id ON guild_channels_data (guild_id);
";

mod schema {
    diesel::table! {
        // Rows are written here; `finish` moves them into `activity`.
        activity_unsorted (event_name, day) {
            event_name -> Text,
            day -> Text,
            hour -> Nullable<Integer>,
            occurence_count -> BigInt,
            associated_user_id -> Nullable<Text>,
            associated_channel_id -> Nullable<Text>,
            associated_guild_id -> Nullable<Text>,
            extra_field_1 -> Nullable<Text>,
            extra_field_2 -> Nullable<Text>,
        }
    }
    diesel::table! {
        dm_channels_data (channel_id) {
            channel_id -> Text,
            dm_user_id -> Text,
            user_name -> Text,
            display_name -> Nullable<Text>,
            user_avatar_url -> Nullable<Text>,
            total_message_count -> BigInt,
            total_voice_channel_duration -> BigInt,
            sentiment_score -> Double,
        }
    }
    diesel::table! {
        guild_channels_data (channel_id) {
            channel_id -> Text,
            channel_name -> Text,
            guild_id -> Text,
            total_message_count -> BigInt,
            total_voice_channel_duration -> BigInt,
        }
    }
    diesel::table! {
        guilds (guild_id) {
            guild_id -> Text,
            guild_name -> Text,
            total_message_count -> BigInt,
        }
    }
    diesel::table! {
        payments (payment_id) {
            payment_id -> Text,
            payment_date -> Text,
            payment_amount -> BigInt,
            payment_currency -> Text,
            payment_description -> Text,
        }
    }
    diesel::table! {
        voice_sessions (channel_id, started_date) {
            channel_id -> Text,
            guild_id -> Nullable<Text>,
            duration_mins -> BigInt,
            started_date -> Text,
            ended_date -> Text,
        }
    }
    diesel::table! {
        // No key in the schema; diesel wants one named.
        sessions (started_date) {
            started_date -> Text,
            ended_date -> Text,
            duration_mins -> BigInt,
            device_os -> Text,
        }
    }
    diesel::table! {
        package_data (package_id) {
            package_id -> Text,
            package_version -> Text,
            package_owner_id -> Text,
            package_owner_name -> Text,
            package_owner_display_name -> Nullable<Text>,
            package_owner_avatar_url -> Nullable<Text>,
            package_is_partial -> Bool,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = schema::activity_unsorted)]
pub struct ActivityRow {
    pub event_name: &'static str,
    /// 'YYYY-MM-DD'.
    pub day: String,
    /// 0 to 23; 0 for the events counted per day.
    pub hour: Option<i32>,
    pub occurence_count: i64,
    pub associated_user_id: Option<String>,
    pub associated_channel_id: Option<String>,
    pub associated_guild_id: Option<String>,
    pub extra_field_1: Option<String>,
    pub extra_field_2: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = schema::dm_channels_data)]
pub struct DirectChannelRow {
    pub channel_id: String,
    pub dm_user_id: String,
    pub user_name: String,
    pub display_name: Option<String>,
    pub user_avatar_url: Option<String>,
    pub total_message_count: i64,
    pub total_voice_channel_duration: i64,
    pub sentiment_score: f64,
}

#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = schema::guild_channels_data)]
pub struct GuildChannelRow {
    pub channel_id: String,
    pub channel_name: String,
    pub guild_id: String,
    pub total_message_count: i64,
    pub total_voice_channel_duration: i64,
}

#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = schema::guilds)]
pub struct GuildRow {
    pub guild_id: String,
    pub guild_name: String,
    pub total_message_count: i64,
}

#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = schema::payments)]
pub struct PaymentRow {
    pub payment_id: String,
    pub payment_date: String,
    pub payment_amount: i64,
    pub payment_currency: String,
    pub payment_description: String,
}

#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = schema::voice_sessions)]
pub struct VoiceSessionRow {
    pub channel_id: String,
    pub guild_id: Option<String>,
    pub duration_mins: i64,
    pub started_date: String,
    pub ended_date: String,
}

#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = schema::sessions)]
pub struct SessionRow {
    pub started_date: String,
    pub ended_date: String,
    pub duration_mins: i64,
    pub device_os: String,
}

#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = schema::package_data)]
pub struct PackageRow {
    pub package_id: String,
    pub package_version: &'static str,
    pub package_owner_id: String,
    pub package_owner_name: String,
    pub package_owner_display_name: Option<String>,
    pub package_owner_avatar_url: Option<String>,
    pub package_is_partial: bool,
}

/// Session times as the original stores them: Unix seconds written the
/// way Python writes a float ("1709294400.0"), in TEXT columns.
pub fn epoch_text(seconds: i64) -> String {
    format!("{seconds}.0")
}

/// Rows are buffered per table and written this many at a time.
const BATCH: usize = 500;

/// `pub fn $method(&mut self, rows: &[$row])`: inserts them in batches.
macro_rules! insert_rows {
    ($method:ident, $row:ty, $table:path) => {
        pub fn $method(&mut self, rows: &[$row]) -> Result<()> {
            for batch in rows.chunks(BATCH) {
                diesel::insert_into($table).values(batch).execute(&mut self.connection)?;
            }
            Ok(())
        }
    };
}

/// A result database being written; [`ResultDatabase::finish`] completes it.
pub struct ResultDatabase {
    connection: SqliteConnection,
    activity: Vec<ActivityRow>,
}

impl ResultDatabase {
    /// Creates the database at `path`, which must not exist yet.
    pub fn create(path: &Path) -> Result<ResultDatabase> {
        let url = path.to_str().ok_or_else(|| AnalysisError::Internal("the work folder's path is not UTF-8".into()))?;
        let mut connection = SqliteConnection::establish(url)
            .map_err(|err| AnalysisError::Internal(format!("creating the result database: {err}")))?;
        // A scratch file until it is finished: no journal, no syncs, and
        // one transaction (diesel's own, so its batch inserts nest in it).
        // The sorts behind the activity table and the indexes take most of
        // the time; a helper thread lets them use a second core.
        connection.batch_execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA threads = 2;")?;
        AnsiTransactionManager::begin_transaction(&mut connection)?;
        connection.batch_execute(SCHEMA)?;
        connection.batch_execute(ACTIVITY_UNSORTED)?;
        Ok(ResultDatabase { connection, activity: Vec::with_capacity(BATCH) })
    }

    pub fn add_activity(&mut self, row: ActivityRow) -> Result<()> {
        self.activity.push(row);
        if self.activity.len() >= BATCH {
            self.flush_activity()?;
        }
        Ok(())
    }

    fn flush_activity(&mut self) -> Result<()> {
        diesel::insert_into(schema::activity_unsorted::table).values(&self.activity).execute(&mut self.connection)?;
        self.activity.clear();
        Ok(())
    }

    insert_rows!(add_direct_channels, DirectChannelRow, schema::dm_channels_data::table);
    insert_rows!(add_guild_channels, GuildChannelRow, schema::guild_channels_data::table);
    insert_rows!(add_guilds, GuildRow, schema::guilds::table);
    insert_rows!(add_payments, PaymentRow, schema::payments::table);
    insert_rows!(add_voice_sessions, VoiceSessionRow, schema::voice_sessions::table);
    insert_rows!(add_sessions, SessionRow, schema::sessions::table);

    /// Writes the package row and builds the indexes. No VACUUM: nothing
    /// was deleted from this file, and compacting it saved 3.5 % of its
    /// size for 12 % of the analysis time.
    pub fn finish(mut self, package: PackageRow) -> Result<()> {
        self.flush_activity()?;
        self.connection.batch_execute(ACTIVITY_SORTED)?;
        diesel::insert_into(schema::package_data::table).values(&package).execute(&mut self.connection)?;
        self.connection.batch_execute(INDEXES)?;
        AnsiTransactionManager::commit_transaction(&mut self.connection)?;
        Ok(())
    }
}
