//! Who may do what. Every permission decision of the server is made here.
//!
//! An entry is readable by its owner, administrators, every user when it or
//! a folder above it is public, and users it (or a folder above it) is
//! shared with. It is changeable by its owner, administrators and read-write
//! shares. Only its owner and administrators change who may access it.
//! Creating inside a folder needs write access to it (the root is open for
//! top-level names), so everything inside a folder was put there by its
//! owner or under write access the owner granted: that is what lets a
//! folder's share, visibility and links reach everything below it.

use std::collections::HashMap;

use cordvault_core::{Error, Result};

use crate::db::entries::{EntryRow, ROOT_ID};
use crate::db::shares::ChainLink;
use crate::db::users::UserRow;

/// The authenticated user behind a call.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub is_admin: bool,
    /// The token version the caller's token carries.
    pub token_version: i64,
}

impl Caller {
    /// A user acting now, with the token version they currently hold.
    pub fn of(user: UserRow) -> Caller {
        Caller { user_id: user.id, username: user.username, is_admin: user.is_admin, token_version: user.token_version }
    }
}

/// How far a share reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum ShareLevel {
    #[default]
    None,
    Read,
    ReadWrite,
}

impl ShareLevel {
    pub fn from_can_write(can_write: bool) -> Self {
        if can_write { ShareLevel::ReadWrite } else { ShareLevel::Read }
    }
}

/// What an entry's place in the tree grants one caller: public on it or
/// above it, and the strongest share of the caller on it or above it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Grants {
    pub public: bool,
    pub share: ShareLevel,
}

impl Grants {
    /// The inheritance rule, written once: one level below a folder granted
    /// `self`, an entry is public when the folder is or it is, and shared
    /// as strongly as the stronger of the folder's share and its own.
    fn step(self, public: bool, own_share: Option<bool>) -> Grants {
        Grants {
            public: self.public || public,
            share: self.share.max(own_share.map(ShareLevel::from_can_write).unwrap_or_default()),
        }
    }

    /// The grants of `row`, one level below a folder with `self`; `own_share`
    /// is the caller's share on `row` itself.
    pub fn descend(self, row: &EntryRow, own_share: Option<bool>) -> Grants {
        self.step(row.is_public(), own_share)
    }

    /// The grants of the entry an ancestor chain (nearest first) leads to.
    pub fn of_chain(chain: &[ChainLink]) -> Grants {
        chain.iter().rev().fold(Grants::default(), |grants, link| grants.step(link.public, link.share))
    }
}

/// What one caller may do with one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub read: bool,
    pub write: bool,
    /// Change visibility, shares, ownership.
    pub manage: bool,
}

pub fn access(caller: &Caller, entry: &EntryRow, grants: Grants) -> Access {
    let manage = caller.is_admin || entry.owner_id == Some(caller.user_id);
    let write = manage || grants.share == ShareLevel::ReadWrite;
    let read = write || grants.public || grants.share >= ShareLevel::Read;
    Access { read, write, manage }
}

/// What one caller may do with one entry, as the one level clients show:
/// each level includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccessLevel {
    /// The name shows, nothing more.
    None,
    Read,
    Write,
    Manage,
}

pub fn access_level(caller: &Caller, entry: &EntryRow, grants: Grants) -> AccessLevel {
    // Every user lists the root, and nobody changes it.
    if entry.id == ROOT_ID {
        return AccessLevel::Read;
    }
    let access = access(caller, entry, grants);
    if access.manage {
        AccessLevel::Manage
    } else if access.write {
        AccessLevel::Write
    } else if access.read {
        AccessLevel::Read
    } else {
        AccessLevel::None
    }
}

/// The caller's shares, by entry id, for working through a whole subtree.
pub use crate::db::shares::CallerShares;

/// Grants of every row of a subtree below `top` (whose grants are `top_grants`),
/// in the order of `rows`, which must list parents before children.
pub fn subtree_grants(top: &EntryRow, top_grants: Grants, rows: &[EntryRow], shares: &CallerShares) -> Vec<Grants> {
    let mut by_folder: HashMap<i64, Grants> = HashMap::from([(top.id, top_grants)]);
    rows.iter()
        .map(|row| {
            let parent = row.parent_id.and_then(|id| by_folder.get(&id).copied()).unwrap_or_default();
            let grants = parent.descend(row, shares.get(&row.id).copied());
            if row.is_folder {
                by_folder.insert(row.id, grants);
            }
            grants
        })
        .collect()
}

/// Whether a change to an entry reaches a watcher: administrators see all,
/// others what is public or what they own or is shared with them
/// (`readers`, worked out when the change happened).
pub fn may_see_change(caller: &Caller, public: bool, readers: &[i64]) -> bool {
    caller.is_admin || public || readers.contains(&caller.user_id)
}

/// Reading a file's bytes or a folder's contents.
pub fn ensure_can_read(caller: &Caller, entry: &EntryRow, grants: Grants, path: &str) -> Result<()> {
    if access(caller, entry, grants).read {
        return Ok(());
    }
    Err(Error::permission_denied(format!("{path} is not shared with you")))
}

/// Overwriting, moving, renaming or deleting a file, or a folder together
/// with everything inside it (`descendants`, each with its grants). The
/// owner of a folder (or an administrator) may always do so, whatever others
/// put inside it under write access the owner granted; anyone else needs
/// write access to every entry inside.
pub fn ensure_can_modify(
    caller: &Caller,
    entry: &EntryRow,
    grants: Grants,
    descendants: &[(EntryRow, Grants)],
    path: &str,
) -> Result<()> {
    if entry.id == ROOT_ID {
        return Err(Error::permission_denied("the root folder cannot be changed"));
    }
    let granted = access(caller, entry, grants);
    if !granted.write {
        return Err(Error::permission_denied(format!("{path} belongs to another user")));
    }
    if granted.manage {
        return Ok(());
    }
    if descendants.iter().any(|(inner, grants)| !access(caller, inner, *grants).write) {
        return Err(Error::permission_denied(format!("{path} holds entries of another user")));
    }
    Ok(())
}

/// Changing who may access an entry, or who owns it.
pub fn ensure_can_manage(caller: &Caller, entry: &EntryRow, path: &str) -> Result<()> {
    if entry.id == ROOT_ID {
        return Err(Error::permission_denied("the root folder cannot be changed"));
    }
    if access(caller, entry, Grants::default()).manage {
        return Ok(());
    }
    Err(Error::permission_denied(format!("only the owner of {path} or an administrator may do this")))
}

/// Creating entries in `folder` (whose owner's name is `owner`): the root is
/// open to every user for top-level names, each owned by its creator; any
/// other folder needs write access (its owner, an administrator, a
/// read-write share), so nobody can plant entries in someone else's tree.
pub fn ensure_can_create_in(
    caller: &Caller,
    folder: &EntryRow,
    grants: Grants,
    owner: Option<&str>,
    path: &str,
) -> Result<()> {
    if !folder.is_folder {
        return Err(Error::failed_precondition(format!("{path} is a file, not a folder")));
    }
    if folder.id == ROOT_ID || access(caller, folder, grants).write {
        return Ok(());
    }
    let owner = owner.map(cordvault_core::path::quote).unwrap_or_else(|| "another user".to_owned());
    Err(Error::permission_denied(format!("{path} belongs to {owner}, who has not shared it with you for writing")))
}

/// RPCs of `cordvault.v1` anyone may call without a token: creating the
/// first account and logging in. (Workers call `cordvault.worker.v1`, which
/// checks the service password and worker tokens itself.)
/// Calls without a login: registering, logging in, and the data-package
/// calls, which the package's key authorises instead.
const PUBLIC_METHODS: &[&str] = &[
    "/cordvault.v1.AuthService/Register",
    "/cordvault.v1.AuthService/Login",
    "/cordvault.v1.PackageService/SubmitPackage",
    "/cordvault.v1.PackageService/GetPackageStatus",
    "/cordvault.v1.PackageService/FetchPackageResult",
    "/cordvault.v1.PackageService/DeletePackage",
    "/cordvault.v1.PackageService/LookupDiscordUser",
    "/cordvault.v1.PackageService/LookupGuildWidget",
];

pub fn is_public_method(path: &str) -> bool {
    PUBLIC_METHODS.contains(&path)
}

/// A trash item shows to its owner, to whoever deleted it (a collaborator's
/// delete lands in the owner's trash) and to administrators; to anyone
/// else it does not exist.
pub fn may_see_trash_item(caller: &Caller, item: &EntryRow) -> bool {
    caller.is_admin || item.owner_id == Some(caller.user_id) || item.trashed_by == Some(caller.user_id)
}

/// Revoking a share link: its creator or an administrator.
pub fn ensure_can_revoke_link(caller: &Caller, created_by: i64, id: &str) -> Result<()> {
    if caller.is_admin || created_by == caller.user_id {
        return Ok(());
    }
    Err(Error::permission_denied(format!(
        "link {id} was created by another user; only they or an administrator may revoke it"
    )))
}

/// An upload session is its starter's alone, administrators included.
pub fn owns_upload(caller: &Caller, upload_owner: i64) -> bool {
    upload_owner == caller.user_id
}

pub fn ensure_owns_upload(caller: &Caller, upload_owner: i64, upload_id: &str) -> Result<()> {
    if owns_upload(caller, upload_owner) {
        return Ok(());
    }
    Err(Error::permission_denied(format!("upload {upload_id} belongs to another user")))
}

pub fn ensure_admin(caller: &Caller) -> Result<()> {
    if caller.is_admin {
        return Ok(());
    }
    Err(Error::permission_denied("only an administrator may do this"))
}

/// Whether a listing shows an entry: every name by default (as the original),
/// only readable ones when the server hides the rest.
pub fn can_see(caller: &Caller, entry: &EntryRow, grants: Grants, hide_unreadable: bool) -> bool {
    !hide_unreadable || access(caller, entry, grants).read
}

#[cfg(test)]
mod tests {
    //! `access()`, `Grants::of_chain` and `subtree_grants` against a
    //! brute-force model of the rule: an entry is public when it or any
    //! folder above it is; a user's share on it is the strongest of their
    //! shares on it and on every folder above it; the owner and
    //! administrators manage it, read-write shares write it, and any share
    //! or publicity reads it.

    use proptest::prelude::*;

    use super::*;
    use cordvault_core::visibility::Visibility;

    const CALLER: i64 = 7;

    /// One generated entry: its parent (an index of an earlier entry, or
    /// the root), whether it is public, its owner, and the caller's share.
    #[derive(Debug, Clone)]
    struct Node {
        parent: Option<usize>,
        public: bool,
        owned_by_caller: bool,
        share: Option<bool>,
    }

    fn tree() -> impl Strategy<Value = Vec<Node>> {
        proptest::collection::vec((any::<prop::sample::Index>(), 0..4u8, 0..4u8, 0..4u8), 1..40).prop_map(|specs| {
            specs
                .into_iter()
                .enumerate()
                .map(|(i, (parent, public, owner, share))| Node {
                    // Entry 0 hangs below the root; later ones below an earlier one.
                    parent: (i > 0).then(|| parent.index(i)),
                    // Each at one chance in four, so that chains mix them.
                    public: public == 0,
                    owned_by_caller: owner == 0,
                    share: match share {
                        0 => Some(false),
                        1 => Some(true),
                        _ => None,
                    },
                })
                .collect()
        })
    }

    fn row(nodes: &[Node], i: usize) -> EntryRow {
        let node = &nodes[i];
        EntryRow {
            id: 100 + i as i64,
            parent_id: Some(node.parent.map_or(ROOT_ID, |parent| 100 + parent as i64)),
            name: format!("e{i}"),
            // Every entry may have children in the model; files simply have none.
            is_folder: true,
            owner_id: Some(if node.owned_by_caller { CALLER } else { 1 }),
            size: 0,
            mime_type: String::new(),
            content_id: None,
            created_at: 0,
            updated_at: 0,
            visibility: if node.public { Visibility::Public } else { Visibility::Private }.code(),
            trashed_at: None,
            trashed_by: None,
            trashed_path: None,
        }
    }

    /// Indices of `i` and every entry above it, nearest first.
    fn ancestors(nodes: &[Node], i: usize) -> Vec<usize> {
        let mut chain = vec![i];
        while let Some(parent) = nodes[*chain.last().unwrap()].parent {
            chain.push(parent);
        }
        chain
    }

    fn model(nodes: &[Node], i: usize, is_admin: bool) -> Access {
        let chain = ancestors(nodes, i);
        let public = chain.iter().any(|&j| nodes[j].public);
        let any_share = chain.iter().any(|&j| nodes[j].share.is_some());
        let write_share = chain.iter().any(|&j| nodes[j].share == Some(true));
        let manage = is_admin || nodes[i].owned_by_caller;
        Access { read: manage || public || any_share, write: manage || write_share, manage }
    }

    fn caller(is_admin: bool) -> Caller {
        Caller { user_id: CALLER, username: "caller".into(), is_admin, token_version: 0 }
    }

    proptest! {
        #[test]
        fn a_chain_grants_what_the_rule_says(nodes in tree(), is_admin in any::<bool>()) {
            let caller = caller(is_admin);
            for i in 0..nodes.len() {
                let links: Vec<ChainLink> = ancestors(&nodes, i)
                    .into_iter()
                    .map(|j| ChainLink { id: 100 + j as i64, public: nodes[j].public, share: nodes[j].share })
                    .collect();
                let granted = access(&caller, &row(&nodes, i), Grants::of_chain(&links));
                prop_assert_eq!(granted, model(&nodes, i, is_admin), "entry {}", i);
            }
        }

        #[test]
        fn a_subtree_fold_agrees_with_each_chain(nodes in tree(), is_admin in any::<bool>()) {
            let caller = caller(is_admin);
            let root = EntryRow { id: ROOT_ID, parent_id: None, ..row(&nodes, 0) };
            let root = EntryRow { visibility: Visibility::Private.code(), owner_id: None, ..root };
            let rows: Vec<EntryRow> = (0..nodes.len()).map(|i| row(&nodes, i)).collect();
            let shares: CallerShares =
                nodes.iter().enumerate().filter_map(|(i, node)| Some((100 + i as i64, node.share?))).collect();
            let grants = subtree_grants(&root, Grants::default(), &rows, &shares);
            for (i, (row, grants)) in rows.iter().zip(grants).enumerate() {
                prop_assert_eq!(access(&caller, row, grants), model(&nodes, i, is_admin), "entry {}", i);
            }
        }
    }
}
