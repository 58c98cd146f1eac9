//! The folder tree: resolving paths, listing, creating, moving, deleting.

use std::collections::HashMap;

use cordvault_core::clock::Clock;
use cordvault_core::fields::PageToken;
use cordvault_core::path::{ConflictPolicy, TreePath, numbered_name};
use cordvault_core::visibility::Visibility;
use cordvault_core::{Error, Result};

use super::access::{
    AccessLevel, Caller, Grants, access_level, can_see, ensure_can_create_in, ensure_can_modify, ensure_can_read,
    subtree_grants,
};
use super::events::{ChangeKind, Events};
use super::quotas::{Needs, QuotaLimits, Quotas};
use crate::db::entries::{EntryRow, EntryView, NewEntry, ROOT_ID, SortBy};
use crate::db::{Db, now_ms};

use cordvault_core::limits::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
/// How many "name (n)" alternatives to try before giving up.
const MAX_NUMBERED_NAMES: u32 = 10_000;

/// An entry and the path it was found at.
#[derive(Debug, Clone)]
pub struct EntryInfo {
    pub path: TreePath,
    pub view: EntryView,
}

/// Where a new or moved entry will go.
pub enum NamePlan {
    Free(String),
    Replace(EntryRow),
}

#[derive(Clone)]
pub struct Tree {
    db: Db,
    /// Listings show only what the caller may read.
    hide_unreadable: bool,
    events: Option<Events>,
    quotas: Quotas,
    /// What expiry and retention decisions go by.
    clock: Clock,
}

impl Tree {
    pub fn new(db: Db) -> Self {
        let quotas = Quotas::new(db.clone(), QuotaLimits::UNLIMITED);
        Tree { db, hide_unreadable: false, events: None, quotas, clock: Clock::system() }
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn with_quotas(mut self, quotas: Quotas) -> Self {
        self.quotas = quotas;
        self
    }

    pub fn quotas(&self) -> &Quotas {
        &self.quotas
    }

    pub fn with_events(mut self, events: Events) -> Self {
        self.events = Some(events);
        self
    }

    /// Tells watchers what happened to `info` (moved from `previous`).
    pub async fn announce(&self, kind: ChangeKind, info: &EntryInfo, previous: Option<&TreePath>) {
        if let Some(events) = &self.events {
            let previous = previous.map(ToString::to_string).unwrap_or_default();
            events.publish(kind, info.view.row.id, info.view.row.is_folder, info.path.to_string(), previous).await;
        }
    }

    pub fn hiding_unreadable(mut self, hide: bool) -> Self {
        self.hide_unreadable = hide;
        self
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// What the caller is granted on `row` by its place in the tree.
    pub async fn grants(&self, caller: &Caller, row: &EntryRow) -> Result<Grants> {
        Ok(Grants::of_chain(&self.db.ancestor_chain(Some(caller.user_id), row.id).await?))
    }

    /// Everything below `row`, parents before children, each with the
    /// caller's grants.
    pub async fn subtree(&self, caller: &Caller, row: &EntryRow, grants: Grants) -> Result<Vec<(EntryRow, Grants)>> {
        let rows = self.db.descendants(row.id).await?;
        let shares = self.db.shares_of_user(caller.user_id).await?;
        let grants = subtree_grants(row, grants, &rows, &shares);
        Ok(rows.into_iter().zip(grants).collect())
    }

    /// Where an entry sits in the tree now; None when it is in the trash.
    pub async fn path_of(&self, id: i64) -> Result<Option<TreePath>> {
        let chain = self.db.ancestry(id).await?;
        if chain.first() != Some(&ROOT_ID) {
            return Ok(None);
        }
        let mut path = TreePath::root();
        for id in chain.into_iter().skip(1) {
            let Some(entry) = self.db.entry(id).await? else {
                return Ok(None);
            };
            path = path.join(&entry.row.name)?;
        }
        Ok(Some(path))
    }

    pub async fn resolve(&self, path: &TreePath) -> Result<EntryView> {
        match self.db.walk(path.names()).await? {
            Ok(view) => Ok(view),
            Err(found) => {
                let missing: String = path.names()[..=found].iter().map(|name| format!("/{name}")).collect();
                Err(Error::not_found(format!("{missing} does not exist")))
            }
        }
    }

    async fn resolve_folder(&self, path: &TreePath) -> Result<EntryView> {
        let folder = self.resolve(path).await?;
        if !folder.row.is_folder {
            return Err(Error::failed_precondition(format!("{path} is a file, not a folder")));
        }
        Ok(folder)
    }

    /// An entry and what the caller may do with it.
    pub async fn stat(&self, caller: &Caller, path: &str) -> Result<(EntryInfo, AccessLevel)> {
        let path = TreePath::parse(path)?;
        let view = self.resolve(&path).await?;
        let grants = self.grants(caller, &view.row).await?;
        if self.hide_unreadable && !path.is_root() {
            ensure_can_read(caller, &view.row, grants, &path.to_string())?;
        }
        let level = access_level(caller, &view.row, grants);
        Ok((EntryInfo { path, view }, level))
    }

    /// One page of a folder, folders first, each entry with what the caller
    /// may do with it. Every user sees every name unless the server hides
    /// unreadable ones; then a page may come back shorter than asked, and
    /// only an empty page token means the end.
    pub async fn list(
        &self,
        caller: &Caller,
        path: &str,
        page_size: u32,
        page_token: &str,
        sort_by: SortBy,
        descending: bool,
    ) -> Result<(Vec<(EntryInfo, AccessLevel)>, String)> {
        let path = TreePath::parse(path)?;
        let page_size = match page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if n > MAX_PAGE_SIZE => {
                return Err(Error::invalid_argument(format!("page_size {n} is over the limit of {MAX_PAGE_SIZE}")));
            }
            n => n,
        };
        let page = PageToken::parse(page_token)?;
        let folder = self.resolve_folder(&path).await?;
        // One extra row tells whether another page follows.
        let mut views =
            self.db.list_children(folder.row.id, sort_by, descending, page.offset, i64::from(page_size) + 1).await?;
        let next_page_token = if views.len() > page_size as usize {
            views.truncate(page_size as usize);
            page.after(page_size)
        } else {
            String::new()
        };
        let folder_grants = self.grants(caller, &folder.row).await?;
        let shares = self.db.shares_of_user(caller.user_id).await?;
        let mut entries = Vec::with_capacity(views.len());
        for view in views {
            let grants = folder_grants.descend(&view.row, shares.get(&view.row.id).copied());
            if !can_see(caller, &view.row, grants, self.hide_unreadable) {
                continue;
            }
            let level = access_level(caller, &view.row, grants);
            entries.push((EntryInfo { path: path.join(&view.row.name)?, view }, level));
        }
        Ok((entries, next_page_token))
    }

    /// Creates a folder and its missing parents. An existing folder is fine
    /// when the caller may write in it; one the caller may not write in is
    /// never silently adopted, so nobody saves into a folder someone else
    /// controls without knowing.
    pub async fn create_folder(&self, caller: &Caller, path: &str) -> Result<EntryInfo> {
        let path = TreePath::parse(path)?;
        let mut current = self.resolve(&TreePath::root()).await?;
        let mut current_path = TreePath::root();
        for name in path.names() {
            let parent_path = current_path.clone();
            current_path = current_path.join(name)?;
            current = match self.db.child(current.row.id, name).await? {
                Some(existing) => existing,
                None => {
                    self.ensure_can_create_in(caller, &current, &parent_path).await?;
                    let view = self.insert_folder(caller, current.row.id, name).await?;
                    let info = EntryInfo { path: current_path.clone(), view };
                    self.announce(ChangeKind::Added, &info, None).await;
                    info.view
                }
            };
        }
        if !current.row.is_folder {
            return Err(Error::already_exists(format!("{path} exists and is a file")));
        }
        if !path.is_root() {
            self.ensure_can_create_in(caller, &current, &path).await?;
        }
        Ok(EntryInfo { path, view: current })
    }

    /// Checks the caller may create entries in `folder` (at `path`).
    pub async fn ensure_can_create_in(&self, caller: &Caller, folder: &EntryView, path: &TreePath) -> Result<()> {
        let grants = self.grants(caller, &folder.row).await?;
        ensure_can_create_in(caller, &folder.row, grants, folder.owner.as_deref(), &path.to_string())
    }

    async fn insert_folder(&self, caller: &Caller, parent_id: i64, name: &str) -> Result<EntryView> {
        let _quota = self.quotas.reserve(caller, Needs { entries: 1, ..Needs::default() }).await?;
        let now = now_ms();
        let folder = NewEntry {
            parent_id,
            name,
            is_folder: true,
            owner_id: caller.user_id,
            size: 0,
            mime_type: "",
            content_id: None,
            created_at: now,
            updated_at: now,
            visibility: Visibility::Private.code(),
        };
        match self.db.insert_entry(folder).await {
            // Someone created it at the same moment: use theirs.
            Err(err) if err.is_unique_violation() => {}
            result => {
                result?;
            }
        }
        self.db
            .child(parent_id, name)
            .await?
            .ok_or_else(|| Error::unavailable("a folder vanished while it was being created; try again"))
    }

    /// Decides the name an entry gets in `parent_id` under `policy`.
    /// `moving` is the entry being moved, which does not conflict with itself.
    pub async fn plan_name(
        &self,
        caller: &Caller,
        parent: &TreePath,
        parent_id: i64,
        name: &str,
        policy: ConflictPolicy,
        moving: Option<i64>,
    ) -> Result<NamePlan> {
        let Some(existing) = self.db.child(parent_id, name).await? else {
            return Ok(NamePlan::Free(name.to_owned()));
        };
        if Some(existing.row.id) == moving {
            return Ok(NamePlan::Free(name.to_owned()));
        }
        let target = parent.join(name)?;
        match policy {
            ConflictPolicy::Fail => Err(Error::already_exists(format!("{target} already exists"))),
            ConflictPolicy::Rename => {
                for n in 1..=MAX_NUMBERED_NAMES {
                    let candidate = numbered_name(name, n);
                    if self.db.child(parent_id, &candidate).await?.is_none() {
                        return Ok(NamePlan::Free(candidate));
                    }
                }
                Err(Error::already_exists(format!("no free name left for {target}")))
            }
            ConflictPolicy::Overwrite => {
                if existing.row.is_folder {
                    return Err(Error::already_exists(format!("{target} is a folder and cannot be overwritten")));
                }
                let grants = self.grants(caller, &existing.row).await?;
                ensure_can_modify(caller, &existing.row, grants, &[], &target.to_string())?;
                Ok(NamePlan::Replace(existing.row))
            }
        }
    }

    pub async fn move_entry(
        &self,
        caller: &Caller,
        path: &str,
        destination: &str,
        policy: ConflictPolicy,
    ) -> Result<EntryInfo> {
        let path = TreePath::parse(path)?;
        let destination = TreePath::parse(destination)?;
        let entry = self.resolve(&path).await?;
        let name = path.file_name().unwrap_or_default().to_owned();
        let folder = self.resolve_folder(&destination).await?;
        let descendants = self.ensure_modifiable(caller, &entry.row, &path).await?;
        if entry.row.is_folder && self.db.ancestry(folder.row.id).await?.contains(&entry.row.id) {
            return Err(Error::invalid_argument(format!("cannot move {path} into itself ({destination})")));
        }
        ensure_depth_fits(destination.names().len() + 1 + subtree_height(entry.row.id, &descendants), &path)?;
        self.ensure_can_create_in(caller, &folder, &destination).await?;
        let moved = self.place(caller, entry.row.id, &destination, folder.row.id, &name, policy).await?;
        self.announce(ChangeKind::Moved, &moved, Some(&path)).await;
        Ok(moved)
    }

    pub async fn rename(
        &self,
        caller: &Caller,
        path: &str,
        new_name: &str,
        policy: ConflictPolicy,
    ) -> Result<EntryInfo> {
        let path = TreePath::parse(path)?;
        let new_name = &cordvault_core::path::normalize_name(new_name)?;
        let entry = self.resolve(&path).await?;
        self.ensure_modifiable(caller, &entry.row, &path).await?;
        let parent = path.parent();
        let parent_id = entry.row.parent_id.unwrap_or(ROOT_ID);
        let renamed = self.place(caller, entry.row.id, &parent, parent_id, new_name, policy).await?;
        self.announce(ChangeKind::Moved, &renamed, Some(&path)).await;
        Ok(renamed)
    }

    pub async fn place(
        &self,
        caller: &Caller,
        id: i64,
        parent: &TreePath,
        parent_id: i64,
        name: &str,
        policy: ConflictPolicy,
    ) -> Result<EntryInfo> {
        let plan = self.plan_name(caller, parent, parent_id, name, policy, Some(id)).await?;
        let (name, replaced) = match plan {
            NamePlan::Free(name) => (name, None),
            NamePlan::Replace(existing) => (name.to_owned(), Some(existing)),
        };
        let target = parent.join(&name)?;
        match self.db.place_entry(id, parent_id, &name, replaced.as_ref()).await {
            Err(err) if err.is_unique_violation() => Err(Error::already_exists(format!("{target} already exists"))),
            result => result.map_err(Error::from),
        }?;
        let view = self.db.entry(id).await?.ok_or_else(|| Error::not_found(format!("{target} vanished")))?;
        Ok(EntryInfo { path: target, view })
    }

    /// Moves an entry to the trash; returns how many entries went and the trash id.
    pub async fn delete(&self, caller: &Caller, path: &str, recursive: bool) -> Result<(u64, i64)> {
        let path = TreePath::parse(path)?;
        if path.is_root() {
            return Err(Error::permission_denied("the root folder cannot be deleted"));
        }
        let entry = self.resolve(&path).await?;
        let descendants = self.ensure_modifiable(caller, &entry.row, &path).await?;
        if !descendants.is_empty() && !recursive {
            return Err(Error::failed_precondition(format!("{path} is not empty; delete it recursively")));
        }
        let count = descendants.len() as u64 + 1;
        // Who may see the deletion is decided while the entry still sits in its folder.
        let event = match &self.events {
            Some(events) => {
                let (id, is_folder) = (entry.row.id, entry.row.is_folder);
                Some(events.prepare(ChangeKind::Deleted, id, is_folder, path.to_string(), String::new()).await)
            }
            None => None,
        };
        let inside = descendants.iter().map(|(row, _)| row.id).collect();
        let mut items = vec![(entry.row.id, path.to_string())];
        items.extend(foreign_subtrees(&entry.row, &path, &descendants)?);
        self.db.trash_entries(items, caller.user_id, inside).await?;
        if let (Some(events), Some(event)) = (&self.events, event) {
            events.send(event).await;
        }
        tracing::info!(%path, entries = count, user = %caller.username, "moved to the trash");
        Ok((count, entry.row.id))
    }

    /// Checks the caller may change `entry` (and, for a folder, everything
    /// in it); returns what is inside.
    pub async fn ensure_modifiable(
        &self,
        caller: &Caller,
        entry: &EntryRow,
        path: &TreePath,
    ) -> Result<Vec<(EntryRow, Grants)>> {
        let grants = self.grants(caller, entry).await?;
        let descendants = if entry.is_folder { self.subtree(caller, entry, grants).await? } else { Vec::new() };
        ensure_can_modify(caller, entry, grants, &descendants, &path.to_string())?;
        Ok(descendants)
    }
}

/// How many levels below `top` its deepest descendant sits (0 for none).
/// `descendants` lists parents first.
pub fn subtree_height(top: i64, descendants: &[(EntryRow, Grants)]) -> usize {
    let mut depths: HashMap<i64, usize> = HashMap::from([(top, 0)]);
    let mut height = 0;
    for (row, _) in descendants {
        let depth = row.parent_id.and_then(|parent| depths.get(&parent)).map_or(0, |depth| depth + 1);
        height = height.max(depth);
        if row.is_folder {
            depths.insert(row.id, depth);
        }
    }
    height
}

/// Refuses a move or merge that would put an entry of `path` deeper than
/// paths may go, where it could no longer be named.
pub fn ensure_depth_fits(deepest: usize, path: &TreePath) -> Result<()> {
    if deepest <= cordvault_core::path::MAX_DEPTH {
        return Ok(());
    }
    Err(Error::invalid_argument(format!(
        "moving {path} there would nest entries {deepest} folders deep, more than {}",
        cordvault_core::path::MAX_DEPTH
    )))
}

/// The entries inside a folder being deleted that belong to someone other
/// than the owner of the folder they sit in, with their paths: each goes to
/// the trash as an item of its own, so that it lands in its owner's trash
/// and only its owner can empty it. `descendants` lists parents first.
fn foreign_subtrees(top: &EntryRow, path: &TreePath, descendants: &[(EntryRow, Grants)]) -> Result<Vec<(i64, String)>> {
    let mut folders: HashMap<i64, (Option<i64>, TreePath)> = HashMap::from([(top.id, (top.owner_id, path.clone()))]);
    let mut foreign = Vec::new();
    for (row, _) in descendants {
        let Some((parent_owner, parent_path)) = row.parent_id.and_then(|parent| folders.get(&parent)) else {
            continue;
        };
        let row_path = parent_path.join(&row.name)?;
        if row.owner_id != *parent_owner {
            foreign.push((row.id, row_path.to_string()));
        }
        if row.is_folder {
            folders.insert(row.id, (row.owner_id, row_path));
        }
    }
    Ok(foreign)
}
