//! Dead properties of entries, for WebDAV PROPPATCH and PROPFIND: values a
//! client stores under a namespace and a name. Setting them needs what
//! renaming the entry needs; reading them, read access.

use std::collections::{BTreeMap, HashSet};

use cordvault_core::path::{TreePath, quote};
use cordvault_core::{Error, Result};

use super::access::{AccessLevel, Caller, access_level, ensure_can_modify};
use super::tree::Tree;
use crate::db::properties::{PropertyKey, PropertyRow};

/// Longest name, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Longest namespace, in bytes.
pub const MAX_NAMESPACE_BYTES: usize = 1024;
/// Largest value, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Properties one entry may have.
pub const MAX_PROPERTIES_PER_ENTRY: usize = 100;
/// Bytes of values one entry may have, all its properties together.
pub const MAX_VALUE_BYTES_PER_ENTRY: usize = 256 * 1024;
/// Removals one request may ask for.
pub const MAX_REMOVALS: usize = 1000;

fn describe((namespace, name): &PropertyKey) -> String {
    format!("property {} of namespace {}", quote(name), quote(namespace))
}

fn validate_key(key: &PropertyKey) -> Result<()> {
    let (namespace, name) = key;
    if name.is_empty() {
        return Err(Error::invalid_argument(format!("a property of namespace {} has no name", quote(namespace))));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(Error::invalid_argument(format!(
            "the name of {} is {} bytes long, more than {MAX_NAME_BYTES}",
            describe(key),
            name.len()
        )));
    }
    if namespace.len() > MAX_NAMESPACE_BYTES {
        return Err(Error::invalid_argument(format!(
            "the namespace of {} is {} bytes long, more than {MAX_NAMESPACE_BYTES}",
            describe(key),
            namespace.len()
        )));
    }
    if namespace.chars().chain(name.chars()).any(char::is_control) {
        return Err(Error::invalid_argument(format!(
            "the name and namespace of {} may not contain control characters",
            describe(key)
        )));
    }
    Ok(())
}

/// The checks a change passes before anything is looked up: each name,
/// namespace and value within its limit, each property named once.
pub fn validate_change(set: &[PropertyRow], remove: &[PropertyKey]) -> Result<()> {
    if set.len() > MAX_PROPERTIES_PER_ENTRY {
        return Err(Error::invalid_argument(format!(
            "an entry has at most {MAX_PROPERTIES_PER_ENTRY} properties; this sets {}",
            set.len()
        )));
    }
    if remove.len() > MAX_REMOVALS {
        return Err(Error::invalid_argument(format!(
            "one request removes at most {MAX_REMOVALS} properties; this removes {}",
            remove.len()
        )));
    }
    let mut seen = HashSet::new();
    let keys = set.iter().map(PropertyRow::key).chain(remove.iter().cloned());
    for key in keys {
        validate_key(&key)?;
        if !seen.insert(key.clone()) {
            return Err(Error::invalid_argument(format!(
                "{} is named more than once; set or remove each property once",
                describe(&key)
            )));
        }
    }
    if let Some(row) = set.iter().find(|row| row.value.len() > MAX_VALUE_BYTES) {
        return Err(Error::invalid_argument(format!(
            "the value of {} is {} bytes, more than {} KiB",
            describe(&row.key()),
            row.value.len(),
            MAX_VALUE_BYTES / 1024
        )));
    }
    Ok(())
}

/// The limits of an entry as a whole, on what it would have after a change.
fn check_totals(after: &BTreeMap<PropertyKey, usize>) -> Result<()> {
    if after.len() > MAX_PROPERTIES_PER_ENTRY {
        return Err(Error::invalid_argument(format!(
            "an entry has at most {MAX_PROPERTIES_PER_ENTRY} properties; this change would leave it {}",
            after.len()
        )));
    }
    let total: usize = after.values().sum();
    if total > MAX_VALUE_BYTES_PER_ENTRY {
        return Err(Error::invalid_argument(format!(
            "an entry's property values take at most {} KiB together; this change would leave {total} bytes",
            MAX_VALUE_BYTES_PER_ENTRY / 1024
        )));
    }
    Ok(())
}

#[derive(Clone)]
pub struct Properties {
    tree: Tree,
}

impl Properties {
    pub fn new(tree: Tree) -> Self {
        Properties { tree }
    }

    /// Sets `set` and removes `remove` on the entry at `path`, all or nothing.
    pub async fn change(
        &self,
        caller: &Caller,
        path: &str,
        set: Vec<PropertyRow>,
        remove: Vec<PropertyKey>,
    ) -> Result<()> {
        let path = TreePath::parse(path)?;
        validate_change(&set, &remove)?;
        let entry = self.tree.resolve(&path).await?;
        let grants = self.tree.grants(caller, &entry.row).await?;
        // As renaming it: write access to the entry itself; a folder's
        // properties are the folder's, not its contents'.
        ensure_can_modify(caller, &entry.row, grants, &[], &path.to_string())?;
        let (set_count, remove_count) = (set.len(), remove.len());
        self.tree.db().change_properties(entry.row.id, set, remove, check_totals).await?;
        tracing::debug!(%path, set = set_count, removed = remove_count, user = %caller.username, "properties changed");
        Ok(())
    }

    /// The properties of the entry at `path`, by namespace, then name.
    pub async fn get(&self, caller: &Caller, path: &str) -> Result<Vec<PropertyRow>> {
        let path = TreePath::parse(path)?;
        let entry = self.tree.resolve(&path).await?;
        let grants = self.tree.grants(caller, &entry.row).await?;
        if access_level(caller, &entry.row, grants) < AccessLevel::Read {
            return Err(Error::permission_denied(format!("{path} is not shared with you")));
        }
        let mut rows = self.tree.db().properties_of(entry.row.id).await?;
        rows.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(namespace: &str, name: &str, len: usize) -> PropertyRow {
        PropertyRow { namespace: namespace.into(), name: name.into(), value: vec![b'x'; len] }
    }

    fn key(namespace: &str, name: &str) -> PropertyKey {
        (namespace.into(), name.into())
    }

    #[test]
    fn limits_of_one_change() {
        let long_name = "n".repeat(MAX_NAME_BYTES);
        let long_namespace = "u".repeat(MAX_NAMESPACE_BYTES);
        let fine = [row("DAV:", "a", MAX_VALUE_BYTES), row(&long_namespace, &long_name, 0), row("", "b", 1)];
        validate_change(&fine, &[key("DAV:", "c")]).unwrap();
        let too_many: Vec<PropertyRow> = (0..=MAX_PROPERTIES_PER_ENTRY).map(|i| row("", &i.to_string(), 0)).collect();
        let too_many_removals: Vec<PropertyKey> = (0..=MAX_REMOVALS).map(|i| key("", &i.to_string())).collect();
        let cases: Vec<(Vec<PropertyRow>, Vec<PropertyKey>, &str)> = vec![
            (vec![row("", "", 1)], vec![], "no name"),
            (vec![row("", &format!("{long_name}n"), 1)], vec![], "more than 256"),
            (vec![row(&format!("{long_namespace}u"), "a", 1)], vec![], "more than 1024"),
            (vec![row("", "a", MAX_VALUE_BYTES + 1)], vec![], "more than 64 KiB"),
            (vec![row("", "a\0", 1)], vec![], "control characters"),
            (vec![], vec![key("ns\n", "a")], "control characters"),
            (vec![row("", "a", 1), row("", "a", 2)], vec![], "more than once"),
            (vec![row("", "a", 1)], vec![key("", "a")], "more than once"),
            (too_many, vec![], "at most 100 properties"),
            (vec![], too_many_removals, "at most 1000"),
        ];
        for (set, remove, expected) in cases {
            let err = validate_change(&set, &remove).unwrap_err();
            assert_eq!(err.code, cordvault_core::ErrorCode::InvalidArgument);
            assert!(err.message.contains(expected), "{expected}: {}", err.message);
        }
    }

    #[test]
    fn limits_of_an_entry() {
        let full: BTreeMap<PropertyKey, usize> =
            (0..MAX_PROPERTIES_PER_ENTRY).map(|i| (key("", &i.to_string()), 0)).collect();
        check_totals(&full).unwrap();
        let mut over = full.clone();
        over.insert(key("", "one more"), 0);
        assert!(check_totals(&over).unwrap_err().message.contains("at most 100"));
        let heavy: BTreeMap<PropertyKey, usize> = (0..4).map(|i| (key("", &i.to_string()), MAX_VALUE_BYTES)).collect();
        check_totals(&heavy).unwrap();
        let mut heavier = heavy.clone();
        heavier.insert(key("", "x"), 1);
        assert!(check_totals(&heavier).unwrap_err().message.contains("256 KiB"));
    }
}
