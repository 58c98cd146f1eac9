//! Whole-folder operations: merging one folder into another, and how much
//! a folder holds.

use std::collections::HashMap;

use cordvault_core::path::{ConflictPolicy, TreePath};
use cordvault_core::{Error, Result};

use super::access::{Caller, access};
use super::events::ChangeKind;
use super::tree::{Tree, ensure_depth_fits, subtree_height};
use crate::db::entries::{EntryView, SortBy};

/// What a merge did.
#[derive(Debug, Default)]
pub struct MergeReport {
    pub moved: u64,
    /// Paths left in the source because their name was taken.
    pub skipped: Vec<String>,
}

/// Bytes and files of one MIME type.
#[derive(Debug, Default, Clone)]
pub struct MimeUsage {
    pub mime_type: String,
    pub bytes: u64,
    pub files: u64,
}

#[derive(Debug, Default)]
pub struct FolderUsage {
    pub total_bytes: u64,
    pub total_files: u64,
    pub total_folders: u64,
    /// Largest first.
    pub by_mime_type: Vec<MimeUsage>,
}

#[derive(Clone)]
pub struct Folders {
    tree: Tree,
}

impl Folders {
    pub fn new(tree: Tree) -> Self {
        Folders { tree }
    }

    /// Moves everything in `source` into `destination`: folders of the same
    /// name merge, files follow `policy` (Fail skips them); an emptied
    /// `source` is removed.
    pub async fn merge(
        &self,
        caller: &Caller,
        source: &str,
        destination: &str,
        policy: ConflictPolicy,
    ) -> Result<MergeReport> {
        let source = TreePath::parse(source)?;
        let destination = TreePath::parse(destination)?;
        let from = self.folder(&source).await?;
        let into = self.folder(&destination).await?;
        if self.tree.db().ancestry(into.row.id).await?.contains(&from.row.id) {
            return Err(Error::invalid_argument(format!("cannot merge {source} into itself ({destination})")));
        }
        let descendants = self.tree.ensure_modifiable(caller, &from.row, &source).await?;
        self.tree.ensure_can_create_in(caller, &into, &destination).await?;
        ensure_depth_fits(destination.names().len() + subtree_height(from.row.id, &descendants), &source)?;
        let mut report = MergeReport::default();
        self.merge_level(caller, &source, from.row.id, &destination, into.row.id, policy, &mut report).await?;
        if self.children(from.row.id).await?.is_empty() {
            self.tree.db().delete_entries(vec![from.row]).await?;
        }
        tracing::info!(%source, %destination, moved = report.moved, skipped = report.skipped.len(), "folders merged");
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    async fn merge_level(
        &self,
        caller: &Caller,
        source: &TreePath,
        source_id: i64,
        destination: &TreePath,
        destination_id: i64,
        policy: ConflictPolicy,
        report: &mut MergeReport,
    ) -> Result<()> {
        for child in self.children(source_id).await? {
            let name = child.row.name.clone();
            let existing = self.tree.db().child(destination_id, &name).await?;
            match existing {
                Some(existing) if existing.row.is_folder && child.row.is_folder => {
                    let (inner_source, inner_destination) = (source.join(&name)?, destination.join(&name)?);
                    self.tree.ensure_can_create_in(caller, &existing, &inner_destination).await?;
                    Box::pin(self.merge_level(
                        caller,
                        &inner_source,
                        child.row.id,
                        &inner_destination,
                        existing.row.id,
                        policy,
                        report,
                    ))
                    .await?;
                    if self.children(child.row.id).await?.is_empty() {
                        self.tree.db().delete_entries(vec![child.row]).await?;
                    }
                }
                Some(existing) if policy == ConflictPolicy::Fail || existing.row.is_folder || child.row.is_folder => {
                    report.skipped.push(source.join(&name)?.to_string());
                }
                _ => {
                    let moved =
                        self.tree.place(caller, child.row.id, destination, destination_id, &name, policy).await?;
                    self.tree.announce(ChangeKind::Moved, &moved, Some(&source.join(&name)?)).await;
                    report.moved += 1;
                }
            }
        }
        Ok(())
    }

    /// Sizes per MIME type of everything below `path` the caller may read.
    pub async fn usage(&self, caller: &Caller, path: &str) -> Result<FolderUsage> {
        let path = TreePath::parse(path)?;
        let folder = self.folder(&path).await?;
        // Names are visible to all, so counting needs no access to the
        // folder itself; only readable files are counted.
        let grants = self.tree.grants(caller, &folder.row).await?;
        let mut usage = FolderUsage::default();
        let mut by_mime: HashMap<String, MimeUsage> = HashMap::new();
        for (row, grants) in self.tree.subtree(caller, &folder.row, grants).await? {
            if row.is_folder {
                usage.total_folders += 1;
                continue;
            }
            if !access(caller, &row, grants).read {
                continue;
            }
            let mime = if row.mime_type.is_empty() { "application/octet-stream".to_owned() } else { row.mime_type };
            let entry =
                by_mime.entry(mime.clone()).or_insert_with(|| MimeUsage { mime_type: mime, ..Default::default() });
            entry.bytes += row.size as u64;
            entry.files += 1;
            usage.total_bytes += row.size as u64;
            usage.total_files += 1;
        }
        usage.by_mime_type = by_mime.into_values().collect();
        usage.by_mime_type.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.mime_type.cmp(&b.mime_type)));
        Ok(usage)
    }

    async fn folder(&self, path: &TreePath) -> Result<EntryView> {
        let view = self.tree.resolve(path).await?;
        if !view.row.is_folder {
            return Err(Error::failed_precondition(format!("{path} is a file, not a folder")));
        }
        Ok(view)
    }

    async fn children(&self, folder_id: i64) -> Result<Vec<EntryView>> {
        Ok(self.tree.db().list_children(folder_id, SortBy::Name, false, 0, i64::MAX).await?)
    }
}
