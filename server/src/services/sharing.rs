//! Visibility, shares, ownership and finding users to share with.

use cordvault_core::path::TreePath;
use cordvault_core::{Error, Result};

use super::access::{Caller, ShareLevel, ensure_can_manage, ensure_can_read};
use super::events::ChangeKind;
use super::quotas::Needs;
use super::tree::{EntryInfo, Tree};
use crate::db::now_ms;
use crate::db::offers::OfferRow;
use crate::db::users::UserRow;
use cordvault_core::visibility::Visibility;

/// What a TransferOwnership asks for.
pub struct TransferTerms<'a> {
    pub new_owner: &'a str,
    pub drop_shares: bool,
    pub keep_share: bool,
}

/// What became of a transfer.
pub enum Transfer {
    /// Ownership moved: the entry and how many entries changed hands.
    Done(EntryInfo, u64),
    /// The recipient must accept first.
    Offered(EntryInfo),
}

/// An offer of ownership waiting for the caller's answer.
pub struct Offer {
    pub info: EntryInfo,
    pub from: String,
    pub row: OfferRow,
}

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

    pub async fn set_visibility(&self, caller: &Caller, path: &str, visibility: Visibility) -> Result<EntryInfo> {
        let info = self.managed(caller, path).await?;
        self.tree.db().set_visibility(info.view.row.id, visibility).await?;
        tracing::info!(path = %info.path, ?visibility, user = %caller.username, "visibility changed");
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

    /// Gives an entry, and what its owner owns below it, to another user.
    /// An administrator's transfer takes effect at once; anyone else's is an
    /// offer that moves ownership only when the recipient accepts it, so
    /// nobody is handed a folder that still carries the giver's share.
    pub async fn transfer_ownership(
        &self,
        caller: &Caller,
        path: &str,
        transfer: TransferTerms<'_>,
    ) -> Result<Transfer> {
        let info = self.managed(caller, path).await?;
        let user = self.user(transfer.new_owner).await?;
        if info.view.row.owner_id == Some(user.id) {
            return Err(Error::invalid_argument(format!("{} already owns {}", user.username, info.path)));
        }
        let Some(previous_owner) = info.view.row.owner_id else {
            return Err(Error::failed_precondition(format!("{} has no owner to transfer from", info.path)));
        };
        if caller.is_admin {
            let (info, count) = self
                .hand_over(info, user.id, previous_owner, (transfer.drop_shares, transfer.keep_share), None)
                .await?;
            return Ok(Transfer::Done(info, count));
        }
        let offer = OfferRow {
            entry_id: info.view.row.id,
            from_user: previous_owner,
            to_user: user.id,
            drop_shares: transfer.drop_shares,
            keep_share_for_previous_owner: transfer.keep_share,
            created_at: now_ms(),
        };
        self.tree.db().offer_ownership(offer).await?;
        tracing::info!(path = %info.path, to = %user.username, "ownership offered");
        Ok(Transfer::Offered(info))
    }

    /// The offers waiting for the caller, with where each entry is now;
    /// offers of entries in the trash wait unseen until restored.
    pub async fn offers(&self, caller: &Caller) -> Result<Vec<Offer>> {
        let mut offers = Vec::new();
        for (row, from) in self.tree.db().offers_to(caller.user_id).await? {
            let Some(path) = self.tree.path_of(row.entry_id).await? else {
                continue;
            };
            let view = self.tree.resolve(&path).await?;
            offers.push(Offer { info: EntryInfo { path, view }, from, row });
        }
        Ok(offers)
    }

    /// Accepts or declines the offer of the entry at `path`; the entry and
    /// how many entries changed hands when accepted.
    pub async fn answer_offer(&self, caller: &Caller, path: &str, accept: bool) -> Result<Option<(EntryInfo, u64)>> {
        let path = TreePath::parse(path)?;
        let view = self.tree.resolve(&path).await?;
        let db = self.tree.db();
        let offer = db
            .offer_for(view.row.id, caller.user_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("nobody offered you {path}")))?;
        if !accept {
            db.withdraw_offer(view.row.id).await?;
            tracing::info!(%path, user = %caller.username, "ownership offer declined");
            return Ok(None);
        }
        if view.row.owner_id != Some(offer.from_user) {
            db.withdraw_offer(view.row.id).await?;
            return Err(Error::failed_precondition(format!("{path} changed owner since it was offered to you")));
        }
        // The offer stays until the hand-over succeeds: one refused for the
        // recipient's quota can be accepted once there is room.
        let info = EntryInfo { path, view };
        let handed = self
            .hand_over(
                info,
                caller.user_id,
                offer.from_user,
                (offer.drop_shares, offer.keep_share_for_previous_owner),
                Some(caller),
            )
            .await?;
        Ok(Some(handed))
    }

    /// Gives `info` (and what its previous owner owns inside it) to
    /// `new_owner`; `accepting` is the recipient when they asked for it,
    /// whose quota must then hold what they receive.
    async fn hand_over(
        &self,
        info: EntryInfo,
        new_owner: i64,
        previous_owner: i64,
        terms: (bool, bool),
        accepting: Option<&Caller>,
    ) -> Result<(EntryInfo, u64)> {
        let (drop_shares, keep_share) = terms;
        let row = &info.view.row;
        let mut ids = vec![row.id];
        let mut bytes = row.size.max(0) as u64;
        if row.is_folder {
            let below = self.tree.db().descendants(row.id).await?;
            // Entries of third users inside the folder stay theirs.
            for inner in below.iter().filter(|inner| inner.owner_id == Some(previous_owner)) {
                ids.push(inner.id);
                bytes = bytes.saturating_add(inner.size.max(0) as u64);
            }
        }
        let count = ids.len() as u64;
        let _quota = match accepting {
            Some(recipient) => {
                let needs = Needs { bytes, entries: count, upload_sessions: 0 };
                Some(self.tree.quotas().reserve(recipient, needs).await?)
            }
            None => None,
        };
        let keep_for = keep_share.then_some(previous_owner);
        let db = self.tree.db();
        db.transfer_ownership(ids, new_owner, row.id, drop_shares, keep_for).await?;
        db.withdraw_offer(row.id).await?;
        tracing::info!(path = %info.path, to = new_owner, entries = count, "ownership transferred");
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
