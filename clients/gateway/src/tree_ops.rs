//! Tree operations the protocols share, made of several API calls.

use cordvault_client::{Client, ConflictPolicy};
use cordvault_core::path::TreePath;
use cordvault_core::{Error, Result};

/// Moves `from` to `to` (another folder, another name, or both); a file at
/// `to` makes it fail, or is replaced with `ConflictPolicy::Overwrite`.
/// A move to another folder and a new name are two calls: the first one
/// takes a free name when a rename follows, so it never replaces a file
/// that merely has the old name.
pub async fn move_to(client: &Client, from: &str, to: &str, policy: ConflictPolicy) -> Result<()> {
    let (from, to) = (TreePath::parse(from)?, TreePath::parse(to)?);
    let (Some(from_name), Some(to_name)) = (from.file_name(), to.file_name()) else {
        return Err(Error::permission_denied("the root cannot be moved or replaced"));
    };
    let mut current = from.to_string();
    if from.parent() != to.parent() {
        let first = if from_name == to_name { policy } else { ConflictPolicy::Rename };
        current = client.move_entry(&current, &to.parent().to_string(), first).await?.path;
    }
    if from_name != to_name {
        client.rename(&current, to_name, policy).await?;
    }
    Ok(())
}
