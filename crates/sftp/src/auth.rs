//! Who may connect: public keys only, decided by the caller.

use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;

use russh::keys::PublicKey;
use russh::keys::ssh_key::authorized_keys::Entry;
use russh::keys::ssh_key::public::KeyData;

use crate::error::SftpError;

/// Decides which client keys may log in. Called with the SSH user name and
/// the client's public key, both before the client proves it holds the key
/// and again after; only a `true` after the proof lets it in.
///
/// Closures `Fn(&str, &PublicKey) -> bool` implement it, so a caller (e.g. a
/// peer-discovery module) can consult its own live state.
pub trait Authorizer: Send + Sync + 'static {
    fn allowed(&self, user: &str, key: &PublicKey) -> bool;
}

impl<F> Authorizer for F
where
    F: Fn(&str, &PublicKey) -> bool + Send + Sync + 'static,
{
    fn allowed(&self, user: &str, key: &PublicKey) -> bool {
        self(user, key)
    }
}

/// A set of allowed public keys, for any user name; what an
/// `authorized_keys` file holds. Options in front of a key (`from=`,
/// `command=`...) are not enforced: such a line is skipped with a warning
/// rather than silently granting more than it says.
#[derive(Debug, Clone, Default)]
pub struct AuthorizedKeys {
    keys: HashSet<KeyData>,
}

impl AuthorizedKeys {
    /// An empty set: nobody may connect.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `authorized_keys` text: one key per line, `#` comments and
    /// blank lines ignored, bad lines skipped with a warning.
    pub fn parse(text: &str) -> Self {
        let mut set = Self::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match Entry::from_str(line) {
                Ok(entry) if !entry.config_opts().is_empty() => {
                    tracing::warn!(line = index + 1, "authorized key with options skipped: options are not supported");
                }
                Ok(entry) => set.insert(entry.public_key()),
                Err(err) => tracing::warn!(line = index + 1, error = %err, "unparsable authorized key line skipped"),
            }
        }
        set
    }

    /// Reads and parses an `authorized_keys` file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, SftpError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SftpError::Io { path: path.to_owned(), source })?;
        Ok(Self::parse(&text))
    }

    /// Adds a key; its comment does not matter.
    pub fn insert(&mut self, key: &PublicKey) {
        self.keys.insert(key.key_data().clone());
    }

    /// Whether `key` is in the set.
    pub fn contains(&self, key: &PublicKey) -> bool {
        self.keys.contains(key.key_data())
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl Authorizer for AuthorizedKeys {
    fn allowed(&self, _user: &str, key: &PublicKey) -> bool {
        self.contains(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFI8MeKk3JKTlgmDwvc1LTGvRRI3xxWlB9mzyt1WICxb";
    const ED25519_B: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMqhVC/BJil0Z8z0dITpBpXSAf7oTCRn6x0GrXlhNxkl";

    #[test]
    fn parses_keys_and_skips_the_rest() {
        let text = format!(
            "# peers\n\n   \n{ED25519} alice@laptop\nssh-ed25519 not-base64\ngarbage line\n\
             command=\"ls\" {ED25519_B} restricted\n  {ED25519_B}   bob\n"
        );
        let keys = AuthorizedKeys::parse(&text);
        assert_eq!(keys.len(), 2);
        let alice = PublicKey::from_openssh(ED25519).expect("key");
        let bob = PublicKey::from_openssh(ED25519_B).expect("key");
        assert!(keys.contains(&alice));
        assert!(keys.contains(&bob));
        assert!(keys.allowed("anyone", &alice));
    }

    #[test]
    fn options_only_line_does_not_grant_access() {
        let keys = AuthorizedKeys::parse(&format!("from=\"10.0.0.1\" {ED25519}\n"));
        assert!(keys.is_empty());
    }

    #[test]
    fn closures_are_authorizers() {
        let alice = PublicKey::from_openssh(ED25519).expect("key");
        let only_alice = |user: &str, _key: &PublicKey| user == "alice";
        assert!(only_alice.allowed("alice", &alice));
        assert!(!only_alice.allowed("bob", &alice));
    }
}
