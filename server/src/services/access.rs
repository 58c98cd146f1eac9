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

use crate::db::entries::{EntryRow, ROOT_ID, VISIBILITY_PUBLIC};
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
    /// The grants of `row`, one level below a folder with `self`; `own_share`
    /// is the caller's share on `row` itself.
    pub fn descend(self, row: &EntryRow, own_share: Option<bool>) -> Grants {
        Grants {
            public: self.public || row.visibility == VISIBILITY_PUBLIC,
            share: self.share.max(own_share.map(ShareLevel::from_can_write).unwrap_or_default()),
        }
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
pub type CallerShares = HashMap<i64, bool>;

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

/// Administration.
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
