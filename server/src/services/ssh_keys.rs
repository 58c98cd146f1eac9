//! SSH public keys per user, for the SFTP gateway: added as one
//! authorized_keys line, listed and removed by their owner only.

use cordvault_core::{Error, Result};
use russh::keys::ssh_key::public::KeyData;
use russh::keys::{Algorithm, HashAlg, PublicKey};

use super::access::Caller;
use crate::db::credentials::{NewSshKey, SshKeyRow};
use crate::db::users::UserRow;
use crate::db::{Db, now_ms};

/// Longest key line taken: a 16384-bit RSA key and a long comment fit.
pub const MAX_KEY_TEXT_BYTES: usize = 16 * 1024;
/// Keys one account may have.
pub const MAX_KEYS_PER_USER: i64 = 100;
/// Shortest RSA modulus taken.
pub const MIN_RSA_BITS: u32 = 2048;

/// A public key as it is stored: checked, fingerprinted, without options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedKey {
    /// `SHA256:` and unpadded base64, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// The key's type, e.g. `ssh-ed25519`.
    pub algorithm: String,
    /// One OpenSSH line without the comment: `ssh-ed25519 AAAA...`.
    pub public_key: String,
    pub comment: String,
}

/// Parses one authorized_keys line, `ssh-ed25519 AAAA... comment`: an
/// Ed25519, ECDSA or RSA (at least 2048 bits) key with no options in front.
pub fn parse_public_key(text: &str) -> Result<ParsedKey> {
    if text.len() > MAX_KEY_TEXT_BYTES {
        return Err(Error::invalid_argument(format!(
            "an SSH public key is at most {} KiB of text; this is {} bytes",
            MAX_KEY_TEXT_BYTES / 1024,
            text.len()
        )));
    }
    let line = text.trim();
    if line.is_empty() {
        return Err(Error::invalid_argument(
            "public_key is empty: give one line of a .pub or authorized_keys file, \"ssh-ed25519 AAAA... comment\"",
        ));
    }
    if line.contains(['\n', '\r']) {
        return Err(Error::invalid_argument("give one SSH public key, on one line"));
    }
    let key = match PublicKey::from_openssh(line) {
        Ok(key) => key,
        Err(_) if has_options(line) => {
            return Err(Error::invalid_argument(
                "options in front of the key (from=, command=, ...) are not supported; give the key alone, \
                 \"ssh-ed25519 AAAA... comment\"",
            ));
        }
        Err(err) => {
            return Err(Error::invalid_argument(format!(
                "not an OpenSSH public key (\"ssh-ed25519 AAAA... comment\"): {err}"
            )));
        }
    };
    check_algorithm(&key)?;
    let comment = key.comment().as_str_lossy().to_owned();
    if comment.chars().any(char::is_control) {
        return Err(Error::invalid_argument("the key's comment may not contain control characters"));
    }
    let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
    let algorithm = key.algorithm().as_str().to_owned();
    let mut bare = key;
    bare.set_comment("");
    let public_key =
        bare.to_openssh().map_err(|err| Error::invalid_argument(format!("the key cannot be re-encoded: {err}")))?;
    Ok(ParsedKey { fingerprint, algorithm, public_key, comment })
}

/// A line that is no key by itself, but has a key type further on: options
/// (`from="10.0.0.1",no-pty ssh-ed25519 AAAA...`) came first.
fn has_options(line: &str) -> bool {
    let is_key_type =
        |word: &str| word.starts_with("ssh-") || word.starts_with("ecdsa-sha2-") || word.starts_with("sk-");
    let mut words = line.split_whitespace();
    !words.next().is_some_and(is_key_type) && words.any(is_key_type)
}

fn check_algorithm(key: &PublicKey) -> Result<()> {
    match key.algorithm() {
        Algorithm::Ed25519 | Algorithm::Ecdsa { .. } => Ok(()),
        Algorithm::Rsa { .. } => {
            let bits = match key.key_data() {
                KeyData::Rsa(rsa) => rsa.key_size(),
                _ => 0,
            };
            if bits < MIN_RSA_BITS {
                return Err(Error::invalid_argument(format!(
                    "RSA keys need at least {MIN_RSA_BITS} bits; this one has {bits} (ssh-keygen -t ed25519 makes a better key)"
                )));
            }
            Ok(())
        }
        Algorithm::Dsa => Err(Error::invalid_argument(
            "DSA (ssh-dss) keys are not accepted: they are too weak; use an Ed25519 key (ssh-keygen -t ed25519)",
        )),
        other => Err(Error::invalid_argument(format!(
            "{} keys are not accepted; use an Ed25519, ECDSA or RSA key",
            other.as_str()
        ))),
    }
}

#[derive(Clone)]
pub struct SshKeys {
    db: Db,
}

impl SshKeys {
    pub fn new(db: Db) -> Self {
        SshKeys { db }
    }

    /// Registers a key to the caller. A key belongs to one account only.
    pub async fn add(&self, caller: &Caller, text: &str) -> Result<SshKeyRow> {
        let parsed = parse_public_key(text)?;
        let fingerprint = parsed.fingerprint.clone();
        let key = NewSshKey {
            user_id: caller.user_id,
            fingerprint: parsed.fingerprint,
            algorithm: parsed.algorithm,
            public_key: parsed.public_key,
            comment: parsed.comment,
            created_at_ms: now_ms(),
        };
        match self.db.insert_ssh_key(key, MAX_KEYS_PER_USER).await {
            Ok(row) => {
                tracing::info!(user_id = caller.user_id, key_id = row.id, %fingerprint, "ssh key added");
                Ok(row)
            }
            Err(err) if err.is_unique_violation() => {
                let yours = self.db.ssh_key_owner(&fingerprint).await? == Some(caller.user_id);
                Err(Error::already_exists(if yours {
                    format!("you have added the key {fingerprint} already")
                } else {
                    format!(
                        "the key {fingerprint} is registered to another account; a key may belong to one account only"
                    )
                }))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The caller's keys, oldest first.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<SshKeyRow>> {
        Ok(self.db.ssh_keys_of(caller.user_id).await?)
    }

    /// Removes one of the caller's keys; anyone else's is not there for them.
    pub async fn remove(&self, caller: &Caller, id: i64) -> Result<()> {
        if !self.db.delete_ssh_key(caller.user_id, id).await? {
            return Err(Error::not_found(format!("you have no SSH key {id}")));
        }
        tracing::info!(user_id = caller.user_id, key_id = id, "ssh key removed");
        Ok(())
    }

    /// The user named `username`, if `public_key` is registered to them;
    /// None for an unknown user and for a key not theirs alike.
    pub async fn holder(&self, username: &str, public_key: &str) -> Result<Option<UserRow>> {
        let parsed = parse_public_key(public_key)?;
        let found = self.db.user_with_ssh_key(username, &parsed.fingerprint).await?;
        // The fingerprint found the row; the whole key must match too.
        Ok(found.filter(|(_, key)| key.public_key == parsed.public_key).map(|(user, _)| user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFI8MeKk3JKTlgmDwvc1LTGvRRI3xxWlB9mzyt1WICxb";

    #[test]
    fn keeps_the_key_without_its_comment() {
        let parsed = parse_public_key(&format!("  {ED25519} alice@laptop  \n")).unwrap();
        assert_eq!(parsed.public_key, ED25519);
        assert_eq!(parsed.comment, "alice@laptop");
        assert_eq!(parsed.algorithm, "ssh-ed25519");
        assert!(parsed.fingerprint.starts_with("SHA256:") && !parsed.fingerprint.ends_with('='));
        assert_eq!(parse_public_key(ED25519).unwrap().fingerprint, parsed.fingerprint);
        let spaced = parse_public_key(&format!("{ED25519} alice at the office")).unwrap();
        assert_eq!(spaced.comment, "alice at the office");
    }

    #[test]
    fn refuses_options_garbage_and_several_lines() {
        for (text, expected) in [
            (format!("from=\"10.0.0.1\" {ED25519} alice"), "options"),
            (format!("command=\"ls -l\",no-pty {ED25519}"), "options"),
            ("ssh-ed25519 not-base64".to_owned(), "not an OpenSSH public key"),
            ("garbage".to_owned(), "not an OpenSSH public key"),
            (String::new(), "empty"),
            (format!("{ED25519}\n{ED25519}"), "one line"),
            (format!("{ED25519} a\u{1b}[31mred"), "control characters"),
            (format!("{ED25519} {}", "x".repeat(MAX_KEY_TEXT_BYTES)), "at most 16 KiB"),
        ] {
            let err = parse_public_key(&text).unwrap_err();
            assert_eq!(err.code, cordvault_core::ErrorCode::InvalidArgument);
            assert!(err.message.contains(expected), "{text:?}: {}", err.message);
        }
    }
}
