//! Accounts: registration, login, password changes, token checks.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use cordvault_core::fields::{MAX_USERNAME_BYTES, PASSWORD_CHARS, validate_password, validate_username};
use cordvault_core::ticket::{TicketHolder, TicketKey, TicketPurpose};
use cordvault_core::{Error, Result};

use super::access::{Caller, ensure_admin};
use super::app_passwords::AppPasswords;
use super::revocation::Revocations;
use super::ssh_keys::SshKeys;
use super::throttle::{Throttle, ThrottleKey};
use super::tokens::TokenIssuer;
use crate::db::users::UserRow;
use crate::db::{Db, now_ms};

pub struct Accounts {
    db: Db,
    tokens: Arc<TokenIssuer>,
    revocations: Revocations,
    throttle: Throttle,
    tickets: TicketKey,
    app_passwords: AppPasswords,
    ssh_keys: SshKeys,
}

/// A download ticket is used at once: the browser follows it right away.
const DOWNLOAD_TICKET_LIFETIME: Duration = Duration::from_secs(120);
const THUMBNAIL_TICKET_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// A fresh token and when it expires (Unix milliseconds).
pub struct IssuedToken {
    pub token: String,
    pub expires_at_ms: i64,
}

pub(crate) async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|err| Error::internal(format!("hashing the password failed: {err}")))
    })
    .await
    .map_err(|err| Error::internal(format!("hashing task failed: {err}")))?
}

pub(crate) async fn password_matches(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok())
        .await
        .unwrap_or(false)
}

/// A hash of a random password with the default parameters, to verify
/// against when a login names no known user.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let password = cordvault_core::crypto::random_hex::<16>();
        Argon2::default().hash_password(password.as_bytes()).map(|hash| hash.to_string()).unwrap_or_default()
    })
}

impl Accounts {
    pub fn new(
        db: Db,
        tokens: Arc<TokenIssuer>,
        tickets: TicketKey,
        revocations: Revocations,
        throttle: Throttle,
    ) -> Self {
        let (app_passwords, ssh_keys) = (AppPasswords::new(db.clone()), SshKeys::new(db.clone()));
        Accounts { db, tokens, revocations, throttle, tickets, app_passwords, ssh_keys }
    }

    /// The secrets Login takes in place of the password.
    pub fn app_passwords(&self) -> &AppPasswords {
        &self.app_passwords
    }

    /// The keys the SFTP gateway logs users in with.
    pub fn ssh_keys(&self) -> &SshKeys {
        &self.ssh_keys
    }

    /// The first account needs no caller and becomes an administrator; later
    /// ones need an administrator.
    pub async fn register(&self, caller: Option<&Caller>, username: &str, password: &str) -> Result<UserRow> {
        validate_username(username)?;
        validate_password(password)?;
        let closed = || Error::unauthenticated("registration is closed: an administrator must create further accounts");
        let created = match caller {
            Some(caller) => {
                ensure_admin(caller)?;
                let hash = hash_password(password.to_owned()).await?;
                self.db.create_user(username, &hash, false).await
            }
            None => {
                // A cheap answer for the common case; the transaction decides.
                if self.db.user_count().await? > 0 {
                    return Err(closed());
                }
                let hash = hash_password(password.to_owned()).await?;
                match self.db.create_first_user(username, &hash).await {
                    Ok(None) => return Err(closed()),
                    Ok(Some(user)) => Ok(user),
                    Err(err) => Err(err),
                }
            }
        };
        match created {
            Err(err) if err.is_unique_violation() => {
                Err(Error::already_exists(format!("username {username:?} is taken")))
            }
            result => {
                let user = result?;
                tracing::info!(user_id = user.id, username = %user.username, is_admin = user.is_admin, "user registered");
                Ok(user)
            }
        }
    }

    /// Logs in; failures are throttled by account and by the caller's
    /// address (`peer`), and cost the same whether the user exists or not.
    pub async fn login(&self, username: &str, password: &str, peer: Option<IpAddr>) -> Result<(UserRow, IssuedToken)> {
        let wrong = || Error::unauthenticated("wrong username or password");
        if username.is_empty() || password.is_empty() {
            return Err(Error::invalid_argument("username and password are required"));
        }
        // No account has such a name or password: answer before they become
        // throttle keys or Argon2 input.
        if username.len() > MAX_USERNAME_BYTES || password.chars().count() > *PASSWORD_CHARS.end() {
            return Err(wrong());
        }
        let mut keys = vec![ThrottleKey::Account(username.to_owned())];
        keys.extend(peer.map(ThrottleKey::Peer));
        self.throttle.check(&keys)?;
        let user = self.db.user_by_name(username).await?;
        // App passwords first: a SHA-256 each, no Argon2, no wait for a turn.
        // Unknown users are looked up too, so that the time taken does not
        // tell which usernames exist.
        let user_id = user.as_ref().map_or(-1, |user| user.id);
        if let Some(app_password_id) = self.app_passwords.matching(user_id, password).await?
            && let Some(user) = user.as_ref()
        {
            self.throttle.succeeded(&keys[0]);
            tracing::info!(user_id = user.id, app_password_id, "logged in with an app password");
            let token = self.issue(user)?;
            return Ok((user.clone(), token));
        }
        let _turn = self.throttle.password_check().await?;
        // Unknown users are checked against a dummy hash: the same Argon2
        // work, so timing does not tell which usernames exist.
        let hash = user.as_ref().map_or_else(|| dummy_hash().to_owned(), |user| user.password_hash.clone());
        let matches = password_matches(password.to_owned(), hash).await;
        let Some(user) = user.filter(|_| matches) else {
            self.throttle.failed(&keys);
            return Err(wrong());
        };
        self.throttle.succeeded(&keys[0]);
        let token = self.issue(&user)?;
        Ok((user, token))
    }

    /// Logs in a user whom a gateway saw prove to hold `public_key`, if
    /// that key is registered to them. An unknown user and a key not theirs
    /// get the same answer.
    pub async fn login_with_ssh_key(&self, username: &str, public_key: &str) -> Result<(UserRow, IssuedToken)> {
        let refused = || Error::permission_denied("this SSH key may not log in as this user");
        if username.is_empty() || username.len() > MAX_USERNAME_BYTES {
            return Err(refused());
        }
        let user = self.ssh_keys.holder(username, public_key).await?.ok_or_else(refused)?;
        tracing::info!(user_id = user.id, "logged in through a gateway with an ssh key");
        let token = self.issue(&user)?;
        Ok((user, token))
    }

    /// Changes the caller's password, ends every older token and stream.
    pub async fn update_password(
        &self,
        caller: &Caller,
        old_password: &str,
        new_password: &str,
    ) -> Result<IssuedToken> {
        validate_password(new_password)?;
        let user = self.user(caller.user_id).await?;
        let keys = [ThrottleKey::Account(user.username.clone())];
        self.throttle.check(&keys)?;
        let turn = self.throttle.password_check().await?;
        if !password_matches(old_password.to_owned(), user.password_hash.clone()).await {
            self.throttle.failed(&keys);
            return Err(Error::permission_denied("the old password is wrong"));
        }
        drop(turn);
        let hash = hash_password(new_password.to_owned()).await?;
        let version = self.db.set_password(user.id, &hash).await?;
        self.revocations.revoke_before(user.id, version);
        tracing::info!(user_id = user.id, "password changed; older tokens revoked");
        let user = UserRow { token_version: version, ..user };
        self.issue(&user)
    }

    /// Resolves once the caller's tokens are revoked (a password change, the
    /// account deleted), so that long responses stop with them.
    pub fn revoked(&self, caller: &Caller) -> impl std::future::Future<Output = ()> + Send + 'static {
        super::revocation::revoked(self.revocations.watch(caller.user_id, caller.token_version), caller.token_version)
    }

    pub async fn user(&self, user_id: i64) -> Result<UserRow> {
        self.db.user_by_id(user_id).await?.ok_or_else(|| Error::unauthenticated("the account no longer exists"))
    }

    /// Checks a bearer token against the current token version.
    pub async fn authenticate(&self, token: &str) -> Result<Caller> {
        let claims = self.tokens.verify(token)?;
        self.current_caller(claims.user_id, claims.token_version).await
    }

    /// Checks a download ticket for `purpose`; a password change ends it
    /// as it ends the login token it was issued under.
    pub async fn authenticate_ticket(&self, ticket: &str, purpose: TicketPurpose<'_>) -> Result<Caller> {
        let holder = self.tickets.verify(ticket, purpose, now_ms())?;
        self.current_caller(holder.user_id, holder.token_version).await
    }

    /// A short-lived ticket that opens one plain-HTTP download (or the
    /// caller's thumbnails) without putting the login token in the URL.
    pub fn issue_ticket(&self, caller: &Caller, purpose: TicketPurpose<'_>) -> IssuedToken {
        let lifetime = match purpose {
            // A page of thumbnails keeps loading while the user scrolls.
            TicketPurpose::Thumbnails => THUMBNAIL_TICKET_LIFETIME,
            TicketPurpose::Download(_) | TicketPurpose::Zip(_) | TicketPurpose::PackageResult(_) => {
                DOWNLOAD_TICKET_LIFETIME
            }
        };
        let expires_at_ms = now_ms() + lifetime.as_millis() as i64;
        let holder = TicketHolder { user_id: caller.user_id, token_version: caller.token_version };
        IssuedToken { token: self.tickets.sign(holder, purpose, expires_at_ms), expires_at_ms }
    }

    async fn current_caller(&self, user_id: i64, token_version: i64) -> Result<Caller> {
        let user = self.user(user_id).await?;
        if user.token_version != token_version {
            return Err(Error::unauthenticated("the token was revoked by a password change; log in again"));
        }
        Ok(Caller::of(user))
    }

    fn issue(&self, user: &UserRow) -> Result<IssuedToken> {
        let (token, expires_at_ms) = self.tokens.issue(user.id, user.token_version)?;
        Ok(IssuedToken { token, expires_at_ms })
    }
}
