//! App passwords: random secrets that Login takes in place of the account
//! password, one per client (a WebDAV mount, a backup tool), each revocable
//! on its own. Only a SHA-256 of the secret is stored: the secret is long
//! and random, so a slow hash would add nothing but the cost that clients
//! sending credentials with every request cannot afford.

use cordvault_core::crypto::{constant_time_eq, random_bytes};
use cordvault_core::{Error, Result};

use super::access::Caller;
use crate::db::credentials::{AppPasswordRow, NewAppPassword};
use crate::db::{Db, now_ms};

/// App passwords one account may have.
pub const MAX_APP_PASSWORDS_PER_USER: i64 = 50;
/// Characters of a label.
pub const MAX_LABEL_CHARS: usize = 100;
/// Characters of a secret; each carries 5 random bits.
pub const SECRET_CHARS: usize = 32;
/// How stale a noted last use may get before a login notes a newer one.
const LAST_USE_PRECISION_MS: i64 = 60_000;
/// Digits and capitals without 0, 1, I and O, which read alike: 32 symbols,
/// so that a random byte masked to 5 bits picks one without bias.
const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// A fresh secret: [`SECRET_CHARS`] characters of [`ALPHABET`].
fn new_secret() -> String {
    random_bytes::<SECRET_CHARS>().iter().map(|byte| char::from(ALPHABET[usize::from(byte & 31)])).collect()
}

/// Whether `password` could be a secret this module made.
fn looks_like_secret(password: &str) -> bool {
    password.len() == SECRET_CHARS && password.bytes().all(|byte| ALPHABET.contains(&byte))
}

fn digest(secret: &str) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, secret.as_bytes()))
}

fn validate_label(label: &str) -> Result<&str> {
    let label = label.trim();
    let chars = label.chars().count();
    if chars == 0 || chars > MAX_LABEL_CHARS {
        return Err(Error::invalid_argument(format!(
            "an app password's label must be 1 to {MAX_LABEL_CHARS} characters long, e.g. \"laptop webdav\""
        )));
    }
    if label.chars().any(char::is_control) {
        return Err(Error::invalid_argument("an app password's label may not contain control characters"));
    }
    Ok(label)
}

#[derive(Clone)]
pub struct AppPasswords {
    db: Db,
}

impl AppPasswords {
    pub fn new(db: Db) -> Self {
        AppPasswords { db }
    }

    /// Creates an app password for the caller; its secret is in this answer only.
    pub async fn create(&self, caller: &Caller, label: &str) -> Result<(AppPasswordRow, String)> {
        let label = validate_label(label)?;
        let secret = new_secret();
        let password = NewAppPassword {
            user_id: caller.user_id,
            label: label.to_owned(),
            secret_sha256: digest(&secret),
            created_at_ms: now_ms(),
        };
        let row = self.db.insert_app_password(password, MAX_APP_PASSWORDS_PER_USER).await?;
        tracing::info!(user_id = caller.user_id, app_password_id = row.id, "app password created");
        Ok((row, secret))
    }

    /// The caller's app passwords, oldest first.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<AppPasswordRow>> {
        Ok(self.db.app_passwords_of(caller.user_id).await?)
    }

    /// Revokes one of the caller's app passwords: Login refuses it from now on.
    pub async fn revoke(&self, caller: &Caller, id: i64) -> Result<()> {
        if !self.db.delete_app_password(caller.user_id, id).await? {
            return Err(Error::not_found(format!("you have no app password {id}")));
        }
        tracing::info!(user_id = caller.user_id, app_password_id = id, "app password revoked");
        Ok(())
    }

    /// The id of the user's app password whose secret `password` is, if
    /// any; a match is recorded as its last use. Every digest of the user is
    /// compared, each in constant time.
    pub async fn matching(&self, user_id: i64, password: &str) -> Result<Option<i64>> {
        if !looks_like_secret(password) {
            return Ok(None);
        }
        let candidate = digest(password);
        let mut found = None;
        for (id, stored) in self.db.app_password_digests(user_id).await? {
            if constant_time_eq(candidate.as_bytes(), stored.as_bytes()) {
                found = Some(id);
            }
        }
        if let Some(id) = found {
            let now = now_ms();
            self.db.app_password_used(id, now, now - LAST_USE_PRECISION_MS).await?;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_unambiguous() {
        let (first, second) = (new_secret(), new_secret());
        assert_ne!(first, second);
        for secret in [&first, &second] {
            assert!(looks_like_secret(secret), "{secret}");
            assert!(!secret.contains(['0', '1', 'I', 'O']), "{secret}");
        }
        assert!(!looks_like_secret("correct horse battery staple"));
        assert!(!looks_like_secret(&first.to_lowercase()));
        assert_eq!(digest(&first).len(), 64);
    }

    #[test]
    fn labels() {
        assert_eq!(validate_label("  laptop webdav ").unwrap(), "laptop webdav");
        assert!(validate_label(&"é".repeat(MAX_LABEL_CHARS)).is_ok());
        for bad in ["", "   ", "tab\there", &"x".repeat(MAX_LABEL_CHARS + 1)] {
            assert_eq!(validate_label(bad).unwrap_err().code, cordvault_core::ErrorCode::InvalidArgument, "{bad:?}");
        }
    }
}
