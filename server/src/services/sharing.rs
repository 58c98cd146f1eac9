//! Visibility, shares, ownership and finding users to share with.

use cordvault_core::path::TreePath;
use cordvault_core::{Error, Result};

use super::access::{Caller, ShareLevel, ensure_can_manage, ensure_can_read};
use super::events::ChangeKind;
use super::tree::{EntryInfo, Tree};
use crate::db::entries::VISIBILITY_PUBLIC;
use crate::db::users::UserRow;

/// At most this many users come back from a search.
pub const MAX_USER_RESULTS: i64 = 100;

#[derive(Clone)]
pub struct Sharing {
    tree: Tree,
}

impl Sharing {
    pub fn new(tree: Tree) -> Self {
        Sharing { tree }
    }

    async fn managed(&self, caller: &Caller, path: &str) -> Result<EntryInfo> {
        let path = TreePath::parse(path)?;
        let view = self.tree.resolve(&path).await?;
        ensure_can_manage(caller, &view.row, &path.to_string())?;
        Ok(EntryInfo { path, view })
    }

    async fn user(&self, username: &str) -> Result<UserRow> {
        self.tree
            .db()
            .user_by_name(username)
            .await?
            .ok_or_else(|| Error::not_found(format!("no user is called {}", cordvault_core::path::quote(username))))
    }

    pub async fn set_visibility(&self, caller: &Caller, path: &str, public: bool) -> Result<EntryInfo> {
        let info = self.managed(caller, path).await?;
        let visibility = if public { VISIBILITY_PUBLIC } else { 0 };
        self.tree.db().set_visibility(info.view.row.id, visibility).await?;
        tracing::info!(path = %info.path, public, user = %caller.username, "visibility changed");
        let view = self.tree.resolve(&info.path).await?;
        let info = EntryInfo { path: info.path, view };
        self.tree.announce(ChangeKind::AccessChanged, &info, None).await;
        Ok(info)
    }

    pub async fn share(&self, caller: &Caller, path: &str, username: &str, level: ShareLevel) -> Result<EntryInfo> {
        let info = self.managed(caller, path).await?;
        let user = self.user(username).await?;
        if info.view.row.owner_id == Some(user.id) {
            return Err(Error::invalid_argument(format!("{} owns {}; no share needed", user.username, info.path)));
        }
        match level {
            ShareLevel::None => return Err(Error::invalid_argument("share level must be read or read-write")),
            ShareLevel::Read | ShareLevel::ReadWrite => {
                self.tree.db().set_share(info.view.row.id, user.id, level == ShareLevel::ReadWrite).await?
            }
        }
        tracing::info!(path = %info.path, with = %user.username, ?level, "shared");
        self.tree.announce(ChangeKind::AccessChanged, &info, None).await;
        Ok(info)
    }

    pub async fn unshare(&self, caller: &Caller, path: &str, username: &str) -> Result<EntryInfo> {
        let info = self.managed(caller, path).await?;
        let user = self.user(username).await?;
        if !self.tree.db().remove_share(info.view.row.id, user.id).await? {
            return Err(Error::not_found(format!("{} is not shared with {}", info.path, user.username)));
        }
        self.tree.announce(ChangeKind::AccessChanged, &info, None).await;
        Ok(info)
    }

    /// Who an entry is shared with: visible to anyone who may read it.
    pub async fn list_shares(&self, caller: &Caller, path: &str) -> Result<Vec<(String, ShareLevel)>> {
        let path = TreePath::parse(path)?;
        let view = self.tree.resolve(&path).await?;
        let grants = self.tree.grants(caller, &view.row).await?;
        ensure_can_read(caller, &view.row, grants, &path.to_string())?;
        let shares = self.tree.db().shares_of_entry(view.row.id).await?;
        Ok(shares.into_iter().map(|(name, can_write)| (name, ShareLevel::from_can_write(can_write))).collect())
    }

    /// Gives an entry, and everything below it the caller could manage, to
    /// another user.
    pub async fn transfer_ownership(
        &self,
        caller: &Caller,
        path: &str,
        new_owner: &str,
        drop_shares: bool,
        keep_share_for_previous_owner: bool,
    ) -> Result<(EntryInfo, u64)> {
        let info = self.managed(caller, path).await?;
        let user = self.user(new_owner).await?;
        let row = &info.view.row;
        let previous_owner = row.owner_id;
        let mut ids = vec![row.id];
        if row.is_folder {
            let below = self.tree.db().descendants(row.id).await?;
            // Entries of third users inside the folder stay theirs.
            ids.extend(below.iter().filter(|inner| inner.owner_id == previous_owner).map(|inner| inner.id));
        }
        let count = ids.len() as u64;
        let keep_for = if keep_share_for_previous_owner { previous_owner } else { None };
        self.tree.db().transfer_ownership(ids, user.id, row.id, drop_shares, keep_for).await?;
        tracing::info!(path = %info.path, to = %user.username, entries = count, "ownership transferred");
        let view = self.tree.resolve(&info.path).await?;
        let info = EntryInfo { path: info.path, view };
        self.tree.announce(ChangeKind::AccessChanged, &info, None).await;
        Ok((info, count))
    }

    pub async fn search_users(&self, _caller: &Caller, query: &str) -> Result<Vec<UserRow>> {
        if query.len() > 64 {
            return Err(Error::invalid_argument("a user search is at most 64 characters"));
        }
        Ok(self.tree.db().search_users(&query.to_lowercase(), MAX_USER_RESULTS).await?)
    }
}
