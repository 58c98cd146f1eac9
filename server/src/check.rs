//! `cordvault-server check`: compares the chunk records in the database
//! with what the chunk store holds.

use std::collections::HashSet;

use cordvault_store::{ChunkLocator, ChunkStore};

use crate::db::Db;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Recorded, but not in the store: data loss.
    pub missing: Vec<String>,
    /// In the store, but no record names them.
    pub orphaned: Vec<String>,
    /// Orphans deleted by `--repair`.
    pub repaired: usize,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.orphaned.len() == self.repaired
    }
}

pub async fn check(db: &Db, store: &dyn ChunkStore, repair: bool) -> anyhow::Result<CheckReport> {
    let stored: HashSet<String> = store.list().await?.into_iter().map(|object| object.locator.0).collect();
    let recorded: HashSet<String> = db.all_locators().await?.into_iter().collect();
    let mut report = CheckReport {
        missing: recorded.difference(&stored).cloned().collect(),
        orphaned: stored.difference(&recorded).cloned().collect(),
        repaired: 0,
    };
    report.missing.sort();
    report.orphaned.sort();
    if repair {
        for orphan in &report.orphaned {
            store.delete(&ChunkLocator(orphan.clone())).await?;
            report.repaired += 1;
        }
    }
    Ok(report)
}
