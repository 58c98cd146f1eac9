//! Share links: who may create them, whether one still leads anywhere, and
//! the proof a browser keeps once its visitor typed a link's password.
//!
//! A link is a random id in the database pointing at an entry. A file link
//! also remembers the content it was made for and dies when that changes; any
//! link dies when its entry leaves the tree, expires or uses up its downloads.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use cordvault_core::ids::LinkId;
use cordvault_core::path::{TreePath, quote};
use cordvault_core::{Error, Result};
use ring::{hkdf, hmac};

use super::access::{Caller, access, ensure_admin, ensure_can_revoke_link};
use super::accounts::{hash_password, password_matches};
use super::throttle::{Throttle, ThrottleKey};
use super::tree::{EntryInfo, Tree};
use crate::db::DbError;
use crate::db::entries::{EntryRow, EntryView};
use crate::db::links::{LinkRow, NewLinkRow};
use crate::keys::ServerKeys;

/// Longest link password accepted, in bytes.
const MAX_PASSWORD_BYTES: usize = 1024;

/// What CreateLink asks for; zero and empty mean "none".
#[derive(Debug, Clone, Default)]
pub struct LinkRequest {
    pub path: String,
    pub expires_at_ms: i64,
    pub password: String,
    pub max_downloads: u64,
}

/// A link with what a listing shows beside it.
#[derive(Debug, Clone)]
pub struct LinkInfo {
    pub row: LinkRow,
    pub creator: String,
    pub is_folder: bool,
    /// Where the entry is now; None once the link is dead.
    pub path: Option<TreePath>,
}

impl LinkInfo {
    pub fn alive(&self) -> bool {
        self.path.is_some()
    }

    pub fn url_path(&self) -> String {
        url_path(&self.row.id)
    }
}

/// The address of a link, relative to the server.
pub fn url_path(id: &str) -> String {
    format!("/s/{id}")
}

/// Why a link does not open; the HTTP layer picks the status for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such link, or it was revoked.
    Unknown,
    /// A password link visited without a password or a valid cookie.
    PasswordNeeded,
    WrongPassword,
    Expired,
    UsedUp,
    /// The file's content changed, or the entry was deleted.
    Gone,
    /// Whoever made the link may no longer share what it leads to (their
    /// share was taken back, or their account deleted).
    Withdrawn,
}

/// A link that does not open, or a failure while finding out.
#[derive(Debug)]
pub enum LinkError {
    Refused(Refusal),
    Failed(Error),
}

impl From<Error> for LinkError {
    fn from(err: Error) -> Self {
        LinkError::Failed(err)
    }
}

impl From<DbError> for LinkError {
    fn from(err: DbError) -> Self {
        LinkError::Failed(err.into())
    }
}

/// How a visitor shows they know a link's password.
#[derive(Debug, Default)]
pub struct Proof<'a> {
    /// Typed in: a form field or the `X-Link-Password` header.
    pub password: Option<&'a str>,
    /// Cookie values set after an earlier correct password.
    pub cookies: Vec<&'a str>,
    /// Where the visitor connects from, to throttle guessing by address too.
    pub peer: Option<std::net::IpAddr>,
}

/// Where a link leads now.
enum Destination {
    Alive(Box<EntryInfo>),
    Dead { refusal: Refusal, is_folder: bool },
}

#[derive(Clone)]
pub struct Links {
    tree: Tree,
    /// Signs the cookie that stands for a correct password.
    cookie_key: hmac::Key,
    throttle: Throttle,
}

impl Links {
    pub fn new(tree: Tree, keys: &ServerKeys, throttle: Throttle) -> Self {
        Links { tree, cookie_key: cookie_key(keys), throttle }
    }

    pub async fn create(&self, caller: &Caller, request: LinkRequest) -> Result<LinkInfo> {
        let path = TreePath::parse(&request.path)?;
        if path.is_root() {
            return Err(Error::permission_denied("the root folder cannot be shared by link"));
        }
        let expires_at = expiry(request.expires_at_ms, self.tree.clock().now_ms())?;
        let max_downloads = download_limit(request.max_downloads)?;
        let password_hash = match request.password.as_str() {
            "" => None,
            password if password.len() > MAX_PASSWORD_BYTES => {
                return Err(Error::invalid_argument(format!("password is over {MAX_PASSWORD_BYTES} bytes")));
            }
            password => Some(hash_password(password.to_owned()).await?),
        };
        let view = self.tree.resolve(&path).await?;
        let grants = self.tree.grants(caller, &view.row).await?;
        if !access(caller, &view.row, grants).write {
            return Err(Error::permission_denied(format!(
                "{path} is read-only for you; only its owner, a read-write share or an administrator may link it"
            )));
        }
        let content_id = match (view.row.is_folder, view.row.content_id) {
            (true, _) => None,
            (false, Some(content_id)) => Some(content_id),
            (false, None) => return Err(Error::failed_precondition(format!("{path} has no content yet"))),
        };
        let id = LinkId::random().into_string();
        let created_at = self.tree.clock().now_ms();
        self.tree
            .db()
            .insert_link(NewLinkRow {
                id: &id,
                entry_id: view.row.id,
                content_id,
                created_by: caller.user_id,
                password_hash: password_hash.as_deref(),
                expires_at,
                max_downloads,
                created_at,
            })
            .await?;
        tracing::info!(link = %id, %path, user = %caller.username, password = password_hash.is_some(), "link created");
        let row = LinkRow {
            id,
            entry_id: view.row.id,
            content_id,
            created_by: caller.user_id,
            password_hash,
            expires_at,
            max_downloads,
            downloads: 0,
            created_at,
        };
        Ok(LinkInfo { row, creator: caller.username.clone(), is_folder: view.row.is_folder, path: Some(path) })
    }

    /// The caller's links; every user's for an administrator asking for `all`.
    pub async fn list(&self, caller: &Caller, all: bool) -> Result<Vec<LinkInfo>> {
        if all {
            ensure_admin(caller).map_err(|_| Error::permission_denied("only an administrator may list every link"))?;
        }
        let rows = self.tree.db().links_with_creators((!all).then_some(caller.user_id)).await?;
        let mut links = Vec::with_capacity(rows.len());
        // Most links of a listing share a few creators: look each up once.
        let mut creators: HashMap<i64, Option<Caller>> = HashMap::new();
        for (row, creator) in rows {
            let link_creator = match creators.entry(row.created_by) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(unknown) => unknown.insert(self.creator(&row).await?),
            };
            let (is_folder, path) = match self.destination_for(&row, link_creator.as_ref()).await? {
                Destination::Alive(info) => (info.view.row.is_folder, Some(info.path)),
                Destination::Dead { is_folder, .. } => (is_folder, None),
            };
            links.push(LinkInfo { row, creator, is_folder, path });
        }
        Ok(links)
    }

    /// Revokes a link: its creator or an administrator.
    pub async fn revoke(&self, caller: &Caller, id: &str) -> Result<()> {
        let db = self.tree.db();
        let unknown = || Error::not_found(format!("there is no link {}", quote(id)));
        let Some(link_id) = LinkId::parse(id) else {
            return Err(unknown());
        };
        let row = db.link(&link_id).await?.ok_or_else(unknown)?;
        ensure_can_revoke_link(caller, row.created_by, id)?;
        if !db.delete_link(&link_id).await? {
            return Err(unknown());
        }
        tracing::info!(link = %id, user = %caller.username, "link revoked");
        Ok(())
    }

    /// The link behind an id a visitor gave.
    pub async fn find(&self, id: &str) -> Result<LinkRow, LinkError> {
        let Some(id) = LinkId::parse(id) else {
            return Err(LinkError::Refused(Refusal::Unknown));
        };
        self.tree.db().link(&id).await?.ok_or(LinkError::Refused(Refusal::Unknown))
    }

    /// Checks the visitor may open a password link. Nothing here looks at the
    /// entry, so a wrong password says nothing about whether the link still works.
    pub async fn unlock(&self, row: &LinkRow, proof: &Proof<'_>) -> Result<(), LinkError> {
        let Some(hash) = &row.password_hash else {
            return Ok(());
        };
        if let Some(password) = proof.password {
            let mut keys = vec![ThrottleKey::Link(row.id.clone())];
            keys.extend(proof.peer.map(ThrottleKey::Peer));
            self.throttle.check(&keys).map_err(LinkError::Failed)?;
            let _turn = self.throttle.password_check().await.map_err(LinkError::Failed)?;
            if password_matches(password.to_owned(), hash.clone()).await {
                self.throttle.succeeded(&keys[0]);
                return Ok(());
            }
            self.throttle.failed(&keys);
            tracing::info!(link = %row.id, "wrong link password");
            return Err(LinkError::Refused(Refusal::WrongPassword));
        }
        let message = cookie_message(row);
        let valid = |cookie: &&str| {
            hex::decode(cookie).is_ok_and(|tag| hmac::verify(&self.cookie_key, message.as_bytes(), &tag).is_ok())
        };
        if proof.cookies.iter().any(valid) {
            return Ok(());
        }
        Err(LinkError::Refused(Refusal::PasswordNeeded))
    }

    /// The cookie value that stands for a correct password of `row`; it
    /// stops working when the link is revoked or its password changes.
    pub fn cookie_value(&self, row: &LinkRow) -> String {
        hex::encode(hmac::sign(&self.cookie_key, cookie_message(row).as_bytes()))
    }

    /// The entry a link leads to, when the link still works.
    pub async fn target(&self, row: &LinkRow) -> Result<EntryInfo, LinkError> {
        match self.destination(row).await? {
            Destination::Alive(info) => Ok(*info),
            Destination::Dead { refusal, .. } => {
                tracing::debug!(link = %row.id, ?refusal, "dead link visited");
                Err(LinkError::Refused(refusal))
            }
        }
    }

    /// Counts one download against the link's limit; refused when it is used up.
    pub async fn count_download(&self, row: &LinkRow) -> Result<(), LinkError> {
        if self.tree.db().count_download(&row.id).await? {
            return Ok(());
        }
        Err(LinkError::Refused(Refusal::UsedUp))
    }

    /// A file inside a linked folder, by its path relative to the folder.
    pub async fn file_in_folder(&self, folder: &EntryInfo, relative: &str) -> Result<EntryInfo> {
        let not_found = || Error::not_found(format!("there is no file {} in this shared folder", quote(relative)));
        let names = TreePath::parse(&format!("/{}", relative.trim_start_matches('/'))).map_err(|_| not_found())?;
        if names.is_root() {
            return Err(not_found());
        }
        let db = self.tree.db();
        let (mut view, mut path) = (folder.view.clone(), folder.path.clone());
        for name in names.names() {
            view = db.child(view.row.id, name).await?.ok_or_else(not_found)?;
            path = path.join(name)?;
        }
        if view.row.is_folder {
            return Err(not_found());
        }
        Ok(EntryInfo { path, view })
    }

    /// Everything inside a linked folder, parents before children.
    pub async fn folder_rows(&self, folder: &EntryInfo) -> Result<Vec<EntryRow>> {
        Ok(self.tree.db().descendants(folder.view.row.id).await?)
    }

    async fn destination(&self, row: &LinkRow) -> Result<Destination> {
        let creator = self.creator(row).await?;
        self.destination_for(row, creator.as_ref()).await
    }

    /// Where a link leads, for its creator as they are now (None: deleted).
    async fn destination_for(&self, row: &LinkRow, creator: Option<&Caller>) -> Result<Destination> {
        let db = self.tree.db();
        let view: Option<EntryView> = db.entry(row.entry_id).await?;
        // Only file links remember a content.
        let is_folder = view.as_ref().map_or(row.content_id.is_none(), |view| view.row.is_folder);
        let dead = |refusal| Ok(Destination::Dead { refusal, is_folder });
        if row.expires_at.is_some_and(|at| at <= self.tree.clock().now_ms()) {
            return dead(Refusal::Expired);
        }
        if row.max_downloads.is_some_and(|max| row.downloads >= max) {
            return dead(Refusal::UsedUp);
        }
        let Some(view) = view else {
            return dead(Refusal::Gone);
        };
        if !view.row.is_folder && view.row.content_id != row.content_id {
            return dead(Refusal::Gone);
        }
        let Some(path) = db.entry_path(view.row.id).await? else {
            return dead(Refusal::Gone);
        };
        if !self.creator_may_link(creator, &view.row).await? {
            return dead(Refusal::Withdrawn);
        }
        Ok(Destination::Alive(Box::new(EntryInfo { path, view })))
    }

    /// A link shares with its creator's rights, checked at every visit, not
    /// only when it was made: the right to link is write access.
    async fn creator_may_link(&self, creator: Option<&Caller>, entry: &EntryRow) -> Result<bool> {
        let Some(creator) = creator else {
            return Ok(false);
        };
        let grants = self.tree.grants(creator, entry).await?;
        Ok(access(creator, entry, grants).write)
    }

    async fn creator(&self, row: &LinkRow) -> Result<Option<Caller>> {
        Ok(self.tree.db().user_by_id(row.created_by).await?.map(Caller::of))
    }
}

fn expiry(expires_at_ms: i64, now_ms: i64) -> Result<Option<i64>> {
    match expires_at_ms {
        0 => Ok(None),
        at if at < 0 => Err(Error::invalid_argument("expires_at_ms must be 0 (never) or a Unix time in milliseconds")),
        at if at <= now_ms => Err(Error::invalid_argument("expires_at_ms is in the past")),
        at => Ok(Some(at)),
    }
}

fn download_limit(max_downloads: u64) -> Result<Option<i64>> {
    match max_downloads {
        0 => Ok(None),
        max => i64::try_from(max)
            .map(Some)
            .map_err(|_| Error::invalid_argument(format!("max_downloads {max} is too large"))),
    }
}

/// What the cookie signs: the link and its password hash, so a revoked
/// link or a new password makes old cookies worthless.
fn cookie_message(row: &LinkRow) -> String {
    format!("cordvault-link-access-v1\n{}\n{}", row.id, row.password_hash.as_deref().unwrap_or_default())
}

/// A key of its own for link cookies, derived from the server's private key
/// so that it survives restarts and differs between installations.
fn cookie_key(keys: &ServerKeys) -> hmac::Key {
    let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"cordvault link cookies");
    let prk = salt.extract(keys.private_pem.as_bytes());
    let okm =
        prk.expand(&[b"link-access-v1"], hmac::HMAC_SHA256).expect("an HMAC-SHA256 key is a valid HKDF output length");
    hmac::Key::from(okm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::now_ms;

    #[test]
    fn limits_and_expiry_are_validated() {
        assert_eq!(download_limit(0).unwrap(), None);
        assert_eq!(download_limit(3).unwrap(), Some(3));
        assert!(download_limit(u64::MAX).is_err());
        let now = now_ms();
        assert_eq!(expiry(0, now).unwrap(), None);
        assert!(expiry(-1, now).is_err());
        assert!(expiry(1, now).is_err(), "1970 is in the past");
        assert!(expiry(now, now).is_err(), "now is too late");
        assert!(expiry(now + 60_000, now).unwrap().is_some());
    }
}
