//! Discovery: from the channel's recent messages to the peers we trust.
//!
//! [`PeerTable`] is fed batches of channel messages. It keeps, per instance,
//! the newest advert that passes [`Advert::parse_verified`], and trusts an
//! instance's host key on first use: the first fingerprint seen for an
//! instance is pinned in a [`PinStore`] (a file in the config directory).
//! A later advert for that instance signed by another key is not trusted:
//! it is listed as a [`Warning::KeyChanged`] until the user
//! [accepts](PeerTable::accept) the new key. Messages that are not adverts,
//! or adverts that are malformed, oversized, unsigned, badly signed, stale or
//! dated ahead are counted in the [`IngestReport`] and skipped; nothing in a
//! batch can make the whole batch fail.
//!
//! Everything here is pure (no network, no clock): the caller passes the
//! current time, in Unix seconds, to every call that depends on it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use cordvault_sftp::{AuthorizedKeys, PublicKey};

use crate::advert::{Advert, AdvertError, Endpoint, is_valid_instance};

/// One message of the channel, as the Discord client read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelMessage {
    pub message_id: u64,
    /// The Discord user (bot) that posted it.
    pub author_id: u64,
    pub content: String,
    /// When Discord says it was posted (or last edited), Unix seconds. Only
    /// informative: freshness is judged by the advert's signed timestamp.
    pub posted_at: u64,
}

impl From<(u64, u64, String, u64)> for ChannelMessage {
    fn from((message_id, author_id, content, posted_at): (u64, u64, String, u64)) -> Self {
        ChannelMessage { message_id, author_id, content, posted_at }
    }
}

impl From<(u64, u64, &str, u64)> for ChannelMessage {
    fn from((message_id, author_id, content, posted_at): (u64, u64, &str, u64)) -> Self {
        ChannelMessage { message_id, author_id, content: content.to_owned(), posted_at }
    }
}

/// A live, trusted peer, as `list_peers` shows it. Nothing secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub instance: String,
    /// `None` for a client-only peer (nothing to connect to).
    pub endpoint: Option<Endpoint>,
    /// The pinned host key's `SHA256:…` fingerprint.
    pub fingerprint: String,
    pub host_key: PublicKey,
    pub client_key: PublicKey,
    /// The advert's signed timestamp, Unix seconds.
    pub last_seen: u64,
    /// The message that carried the advert, and who posted it.
    pub message_id: u64,
    pub author_id: u64,
}

/// Something the user should see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A validly signed advert for `instance` with a host key other than the
    /// pinned one: ignored until [`PeerTable::accept`].
    KeyChanged { instance: String, pinned: String, seen: String },
    /// A first-use pin could not be written to the pin file; it holds for
    /// this run only.
    PinNotSaved { instance: String, error: String },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::KeyChanged { instance, pinned, seen } => write!(
                f,
                "peer {instance} now advertises host key {seen}, not the pinned {pinned}: ignored \
                 (someone may be impersonating it); accept it only if {instance} really changed its key"
            ),
            Warning::PinNotSaved { instance, error } => {
                write!(f, "the host key of {instance} is trusted for this run only: saving the pin failed: {error}")
            }
        }
    }
}

/// What one batch held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Valid adverts whose host key is pinned (or was just pinned).
    pub accepted: usize,
    /// Valid adverts signed by a key other than the pinned one.
    pub key_changed: usize,
    /// Messages without the advert prefix (ordinary chat): not counted as skipped.
    pub not_adverts: usize,
    /// Adverts over the size limit.
    pub oversized: usize,
    /// Broken JSON, another version, or members that break the rules.
    pub malformed: usize,
    /// Missing or wrong signatures.
    pub bad_signature: usize,
    /// Older than the age limit.
    pub stale: usize,
    /// Dated too far ahead.
    pub future: usize,
    /// Warnings first raised by this batch.
    pub warnings: Vec<Warning>,
}

impl IngestReport {
    /// Adverts refused for any reason (not counting ordinary messages).
    pub fn skipped(&self) -> usize {
        self.oversized + self.malformed + self.bad_signature + self.stale + self.future
    }

    fn count(&mut self, error: &AdvertError) {
        match error {
            AdvertError::MissingPrefix => self.not_adverts += 1,
            AdvertError::TooLong { .. } => self.oversized += 1,
            AdvertError::BadSignature => self.bad_signature += 1,
            AdvertError::Stale { .. } => self.stale += 1,
            AdvertError::Future { .. } => self.future += 1,
            _ => self.malformed += 1,
        }
    }
}

/// Why [`PeerTable::accept`] did nothing.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("no changed host key is waiting to be accepted for {0}")]
    NothingToAccept(String),
    #[error("{instance} is advertised with several new host keys ({}); name the one to accept", fingerprints.join(", "))]
    Ambiguous { instance: String, fingerprints: Vec<String> },
    #[error(transparent)]
    Pins(#[from] PinStoreError),
}

/// Errors reading or writing the pin file.
#[derive(Debug, thiserror::Error)]
pub enum PinStoreError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}, line {line}: {reason}")]
    Malformed { path: PathBuf, line: usize, reason: String },
}

/// Trust-on-first-use pins: one `instance fingerprint` line per peer, in a
/// file of the config directory. `#` lines and blank lines are ignored; a
/// line that does not parse makes loading fail (silently dropping a pin
/// would let a new key in without a warning). Every change rewrites the
/// whole file through a temporary file and a rename, so a crash leaves
/// either the old or the new file, never half of one.
#[derive(Debug, Clone)]
pub struct PinStore {
    path: PathBuf,
    pins: BTreeMap<String, String>,
}

impl PinStore {
    /// The pin file's name in the config directory.
    pub const FILE_NAME: &'static str = "peer_pins";

    /// Loads the pins at `path`; a missing file is an empty store (created
    /// on the first pin).
    pub fn load(path: impl Into<PathBuf>) -> Result<PinStore, PinStoreError> {
        let path = path.into();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(PinStoreError::Io { path, source }),
        };
        let mut pins = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let malformed = |reason: &str| PinStoreError::Malformed {
                path: path.clone(),
                line: index + 1,
                reason: reason.to_owned(),
            };
            let mut words = line.split_whitespace();
            let (Some(instance), Some(fingerprint), None) = (words.next(), words.next(), words.next()) else {
                return Err(malformed("expected `instance fingerprint`"));
            };
            if !is_valid_instance(instance) {
                return Err(malformed("invalid instance name"));
            }
            if !is_fingerprint(fingerprint) {
                return Err(malformed("expected a SHA256:… fingerprint"));
            }
            if pins.insert(instance.to_owned(), fingerprint.to_owned()).is_some() {
                return Err(malformed("instance pinned twice"));
            }
        }
        Ok(PinStore { path, pins })
    }

    /// Loads [`PinStore::FILE_NAME`] in `config_dir`.
    pub fn in_dir(config_dir: impl AsRef<Path>) -> Result<PinStore, PinStoreError> {
        PinStore::load(config_dir.as_ref().join(Self::FILE_NAME))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The fingerprint pinned for `instance`.
    pub fn get(&self, instance: &str) -> Option<&str> {
        self.pins.get(instance).map(String::as_str)
    }

    /// Every pin, by instance.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pins.iter().map(|(instance, fingerprint)| (instance.as_str(), fingerprint.as_str()))
    }

    pub fn len(&self) -> usize {
        self.pins.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pins.is_empty()
    }

    /// Pins (or re-pins) `instance` to `fingerprint` and saves the file.
    /// On a write error the pin still holds in memory.
    pub fn pin(&mut self, instance: &str, fingerprint: &str) -> Result<(), PinStoreError> {
        let malformed =
            |reason: &str| PinStoreError::Malformed { path: self.path.clone(), line: 0, reason: reason.into() };
        if !is_valid_instance(instance) {
            return Err(malformed("invalid instance name"));
        }
        if !is_fingerprint(fingerprint) {
            return Err(malformed("expected a SHA256:… fingerprint"));
        }
        self.pins.insert(instance.to_owned(), fingerprint.to_owned());
        self.save()
    }

    /// Forgets the pin of `instance` (its next advert is trusted on first
    /// use again) and saves the file. Whether there was one.
    pub fn unpin(&mut self, instance: &str) -> Result<bool, PinStoreError> {
        let removed = self.pins.remove(instance).is_some();
        if removed {
            self.save()?;
        }
        Ok(removed)
    }

    fn set_in_memory(&mut self, instance: &str, fingerprint: Option<String>) {
        match fingerprint {
            Some(fingerprint) => self.pins.insert(instance.to_owned(), fingerprint),
            None => self.pins.remove(instance),
        };
    }

    fn save(&self) -> Result<(), PinStoreError> {
        let io_error = |source| PinStoreError::Io { path: self.path.clone(), source };
        let mut text = String::from("# cordvault peer: host keys pinned on first use (instance fingerprint)\n");
        for (instance, fingerprint) in &self.pins {
            text.push_str(instance);
            text.push(' ');
            text.push_str(fingerprint);
            text.push('\n');
        }
        let directory = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        fs::DirBuilder::new().recursive(true).mode(0o700).create(&directory).map_err(io_error)?;
        let mut name = self.path.file_name().map(|name| name.to_os_string()).unwrap_or_default();
        name.push(format!(".tmp-{}", std::process::id()));
        let temporary = self.path.with_file_name(name);
        let written = (|| {
            let mut file =
                fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temporary)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            fs::rename(&temporary, &self.path)?;
            // The rename itself, durable.
            fs::File::open(&directory)?.sync_all()
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written.map_err(io_error)
    }
}

fn is_fingerprint(text: &str) -> bool {
    text.strip_prefix("SHA256:").is_some_and(|hash| {
        !hash.is_empty()
            && hash.len() <= 64
            && hash.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/' || byte == b'=')
    })
}

/// An advert, and the message that carried it.
#[derive(Debug, Clone)]
struct Seen {
    advert: Advert,
    message_id: u64,
    author_id: u64,
}

impl Seen {
    /// Newest first: by signed timestamp, then by message id.
    fn order(&self) -> (u64, u64) {
        (self.advert.timestamp(), self.message_id)
    }

    fn peer(&self) -> Peer {
        Peer {
            instance: self.advert.instance().to_owned(),
            endpoint: self.advert.endpoint().cloned(),
            fingerprint: self.advert.fingerprint().to_owned(),
            host_key: self.advert.host_key().clone(),
            client_key: self.advert.client_key().clone(),
            last_seen: self.advert.timestamp(),
            message_id: self.message_id,
            author_id: self.author_id,
        }
    }
}

/// Keeps `seen` in `slot` if it is newer than what the slot holds.
fn keep_newest(slot: &mut Option<Seen>, seen: Seen) {
    if slot.as_ref().is_none_or(|current| seen.order() > current.order()) {
        *slot = Some(seen);
    }
}

/// The peers found in the channel; see the module docs.
#[derive(Debug)]
pub struct PeerTable {
    pins: PinStore,
    /// Per instance, the newest advert signed by the pinned key.
    trusted: BTreeMap<String, Seen>,
    /// Per instance and fingerprint, the newest advert signed by a key that
    /// is not the pinned one.
    changed: BTreeMap<String, BTreeMap<String, Seen>>,
}

impl PeerTable {
    pub fn new(pins: PinStore) -> PeerTable {
        PeerTable { pins, trusted: BTreeMap::new(), changed: BTreeMap::new() }
    }

    pub fn pins(&self) -> &PinStore {
        &self.pins
    }

    /// Reads a batch of messages into the table, keeping what earlier
    /// batches found (newest advert per instance wins), and drops adverts
    /// that have gone stale by `now`. Use it for batches that are only part
    /// of the channel (paging, new messages).
    pub fn ingest<I, M>(&mut self, messages: I, now: u64) -> IngestReport
    where
        I: IntoIterator<Item = M>,
        M: Into<ChannelMessage>,
    {
        self.prune(now);
        let mut report = IngestReport::default();
        let mut valid = Vec::new();
        for message in messages {
            let message = message.into();
            match Advert::parse_verified(&message.content, now) {
                Ok(advert) => valid.push(Seen { advert, message_id: message.message_id, author_id: message.author_id }),
                Err(error) => {
                    if !matches!(error, AdvertError::MissingPrefix) {
                        tracing::debug!(message = message.message_id, author = message.author_id, %error, "advert skipped");
                    }
                    report.count(&error);
                }
            }
        }
        // Oldest first, so that within a batch the earliest advert of a new
        // instance is the one pinned.
        valid.sort_by_key(Seen::order);
        for seen in valid {
            self.admit(seen, &mut report);
        }
        report
    }

    /// Like [`ingest`](Self::ingest), but the batch is the whole recent
    /// channel: adverts from earlier batches that it no longer holds (their
    /// message was deleted, e.g. by a peer that exited) are forgotten. Pins
    /// are kept.
    pub fn replace<I, M>(&mut self, messages: I, now: u64) -> IngestReport
    where
        I: IntoIterator<Item = M>,
        M: Into<ChannelMessage>,
    {
        self.trusted.clear();
        self.changed.clear();
        self.ingest(messages, now)
    }

    fn admit(&mut self, seen: Seen, report: &mut IngestReport) {
        let instance = seen.advert.instance().to_owned();
        let fingerprint = seen.advert.fingerprint().to_owned();
        match self.pins.get(&instance) {
            Some(pinned) if pinned == fingerprint => {
                report.accepted += 1;
                let mut slot = self.trusted.remove(&instance);
                keep_newest(&mut slot, seen);
                self.trusted.extend(slot.map(|seen| (instance, seen)));
            }
            Some(pinned) => {
                report.key_changed += 1;
                let pinned = pinned.to_owned();
                let keys = self.changed.entry(instance.clone()).or_default();
                if !keys.contains_key(&fingerprint) {
                    let warning = Warning::KeyChanged { instance, pinned, seen: fingerprint.clone() };
                    tracing::warn!("{warning}");
                    report.warnings.push(warning);
                }
                let mut slot = keys.remove(&fingerprint);
                keep_newest(&mut slot, seen);
                keys.extend(slot.map(|seen| (fingerprint, seen)));
            }
            None => {
                tracing::info!(%instance, %fingerprint, "new peer: host key pinned on first use");
                if let Err(error) = self.pins.pin(&instance, &fingerprint) {
                    let warning = Warning::PinNotSaved { instance: instance.clone(), error: error.to_string() };
                    tracing::warn!("{warning}");
                    report.warnings.push(warning);
                }
                report.accepted += 1;
                self.trusted.insert(instance, seen);
            }
        }
    }

    /// Forgets adverts that are stale (or too far ahead) at `now`.
    pub fn prune(&mut self, now: u64) {
        self.trusted.retain(|_, seen| seen.advert.is_fresh(now));
        for keys in self.changed.values_mut() {
            keys.retain(|_, seen| seen.advert.is_fresh(now));
        }
        self.changed.retain(|_, keys| !keys.is_empty());
    }

    /// The live trusted peers at `now`, by instance name.
    pub fn peers(&self, now: u64) -> Vec<Peer> {
        self.trusted.values().filter(|seen| seen.advert.is_fresh(now)).map(Seen::peer).collect()
    }

    /// The live trusted peer called `instance`.
    pub fn peer(&self, instance: &str, now: u64) -> Option<Peer> {
        self.trusted.get(instance).filter(|seen| seen.advert.is_fresh(now)).map(Seen::peer)
    }

    /// Live adverts ignored because their host key is not the pinned one,
    /// as they would appear if accepted.
    pub fn untrusted(&self, now: u64) -> Vec<Peer> {
        self.changed
            .values()
            .flat_map(BTreeMap::values)
            .filter(|seen| seen.advert.is_fresh(now))
            .map(Seen::peer)
            .collect()
    }

    /// The changed host keys waiting for the user, one per instance and key.
    pub fn warnings(&self, now: u64) -> Vec<Warning> {
        self.changed
            .iter()
            .flat_map(|(instance, keys)| {
                keys.iter().filter(move |(_, seen)| seen.advert.is_fresh(now)).map(move |(fingerprint, _)| {
                    Warning::KeyChanged {
                        instance: instance.clone(),
                        pinned: self.pins.get(instance).unwrap_or_default().to_owned(),
                        seen: fingerprint.clone(),
                    }
                })
            })
            .collect()
    }

    /// The client keys of live trusted adverts: who this peer's SFTP server
    /// lets in. Each key once.
    pub fn allowed_client_keys(&self, now: u64) -> Vec<PublicKey> {
        let mut seen = BTreeSet::new();
        self.trusted
            .values()
            .filter(|entry| entry.advert.is_fresh(now))
            .map(|entry| entry.advert.client_key())
            .filter(|key| seen.insert(key.key_data().clone()))
            .cloned()
            .collect()
    }

    /// [`allowed_client_keys`](Self::allowed_client_keys) as the SFTP
    /// server's key set.
    pub fn authorized_keys(&self, now: u64) -> AuthorizedKeys {
        let mut keys = AuthorizedKeys::new();
        for key in self.allowed_client_keys(now) {
            keys.insert(&key);
        }
        keys
    }

    /// Accepts the changed host key of `instance`: re-pins it to the one key
    /// its ignored adverts carry, and trusts them from now on. Refused when
    /// there is none, or several (then name one with
    /// [`accept_fingerprint`](Self::accept_fingerprint)). Returns the
    /// fingerprint now pinned.
    pub fn accept(&mut self, instance: &str) -> Result<String, AcceptError> {
        let keys = self.changed.get(instance).filter(|keys| !keys.is_empty());
        let Some(keys) = keys else {
            return Err(AcceptError::NothingToAccept(instance.to_owned()));
        };
        if keys.len() > 1 {
            return Err(AcceptError::Ambiguous {
                instance: instance.to_owned(),
                fingerprints: keys.keys().cloned().collect(),
            });
        }
        let fingerprint = keys.keys().next().expect("one key").clone();
        self.accept_fingerprint(instance, &fingerprint)?;
        Ok(fingerprint)
    }

    /// Accepts the ignored adverts of `instance` signed by the key with
    /// `fingerprint`, re-pinning it. The previously trusted advert, if still
    /// live, becomes the ignored one.
    pub fn accept_fingerprint(&mut self, instance: &str, fingerprint: &str) -> Result<(), AcceptError> {
        let nothing = || AcceptError::NothingToAccept(instance.to_owned());
        let keys = self.changed.get_mut(instance).ok_or_else(nothing)?;
        if !keys.contains_key(fingerprint) {
            return Err(nothing());
        }
        let previous = self.pins.get(instance).map(str::to_owned);
        if let Err(error) = self.pins.pin(instance, fingerprint) {
            // Nothing changes unless the new pin is saved.
            self.pins.set_in_memory(instance, previous);
            return Err(error.into());
        }
        let keys = self.changed.get_mut(instance).expect("checked above");
        let accepted = keys.remove(fingerprint).expect("checked above");
        if let Some(previous) = self.trusted.insert(instance.to_owned(), accepted) {
            keys.insert(previous.advert.fingerprint().to_owned(), previous);
        }
        if keys.is_empty() {
            self.changed.remove(instance);
        }
        tracing::info!(%instance, %fingerprint, "new host key accepted and pinned");
        Ok(())
    }
}
