//! The trash: deleted entries wait here until restored, emptied, or purged
//! after the retention period.

use std::collections::HashMap;
use std::time::Duration;

use cordvault_core::path::{ConflictPolicy, TreePath};
use cordvault_core::{Error, Result};

use super::access::{Caller, may_see_trash_item};
use super::events::ChangeKind;
use super::tree::{EntryInfo, NamePlan, Tree};
use crate::db::entries::EntryView;

/// A trashed entry as its owner or deleter sees it.
pub struct TrashItem {
    pub original_path: TreePath,
    pub view: EntryView,
    pub deleted_at: i64,
    pub deleted_by: String,
    pub purge_at: i64,
}

#[derive(Clone)]
pub struct Trash {
    tree: Tree,
    retention: Duration,
}

impl Trash {
    pub fn new(tree: Tree, retention: Duration) -> Self {
        Trash { tree, retention }
    }

    pub async fn list(&self, caller: &Caller) -> Result<Vec<TrashItem>> {
        let db = self.tree.db();
        let views = db.trash_items(Some(caller.user_id).filter(|_| !caller.is_admin)).await?;
        let mut names: HashMap<i64, String> = HashMap::new();
        let mut items = Vec::with_capacity(views.len());
        for view in views {
            let by = view.row.trashed_by.unwrap_or_default();
            if let std::collections::hash_map::Entry::Vacant(vacant) = names.entry(by) {
                vacant.insert(db.user_by_id(by).await?.map(|user| user.username).unwrap_or_default());
            }
            let deleted_at = view.row.trashed_at.unwrap_or_default();
            let original = view.row.trashed_path.clone().unwrap_or_default();
            items.push(TrashItem {
                original_path: TreePath::parse(&original)?,
                deleted_by: names[&by].clone(),
                deleted_at,
                purge_at: deleted_at + self.retention.as_millis() as i64,
                view,
            });
        }
        Ok(items)
    }

    /// Puts an entry back at its original path, recreating missing folders
    /// and taking the next free name if the old one is taken.
    pub async fn restore(&self, caller: &Caller, trash_id: i64) -> Result<EntryInfo> {
        let view = self.trashed(caller, trash_id).await?;
        let original = TreePath::parse(view.row.trashed_path.as_deref().unwrap_or_default())?;
        let parent_path = original.parent();
        let parent = self.tree.create_folder(caller, &parent_path.to_string()).await?;
        let name = original.file_name().unwrap_or_default();
        let plan =
            self.tree.plan_name(caller, &parent_path, parent.view.row.id, name, ConflictPolicy::Rename, None).await?;
        let NamePlan::Free(name) = plan else {
            return Err(Error::internal("restoring never replaces an entry"));
        };
        self.tree.db().restore_entry(view.row.id, parent.view.row.id, &name).await?;
        let path = parent_path.join(&name)?;
        tracing::info!(%path, user = %caller.username, "restored from the trash");
        let view = self.tree.resolve(&path).await?;
        let info = EntryInfo { path, view };
        self.tree.announce(ChangeKind::Added, &info, None).await;
        Ok(info)
    }

    /// Purges every item of the trash the caller owns, and nothing else:
    /// what a read-write collaborator deleted stays in its owner's trash
    /// until the owner empties it or the retention ends.
    pub async fn empty(&self, caller: &Caller) -> Result<u64> {
        let mut purged = 0;
        for id in self.tree.db().trash_owned_by(caller.user_id).await? {
            purged += self.purge(id).await?;
        }
        Ok(purged)
    }

    /// Purges items older than the retention; run by the janitor.
    pub async fn purge_expired(&self) -> Result<u64> {
        let cutoff = self.tree.clock().now_ms() - self.retention.as_millis() as i64;
        let mut purged = 0;
        for row in self.tree.db().trashed_before(cutoff).await? {
            purged += self.purge(row.id).await?;
        }
        if purged > 0 {
            tracing::info!(entries = purged, "expired trash purged");
        }
        Ok(purged)
    }

    /// Deletes a trashed entry and everything inside it; their contents are
    /// queued for the janitor, which deletes the chunks from the store.
    async fn purge(&self, id: i64) -> Result<u64> {
        let db = self.tree.db();
        let Some(view) = db.entry(id).await? else {
            return Ok(0);
        };
        let mut rows = vec![view.row];
        rows.extend(db.descendants(id).await?);
        let count = rows.len() as u64;
        db.delete_entries(rows).await?;
        Ok(count)
    }

    async fn trashed(&self, caller: &Caller, trash_id: i64) -> Result<EntryView> {
        let missing = || Error::not_found(format!("trash item {trash_id} does not exist"));
        let view = self.tree.db().entry(trash_id).await?.ok_or_else(missing)?;
        let row = &view.row;
        if row.trashed_at.is_none() {
            return Err(missing());
        }
        if !may_see_trash_item(caller, row) {
            return Err(missing());
        }
        Ok(view)
    }
}
