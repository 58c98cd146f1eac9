//! Peer adverts: the Discord message a peer posts (and keeps editing) to say
//! "I am here, this is my host key, this is my client key".
//!
//! # Wire format
//!
//! One Discord message: the prefix [`PREFIX`] (`cordvault-peer/1 `, with its
//! trailing space) followed by one JSON object with exactly these members,
//! written in this order:
//!
//! | member        | type            | meaning                                                        |
//! |---------------|-----------------|----------------------------------------------------------------|
//! | `v`           | number          | [`VERSION`], 1                                                 |
//! | `instance`    | string          | the peer's name, 1–64 characters of `[A-Za-z0-9._@-]`          |
//! | `address`     | string or null  | where its SFTP server is reached (IP literal or DNS name)      |
//! | `port`        | number or null  | that server's TCP port, 1–65535                                |
//! | `host_key`    | string          | the Ed25519 host key, `ssh-ed25519 AAAA…`, no comment          |
//! | `fingerprint` | string          | the host key's `SHA256:…` fingerprint, as `ssh-keygen -l` prints it |
//! | `client_key`  | string          | the key the peer logs in to others with, OpenSSH form, no comment |
//! | `timestamp`   | number          | when the advert was signed, Unix seconds                       |
//! | `server`      | bool            | whether it runs a server; `false` (client-only) means `address` and `port` are null or absent |
//! | `sig`         | string          | the signature, below                                           |
//!
//! Nothing secret is ever in an advert: no password, no private key. Other
//! members are refused (a later format bumps the version instead).
//!
//! # What is signed
//!
//! The signature covers the *canonical encoding* of every member but `sig`:
//! the compact JSON object (no whitespace at all) of the nine members above,
//! in the table's order, `address` and `port` written as `null` when absent.
//! Every string member is restricted to printable ASCII without `"` or `\`
//! (the validation below refuses anything else), so the encoding needs no
//! escapes and any JSON writer that keeps member order produces the same
//! bytes. For example:
//!
//! ```text
//! {"v":1,"instance":"alice@laptop","address":"192.0.2.7","port":2200,"host_key":"ssh-ed25519 AAAA…","fingerprint":"SHA256:…","client_key":"ssh-ed25519 AAAA…","timestamp":1790000000,"server":true}
//! ```
//!
//! [`Advert::signed_payload`] returns these bytes. They are signed with the
//! host key as an OpenSSH `SSHSIG` signature (PROTOCOL.sshsig) in the
//! namespace [`SIGNATURE_NAMESPACE`] with SHA-512, the same as
//! `ssh-keygen -Y sign -n cordvault-peer-advert -f host_key`; `sig` is the
//! standard, padded base64 of the binary SSHSIG blob (the armored form's
//! body without its header, footer and line breaks).
//!
//! # Checks on reading
//!
//! [`Advert::parse_verified`] refuses, in this order: a message without the
//! prefix; one longer than [`MAX_MESSAGE_BYTES`] (before any parsing); JSON
//! that does not parse; another version; a member that breaks the rules
//! above; a `fingerprint` that is not the host key's; a timestamp more than
//! [`MAX_AGE_SECS`] old or more than [`MAX_FUTURE_SECS`] ahead; and a
//! signature that is not the host key's over the canonical encoding.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use cordvault_sftp::{PrivateKey, PublicKey};
use russh::keys::ssh_key::encoding::{Decode as _, Encode as _};
use russh::keys::ssh_key::{Algorithm, HashAlg, SshSig};
use serde::{Deserialize, Serialize};

/// Every advert message starts with this, trailing space included.
pub const PREFIX: &str = "cordvault-peer/1 ";
/// The prefix family; a `cordvault-peer/N ` message with another N is an
/// advert of a version this code does not read.
const PREFIX_FAMILY: &str = "cordvault-peer/";
/// The advert format version, in the prefix and in `v`.
pub const VERSION: u64 = 1;
/// Longest message considered, in bytes: Discord's 2000-character message
/// limit (adverts are ASCII, so characters are bytes). Anything longer is
/// refused before it is parsed.
pub const MAX_MESSAGE_BYTES: usize = 2000;
/// An advert older than this (by its signed timestamp) is stale.
pub const MAX_AGE_SECS: u64 = 180;
/// An advert dated further ahead than this is refused (clock skew allowance).
pub const MAX_FUTURE_SECS: u64 = 60;
/// The SSHSIG namespace adverts are signed in, so that no other signature
/// made with a host key can pass for an advert, nor an advert for anything else.
pub const SIGNATURE_NAMESPACE: &str = "cordvault-peer-advert";
/// Longest instance name.
pub const MAX_INSTANCE_LEN: usize = 64;
/// Longest DNS name accepted as an address.
const MAX_HOSTNAME_LEN: usize = 253;

/// Why an advert was refused (or could not be made).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdvertError {
    #[error("not an advert: the message does not start with {PREFIX:?}")]
    MissingPrefix,
    #[error("advert of {len} bytes is over the {max}-byte limit")]
    TooLong { len: usize, max: usize },
    #[error("advert JSON is malformed: {0}")]
    Malformed(String),
    #[error("advert version {0} is not supported (this is version {VERSION})")]
    UnknownVersion(String),
    #[error("invalid instance name {0:?}: 1-{MAX_INSTANCE_LEN} characters of A-Z a-z 0-9 . _ @ -")]
    InvalidInstance(String),
    #[error("invalid address {0:?}: an IP address or a DNS name")]
    InvalidAddress(String),
    #[error("invalid port 0")]
    InvalidPort,
    #[error("`server` is {server} but address and port are {}", if *server { "missing" } else { "present" })]
    InconsistentEndpoint { server: bool },
    #[error("invalid {field}: {reason}")]
    InvalidKey { field: &'static str, reason: String },
    #[error("fingerprint {claimed} is not the host key's ({actual})")]
    FingerprintMismatch { claimed: String, actual: String },
    #[error("advert is stale: signed {age} s ago (limit {MAX_AGE_SECS} s)")]
    Stale { age: u64 },
    #[error("advert is dated {ahead} s in the future (limit {MAX_FUTURE_SECS} s)")]
    Future { ahead: u64 },
    #[error("advert signature is not valid for its host key")]
    BadSignature,
    #[error("the signing key is not the advert's host key")]
    WrongSigningKey,
    #[error("signing the advert failed: {0}")]
    Signing(String),
}

/// Where a peer's SFTP server is reached.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// An IP literal (IPv6 without brackets) or a DNS name.
    pub address: String,
    pub port: u16,
}

impl Endpoint {
    /// Whether an advert may carry this endpoint (a usable address, a port).
    pub fn check(&self) -> Result<(), AdvertError> {
        validate_endpoint(self)
    }
}

/// A validated advert: the data of one `cordvault-peer/1` message, without
/// its signature (which [`Advert::to_message`] makes and
/// [`Advert::parse_verified`] checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advert {
    instance: String,
    endpoint: Option<Endpoint>,
    host_key: PublicKey,
    host_key_line: String,
    fingerprint: String,
    client_key: PublicKey,
    client_key_line: String,
    timestamp: u64,
}

/// The signed members, in their canonical order (see the module docs).
#[derive(Serialize)]
struct SignedFields<'a> {
    v: u64,
    instance: &'a str,
    address: Option<&'a str>,
    port: Option<u16>,
    host_key: &'a str,
    fingerprint: &'a str,
    client_key: &'a str,
    timestamp: u64,
    server: bool,
}

/// The whole message body, as read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    v: u64,
    instance: String,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    port: Option<u16>,
    host_key: String,
    fingerprint: String,
    client_key: String,
    timestamp: u64,
    server: bool,
    sig: String,
}

/// The whole message body, as written: the signed members, then `sig`.
#[derive(Serialize)]
struct WireOut<'a> {
    #[serde(flatten)]
    fields: SignedFields<'a>,
    sig: &'a str,
}

impl Advert {
    /// A new advert for `instance`, signed later with the private half of
    /// `host_key`. `endpoint` is `None` for a client-only peer.
    pub fn new(
        instance: &str,
        endpoint: Option<Endpoint>,
        host_key: &PublicKey,
        client_key: &PublicKey,
        timestamp: u64,
    ) -> Result<Advert, AdvertError> {
        validate_instance(instance)?;
        if let Some(endpoint) = &endpoint {
            validate_endpoint(endpoint)?;
        }
        let host_key_line = key_line(host_key, "host_key")?;
        let client_key_line = key_line(client_key, "client_key")?;
        check_host_key(host_key)?;
        check_client_key(client_key)?;
        Ok(Advert {
            instance: instance.to_owned(),
            endpoint,
            host_key: strip_comment(host_key),
            fingerprint: fingerprint(host_key),
            host_key_line,
            client_key: strip_comment(client_key),
            client_key_line,
            timestamp,
        })
    }

    /// The peer's name.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Where its server is, or `None` for a client-only peer.
    pub fn endpoint(&self) -> Option<&Endpoint> {
        self.endpoint.as_ref()
    }

    /// Whether the peer runs an SFTP server.
    pub fn is_server(&self) -> bool {
        self.endpoint.is_some()
    }

    /// The host key that signed the advert (and that its server presents).
    pub fn host_key(&self) -> &PublicKey {
        &self.host_key
    }

    /// The host key as one `ssh-ed25519 AAAA…` line.
    pub fn host_key_openssh(&self) -> &str {
        &self.host_key_line
    }

    /// The host key's `SHA256:…` fingerprint.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The key the peer authenticates with when it connects to others.
    pub fn client_key(&self) -> &PublicKey {
        &self.client_key
    }

    /// The client key as one OpenSSH line.
    pub fn client_key_openssh(&self) -> &str {
        &self.client_key_line
    }

    /// When it was signed, Unix seconds.
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// Seconds since it was signed, at `now` (0 if dated ahead).
    pub fn age(&self, now: u64) -> u64 {
        now.saturating_sub(self.timestamp)
    }

    /// Whether, at `now`, it is neither stale nor too far in the future.
    pub fn is_fresh(&self, now: u64) -> bool {
        check_time(self.timestamp, now).is_ok()
    }

    /// The bytes the signature covers: the canonical encoding described in
    /// the module docs.
    pub fn signed_payload(&self) -> Vec<u8> {
        serde_json::to_vec(&self.signed_fields()).expect("plain structs serialise")
    }

    fn signed_fields(&self) -> SignedFields<'_> {
        SignedFields {
            v: VERSION,
            instance: &self.instance,
            address: self.endpoint.as_ref().map(|endpoint| endpoint.address.as_str()),
            port: self.endpoint.as_ref().map(|endpoint| endpoint.port),
            host_key: &self.host_key_line,
            fingerprint: &self.fingerprint,
            client_key: &self.client_key_line,
            timestamp: self.timestamp,
            server: self.endpoint.is_some(),
        }
    }

    /// The Discord message: [`PREFIX`] and the signed JSON. `host_key` must
    /// be the private half of the advert's host key.
    pub fn to_message(&self, host_key: &PrivateKey) -> Result<String, AdvertError> {
        if host_key.public_key().key_data() != self.host_key.key_data() {
            return Err(AdvertError::WrongSigningKey);
        }
        let signature = host_key
            .sign(SIGNATURE_NAMESPACE, HashAlg::Sha512, &self.signed_payload())
            .map_err(|err| AdvertError::Signing(err.to_string()))?;
        let blob = signature.encode_vec().map_err(|err| AdvertError::Signing(err.to_string()))?;
        let sig = BASE64.encode(blob);
        let body = serde_json::to_string(&WireOut { fields: self.signed_fields(), sig: &sig })
            .map_err(|err| AdvertError::Signing(err.to_string()))?;
        let message = format!("{PREFIX}{body}");
        if message.len() > MAX_MESSAGE_BYTES {
            return Err(AdvertError::TooLong { len: message.len(), max: MAX_MESSAGE_BYTES });
        }
        Ok(message)
    }

    /// Reads a channel message as an advert and checks everything: prefix,
    /// size, JSON, version, members, fingerprint, age at `now` (Unix
    /// seconds) and signature. Only an advert that passes all is returned.
    pub fn parse_verified(content: &str, now: u64) -> Result<Advert, AdvertError> {
        Self::parse_checked(content, Some(now))
    }

    /// [`parse_verified`](Self::parse_verified) without the age check: for
    /// finding one's own adverts left behind by an earlier run.
    pub fn parse_verified_any_age(content: &str) -> Result<Advert, AdvertError> {
        Self::parse_checked(content, None)
    }

    fn parse_checked(content: &str, now: Option<u64>) -> Result<Advert, AdvertError> {
        let body = strip_prefix(content)?;
        if content.len() > MAX_MESSAGE_BYTES {
            return Err(AdvertError::TooLong { len: content.len(), max: MAX_MESSAGE_BYTES });
        }
        // Straight into the struct, which refuses duplicate members (a
        // parser that kept the first of two `instance` members would read
        // another advert than the one signed) and unknown ones.
        let wire: Wire = match serde_json::from_str(body) {
            Ok(wire) => wire,
            Err(err) => {
                // A later version with other members is reported as such.
                #[derive(Deserialize)]
                struct VersionOnly {
                    v: u64,
                }
                return Err(match serde_json::from_str::<VersionOnly>(body) {
                    Ok(VersionOnly { v }) if v != VERSION => AdvertError::UnknownVersion(v.to_string()),
                    _ => AdvertError::Malformed(err.to_string()),
                });
            }
        };
        if wire.v != VERSION {
            return Err(AdvertError::UnknownVersion(wire.v.to_string()));
        }
        let endpoint = match (wire.server, wire.address, wire.port) {
            (true, Some(address), Some(port)) => Some(Endpoint { address, port }),
            (false, None, None) => None,
            (server, _, _) => return Err(AdvertError::InconsistentEndpoint { server }),
        };
        validate_instance(&wire.instance)?;
        if let Some(endpoint) = &endpoint {
            validate_endpoint(endpoint)?;
        }
        let host_key = parse_key_line(&wire.host_key, "host_key")?;
        check_host_key(&host_key)?;
        let client_key = parse_key_line(&wire.client_key, "client_key")?;
        check_client_key(&client_key)?;
        let actual = fingerprint(&host_key);
        if wire.fingerprint != actual {
            return Err(AdvertError::FingerprintMismatch { claimed: wire.fingerprint, actual });
        }
        // Cheap checks before the signature: a flood of stale copies costs
        // no signature verification.
        if let Some(now) = now {
            check_time(wire.timestamp, now)?;
        }
        let advert = Advert {
            instance: wire.instance,
            endpoint,
            host_key,
            host_key_line: wire.host_key,
            fingerprint: actual,
            client_key,
            client_key_line: wire.client_key,
            timestamp: wire.timestamp,
        };
        advert.verify_signature(&wire.sig)?;
        Ok(advert)
    }

    fn verify_signature(&self, sig: &str) -> Result<(), AdvertError> {
        let blob = BASE64.decode(sig).map_err(|_| AdvertError::BadSignature)?;
        let mut reader = blob.as_slice();
        let signature = SshSig::decode(&mut reader).map_err(|_| AdvertError::BadSignature)?;
        if !reader.is_empty() {
            return Err(AdvertError::BadSignature);
        }
        // verify() also checks that the signature names this key and namespace.
        self.host_key
            .verify(SIGNATURE_NAMESPACE, &self.signed_payload(), &signature)
            .map_err(|_| AdvertError::BadSignature)
    }
}

/// The current time, Unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0)
}

/// Whether `instance` is a valid instance name.
pub fn is_valid_instance(instance: &str) -> bool {
    (1..=MAX_INSTANCE_LEN).contains(&instance.len())
        && instance.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"._@-".contains(&byte))
}

fn validate_instance(instance: &str) -> Result<(), AdvertError> {
    if is_valid_instance(instance) { Ok(()) } else { Err(AdvertError::InvalidInstance(truncated(instance))) }
}

fn validate_endpoint(endpoint: &Endpoint) -> Result<(), AdvertError> {
    if endpoint.port == 0 {
        return Err(AdvertError::InvalidPort);
    }
    let address = &endpoint.address;
    let valid = match address.parse::<IpAddr>() {
        Ok(ip) => !ip.is_unspecified() && !ip.is_multicast(),
        Err(_) => is_hostname(address),
    };
    if valid { Ok(()) } else { Err(AdvertError::InvalidAddress(truncated(address))) }
}

/// A DNS name: dot-separated labels of 1-63 letters, digits and inner
/// hyphens, at most 253 characters, not all digits (not a mangled IPv4).
fn is_hostname(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= MAX_HOSTNAME_LEN
        && !name.bytes().all(|byte| byte.is_ascii_digit() || byte == b'.')
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn truncated(text: &str) -> String {
    text.chars().take(80).collect()
}

fn check_time(timestamp: u64, now: u64) -> Result<(), AdvertError> {
    let age = now.saturating_sub(timestamp);
    if age > MAX_AGE_SECS {
        return Err(AdvertError::Stale { age });
    }
    let ahead = timestamp.saturating_sub(now);
    if ahead > MAX_FUTURE_SECS {
        return Err(AdvertError::Future { ahead });
    }
    Ok(())
}

fn strip_prefix(content: &str) -> Result<&str, AdvertError> {
    if let Some(body) = content.strip_prefix(PREFIX) {
        return Ok(body);
    }
    // `cordvault-peer/<digits> `: an advert, of another version.
    if let Some(rest) = content.strip_prefix(PREFIX_FAMILY)
        && let Some((version, _)) = rest.split_once(' ')
        && !version.is_empty()
        && version.len() <= 10
        && version.bytes().all(|byte| byte.is_ascii_digit())
    {
        return Err(AdvertError::UnknownVersion(version.to_owned()));
    }
    Err(AdvertError::MissingPrefix)
}

fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

fn strip_comment(key: &PublicKey) -> PublicKey {
    let mut key = key.clone();
    key.set_comment("");
    key
}

/// The key as an OpenSSH line without comment: the only form adverts carry.
fn key_line(key: &PublicKey, field: &'static str) -> Result<String, AdvertError> {
    strip_comment(key).to_openssh().map_err(|err| AdvertError::InvalidKey { field, reason: err.to_string() })
}

/// Parses an OpenSSH public key line that must be in canonical form (no
/// comment, single spaces), so that the signed bytes have one spelling.
fn parse_key_line(line: &str, field: &'static str) -> Result<PublicKey, AdvertError> {
    let invalid = |reason: String| AdvertError::InvalidKey { field, reason };
    if line.len() > MAX_MESSAGE_BYTES || !line.bytes().all(|byte| byte.is_ascii_graphic() || byte == b' ') {
        return Err(invalid("not an OpenSSH public key line".into()));
    }
    let key = PublicKey::from_openssh(line).map_err(|err| invalid(err.to_string()))?;
    if key_line(&key, field)? != line {
        return Err(invalid("not in canonical form (`type base64`, no comment)".into()));
    }
    Ok(key)
}

fn check_host_key(key: &PublicKey) -> Result<(), AdvertError> {
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(AdvertError::InvalidKey {
            field: "host_key",
            reason: format!("{} host key; peers use Ed25519", key.algorithm()),
        });
    }
    Ok(())
}

fn check_client_key(key: &PublicKey) -> Result<(), AdvertError> {
    match key.algorithm() {
        Algorithm::Dsa | Algorithm::Other(_) => Err(AdvertError::InvalidKey {
            field: "client_key",
            reason: format!("{} keys are not accepted", key.algorithm()),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&[seed; 32]))
    }

    #[test]
    fn canonical_payload_is_compact_json_in_fixed_order() {
        let host = key(1);
        let client = key(2);
        let endpoint = Endpoint { address: "192.0.2.7".into(), port: 2200 };
        let advert =
            Advert::new("alice@laptop", Some(endpoint), host.public_key(), client.public_key(), 1_790_000_000).unwrap();
        let expected = format!(
            concat!(
                r#"{{"v":1,"instance":"alice@laptop","address":"192.0.2.7","port":2200,"#,
                r#""host_key":"{}","fingerprint":"{}","client_key":"{}","timestamp":1790000000,"server":true}}"#
            ),
            advert.host_key_openssh(),
            host.fingerprint(HashAlg::Sha256),
            advert.client_key_openssh(),
        );
        assert_eq!(String::from_utf8(advert.signed_payload()).unwrap(), expected);

        let client_only = Advert::new("bob", None, host.public_key(), client.public_key(), 5).unwrap();
        let payload = String::from_utf8(client_only.signed_payload()).unwrap();
        assert!(payload.starts_with(r#"{"v":1,"instance":"bob","address":null,"port":null,"host_key":"#), "{payload}");
        assert!(payload.ends_with(r#","timestamp":5,"server":false}"#), "{payload}");
    }

    #[test]
    fn hostnames() {
        for good in ["example.org", "peer-1.example.org.", "localhost", "a"] {
            assert!(is_hostname(good), "{good}");
        }
        for bad in ["", "-a.org", "a-.org", "a..org", "1.2.3", "a b", "a_b.org", &"a".repeat(64), "ä.org"] {
            assert!(!is_hostname(bad), "{bad}");
        }
    }
}
