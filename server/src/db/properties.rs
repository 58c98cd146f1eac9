//! Dead properties of entries: opaque values under a namespace and a name
//! (WebDAV PROPPATCH). They hang off the entry's id, so they follow renames
//! and moves, and the foreign key drops them when the entry is purged.

use std::collections::{BTreeMap, HashSet};

use cordvault_core::Error;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{entries, entry_properties};
use super::{Db, DbError, run, transaction};

/// One property of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = entry_properties)]
pub struct PropertyRow {
    pub namespace: String,
    pub name: String,
    pub value: Vec<u8>,
}

/// What names a property of an entry: its namespace and its name.
pub type PropertyKey = (String, String);

impl PropertyRow {
    pub fn key(&self) -> PropertyKey {
        (self.namespace.clone(), self.name.clone())
    }
}

impl Db {
    /// An entry's properties, in no particular order.
    pub async fn properties_of(&self, entry_id: i64) -> Result<Vec<PropertyRow>, DbError> {
        run!(self, |conn| Ok(entry_properties::table
            .filter(entry_properties::entry_id.eq(entry_id))
            .select(PropertyRow::as_select())
            .load(conn)
            .await?))
    }

    /// Removes `remove` and sets `set` (adding or replacing) on an entry,
    /// all in one transaction. `check` is shown the size of every value the
    /// entry would have afterwards, by key; when it refuses, nothing
    /// changes. Changes to one entry's properties wait for each other, so
    /// the check always sees what the change applies to.
    pub async fn change_properties<F>(
        &self,
        entry_id: i64,
        set: Vec<PropertyRow>,
        remove: Vec<PropertyKey>,
        check: F,
    ) -> Result<(), DbError>
    where
        F: FnOnce(&BTreeMap<PropertyKey, usize>) -> cordvault_core::Result<()> + Send,
    {
        transaction!(self, |conn| {
            // Locks the entry's row until the end of the transaction (and
            // finds out whether it is still there).
            let locked =
                diesel::update(entries::table.find(entry_id)).set(entries::id.eq(entries::id)).execute(conn).await?;
            if locked == 0 {
                return Err(DbError::Service(Error::not_found("the entry no longer exists")));
            }
            let existing: Vec<PropertyRow> = entry_properties::table
                .filter(entry_properties::entry_id.eq(entry_id))
                .select(PropertyRow::as_select())
                .load(conn)
                .await?;
            let mut after: BTreeMap<PropertyKey, usize> =
                existing.iter().map(|row| (row.key(), row.value.len())).collect();
            for key in &remove {
                after.remove(key);
            }
            for row in &set {
                after.insert(row.key(), row.value.len());
            }
            check(&after)?;
            let existing: HashSet<PropertyKey> = existing.iter().map(PropertyRow::key).collect();
            for (namespace, name) in remove.iter().filter(|key| existing.contains(*key)) {
                diesel::delete(entry_properties::table.find((entry_id, namespace, name))).execute(conn).await?;
            }
            for row in set {
                if existing.contains(&row.key()) {
                    diesel::update(entry_properties::table.find((entry_id, &row.namespace, &row.name)))
                        .set(entry_properties::value.eq(&row.value))
                        .execute(conn)
                        .await?;
                } else {
                    diesel::insert_into(entry_properties::table)
                        .values((
                            entry_properties::entry_id.eq(entry_id),
                            entry_properties::namespace.eq(&row.namespace),
                            entry_properties::name.eq(&row.name),
                            entry_properties::value.eq(&row.value),
                        ))
                        .execute(conn)
                        .await?;
                }
            }
            Ok::<_, DbError>(())
        })
    }
}
