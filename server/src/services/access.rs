//! Who may do what. Every permission decision of the server is made here.

use cordvault_core::{Error, Result};

use crate::db::entries::EntryRow;

/// The authenticated user behind a call.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub is_admin: bool,
    /// The token version the caller's token carries.
    pub token_version: i64,
}

fn owns(caller: &Caller, entry: &EntryRow) -> bool {
    caller.is_admin || entry.owner_id == Some(caller.user_id)
}

/// Reading a file's bytes: its owner and administrators.
pub fn ensure_can_read(caller: &Caller, entry: &EntryRow, path: &str) -> Result<()> {
    if owns(caller, entry) {
        return Ok(());
    }
    Err(Error::permission_denied(format!("{path} belongs to another user")))
}

/// Overwriting, moving, renaming or deleting a file, or a folder whose
/// contents the caller also owns (`descendants`).
pub fn ensure_can_modify(caller: &Caller, entry: &EntryRow, descendants: &[EntryRow], path: &str) -> Result<()> {
    if entry.id == crate::db::entries::ROOT_ID {
        return Err(Error::permission_denied("the root folder cannot be changed"));
    }
    if !owns(caller, entry) {
        return Err(Error::permission_denied(format!("{path} belongs to another user")));
    }
    if descendants.iter().any(|inner| !owns(caller, inner)) {
        return Err(Error::permission_denied(format!("{path} holds entries of another user")));
    }
    Ok(())
}

/// Creating entries: any user, in any folder of the shared tree.
pub fn ensure_can_create_in(_caller: &Caller, folder: &EntryRow, path: &str) -> Result<()> {
    if !folder.is_folder {
        return Err(Error::failed_precondition(format!("{path} is a file, not a folder")));
    }
    Ok(())
}

/// Administration: creating accounts once the first exists.
pub fn ensure_admin(caller: &Caller) -> Result<()> {
    if caller.is_admin {
        return Ok(());
    }
    Err(Error::permission_denied("only an administrator may do this"))
}
