//! Discord data packages: their queue (a row per package, claimed with a
//! lease like thumbnail jobs) and their sealed results.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{orphan_chunks, package_chunks, package_results, packages};
use super::{Db, DbError, now_ms, run, transaction};

pub const STEP_LOCKED: &str = "LOCKED";
pub const STEP_DOWNLOADING: &str = "DOWNLOADING";
pub const STEP_ANALYZING: &str = "ANALYZING";
pub const STEP_PROCESSED: &str = "PROCESSED";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = packages)]
pub struct PackageRow {
    pub seq: i64,
    pub package_id: String,
    pub premium: bool,
    pub step: String,
    pub errored: bool,
    pub error_code: Option<String>,
    pub source_kind: String,
    pub source_link: Option<String>,
    pub standard_total_when_joined: i64,
    pub premium_total_when_joined: i64,
    pub claimed_by: Option<String>,
    pub lease_until: Option<i64>,
    pub attempts: i32,
    pub created_at: i64,
    pub updated_at: i64,
    /// The signed-in user who submitted an upload or a stored file.
    pub owner_id: Option<i64>,
}

impl PackageRow {
    /// Waiting or being worked on: it holds a place in the queue.
    pub fn in_queue(&self) -> bool {
        !self.errored && self.step != STEP_PROCESSED
    }
}

/// Where a package's zip comes from, without its key.
#[derive(Debug, Clone, Default)]
pub struct PackageSource {
    pub kind: &'static str,
    pub link: Option<String>,
    /// An uploaded zip's chunks, in order.
    pub chunks: Vec<PackageChunk>,
    pub owner_id: Option<i64>,
}

/// A chunk of an uploaded zip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageChunk {
    pub locator: String,
    pub plain_size: i64,
}

/// The queue around one package, as dumpus clients show it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub premium_total: i64,
    pub standard_total: i64,
    /// Premium packages before this one (premium packages only).
    pub premium_ahead: i64,
    /// Packages of either lane before this one (standard packages only).
    pub standard_ahead: i64,
}

/// The unfinished packages: neither errored nor processed.
macro_rules! queued_packages {
    () => {
        packages::table.filter(packages::errored.eq(false)).filter(packages::step.ne(STEP_PROCESSED))
    };
}

/// Hands an uploaded zip's chunks to the janitor (in the caller's
/// transaction): the package no longer needs them.
macro_rules! release_uploaded_zip {
    ($conn:ident, $package_id:expr) => {{
        let locators: Vec<String> = package_chunks::table
            .filter(package_chunks::package_id.eq($package_id))
            .select(package_chunks::locator)
            .load($conn)
            .await?;
        queue_orphans!($conn, locators.iter());
        diesel::delete(package_chunks::table.filter(package_chunks::package_id.eq($package_id))).execute($conn).await?;
    }};
}

macro_rules! queue_orphans {
    ($conn:ident, $locators:expr) => {{
        let now = now_ms();
        // One row at a time: SQLite takes no batch insert from diesel.
        for locator in $locators {
            diesel::insert_into(orphan_chunks::table)
                .values((orphan_chunks::locator.eq(locator), orphan_chunks::queued_at.eq(now)))
                .execute($conn)
                .await?;
        }
    }};
}

impl Db {
    pub async fn package(&self, package_id: &str) -> Result<Option<PackageRow>, DbError> {
        run!(self, |conn| Ok(packages::table
            .filter(packages::package_id.eq(package_id))
            .select(PackageRow::as_select())
            .first(conn)
            .await
            .optional()?))
    }

    /// Queues a package, replacing an errored row of the same id; a live
    /// one (queued, running or processed) is returned as it is. The second
    /// value is true when this call queued it.
    pub async fn submit_package(&self, package_id: &str, source: PackageSource) -> Result<(PackageRow, bool), DbError> {
        let package_id = package_id.to_owned();
        transaction!(self, |conn| {
            let existing: Option<PackageRow> = packages::table
                .filter(packages::package_id.eq(&package_id))
                .select(PackageRow::as_select())
                .first(conn)
                .await
                .optional()?;
            if let Some(existing) = existing {
                if !existing.errored {
                    // This submission's own zip, if it brought one, is not needed.
                    queue_orphans!(conn, source.chunks.iter().map(|chunk| &chunk.locator));
                    return Ok::<_, DbError>((existing, false));
                }
                diesel::delete(packages::table.filter(packages::package_id.eq(&package_id))).execute(conn).await?;
            }
            let premium_total: i64 =
                queued_packages!().filter(packages::premium.eq(true)).count().get_result(conn).await?;
            let all: i64 = queued_packages!().count().get_result(conn).await?;
            let now = now_ms();
            let row = diesel::insert_into(packages::table)
                .values((
                    packages::package_id.eq(&package_id),
                    packages::step.eq(STEP_LOCKED),
                    packages::source_kind.eq(source.kind),
                    packages::source_link.eq(&source.link),
                    packages::owner_id.eq(source.owner_id),
                    packages::standard_total_when_joined.eq(all - premium_total),
                    packages::premium_total_when_joined.eq(premium_total),
                    packages::created_at.eq(now),
                    packages::updated_at.eq(now),
                ))
                .returning(PackageRow::as_returning())
                .get_result(conn)
                .await?;
            for (index, chunk) in source.chunks.iter().enumerate() {
                diesel::insert_into(package_chunks::table)
                    .values((
                        package_chunks::package_id.eq(&package_id),
                        package_chunks::chunk_index.eq(index as i64),
                        package_chunks::locator.eq(&chunk.locator),
                        package_chunks::plain_size.eq(chunk.plain_size),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok((row, true))
        })
    }

    pub async fn queue_counts(&self, package: &PackageRow) -> Result<QueueCounts, DbError> {
        let (seq, premium) = (package.seq, package.premium);
        run!(self, |conn| {
            let premium_total: i64 =
                queued_packages!().filter(packages::premium.eq(true)).count().get_result(conn).await?;
            let all: i64 = queued_packages!().count().get_result(conn).await?;
            let ahead = queued_packages!().filter(packages::seq.lt(seq));
            let (premium_ahead, standard_ahead) = if premium {
                (ahead.filter(packages::premium.eq(true)).count().get_result(conn).await?, 0)
            } else {
                (0, ahead.count().get_result(conn).await?)
            };
            Ok(QueueCounts { premium_total, standard_total: all - premium_total, premium_ahead, standard_ahead })
        })
    }

    /// Unfinished packages nobody holds a lease on, premium first, then in
    /// queue order.
    pub async fn claimable_packages(&self, limit: i64) -> Result<Vec<String>, DbError> {
        let now = now_ms();
        run!(self, |conn| Ok(queued_packages!()
            .filter(packages::lease_until.is_null().or(packages::lease_until.lt(now)))
            .order((packages::premium.desc(), packages::seq.asc()))
            .select(packages::package_id)
            .limit(limit)
            .load(conn)
            .await?))
    }

    /// Claims a package for `lease_ms` if it is still free; its attempt
    /// count after the claim, or None when another claimed it first.
    pub async fn claim_package(
        &self,
        package_id: &str,
        worker_id: &str,
        lease_ms: i64,
    ) -> Result<Option<i32>, DbError> {
        let now = now_ms();
        let free = packages::lease_until.is_null().or(packages::lease_until.lt(now));
        let claimed: Vec<i32> = run!(self, |conn| diesel::update(
            queued_packages!().filter(packages::package_id.eq(package_id)).filter(free)
        )
        .set((
            packages::claimed_by.eq(worker_id),
            packages::lease_until.eq(now + lease_ms),
            packages::attempts.eq(packages::attempts + 1),
        ))
        .returning(packages::attempts)
        .get_results(conn)
        .await)?;
        Ok(claimed.into_iter().next())
    }

    /// Extends a worker's lease; false when the package is no longer its.
    pub async fn renew_package_lease(&self, package_id: &str, worker_id: &str, lease_ms: i64) -> Result<bool, DbError> {
        run!(self, |conn| Ok(diesel::update(
            packages::table.filter(packages::package_id.eq(package_id)).filter(packages::claimed_by.eq(worker_id))
        )
        .set(packages::lease_until.eq(now_ms() + lease_ms))
        .execute(conn)
        .await?
            == 1))
    }

    /// Records the step a worker reached; false when the package is gone or no longer its.
    pub async fn set_package_step(&self, package_id: &str, worker_id: &str, step: &str) -> Result<bool, DbError> {
        run!(self, |conn| Ok(diesel::update(
            queued_packages!().filter(packages::package_id.eq(package_id)).filter(packages::claimed_by.eq(worker_id))
        )
        .set((packages::step.eq(step), packages::updated_at.eq(now_ms())))
        .execute(conn)
        .await?
            == 1))
    }

    /// Stores the result and marks the package processed, in one
    /// transaction; false when the package is gone or no longer the worker's.
    pub async fn finish_package(
        &self,
        package_id: &str,
        worker_id: &str,
        iv: &str,
        data: Vec<u8>,
    ) -> Result<bool, DbError> {
        let (package_id, worker_id, iv) = (package_id.to_owned(), worker_id.to_owned(), iv.to_owned());
        transaction!(self, |conn| {
            let now = now_ms();
            let updated = diesel::update(
                queued_packages!()
                    .filter(packages::package_id.eq(&package_id))
                    .filter(packages::claimed_by.eq(&worker_id)),
            )
            .set((
                packages::step.eq(STEP_PROCESSED),
                packages::claimed_by.eq(None::<String>),
                packages::lease_until.eq(None::<i64>),
                packages::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
            if updated == 0 {
                return Ok::<_, DbError>(false);
            }
            release_uploaded_zip!(conn, &package_id);
            diesel::insert_into(package_results::table)
                .values((
                    package_results::package_id.eq(&package_id),
                    package_results::iv.eq(&iv),
                    package_results::data.eq(&data),
                    package_results::created_at.eq(now),
                ))
                .execute(conn)
                .await?;
            Ok(true)
        })
    }

    /// Marks a package errored with a dumpus error code; it leaves the queue.
    pub async fn fail_package(&self, package_id: &str, code: &str) -> Result<(), DbError> {
        let (package_id, code) = (package_id.to_owned(), code.to_owned());
        transaction!(self, |conn| {
            diesel::update(packages::table.filter(packages::package_id.eq(&package_id)))
                .set((
                    packages::errored.eq(true),
                    packages::error_code.eq(&code),
                    packages::claimed_by.eq(None::<String>),
                    packages::lease_until.eq(None::<i64>),
                    packages::updated_at.eq(now_ms()),
                ))
                .execute(conn)
                .await?;
            release_uploaded_zip!(conn, &package_id);
            Ok::<_, DbError>(())
        })
    }

    /// Gives a package back to the queue for another attempt.
    pub async fn release_package(&self, package_id: &str, worker_id: &str) -> Result<(), DbError> {
        run!(self, |conn| {
            diesel::update(
                queued_packages!()
                    .filter(packages::package_id.eq(package_id))
                    .filter(packages::claimed_by.eq(worker_id)),
            )
            .set((
                packages::claimed_by.eq(None::<String>),
                packages::lease_until.eq(None::<i64>),
                packages::step.eq(STEP_LOCKED),
            ))
            .execute(conn)
            .await?;
            Ok(())
        })
    }

    /// Gives back every claim of a worker that left.
    pub async fn release_package_claims(&self, worker_id: &str) -> Result<(), DbError> {
        run!(self, |conn| {
            diesel::update(queued_packages!().filter(packages::claimed_by.eq(worker_id)))
                .set((
                    packages::claimed_by.eq(None::<String>),
                    packages::lease_until.eq(None::<i64>),
                    packages::step.eq(STEP_LOCKED),
                ))
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    /// Deletes a package and its result; false when there was none.
    pub async fn delete_package(&self, package_id: &str) -> Result<bool, DbError> {
        let package_id = package_id.to_owned();
        transaction!(self, |conn| {
            release_uploaded_zip!(conn, &package_id);
            diesel::delete(package_results::table.find(&package_id)).execute(conn).await?;
            let deleted =
                diesel::delete(packages::table.filter(packages::package_id.eq(&package_id))).execute(conn).await?;
            Ok::<_, DbError>(deleted == 1)
        })
    }

    /// An uploaded zip's chunks, in order.
    pub async fn package_chunks(&self, package_id: &str) -> Result<Vec<PackageChunk>, DbError> {
        let rows: Vec<(String, i64)> = run!(self, |conn| package_chunks::table
            .filter(package_chunks::package_id.eq(package_id))
            .order(package_chunks::chunk_index)
            .select((package_chunks::locator, package_chunks::plain_size))
            .load(conn)
            .await)?;
        Ok(rows.into_iter().map(|(locator, plain_size)| PackageChunk { locator, plain_size }).collect())
    }

    /// Packages a user submitted (uploads and stored files) still unfinished.
    pub async fn unfinished_packages_of(&self, owner_id: i64) -> Result<i64, DbError> {
        run!(self, |conn| Ok(queued_packages!()
            .filter(packages::owner_id.eq(owner_id))
            .count()
            .get_result(conn)
            .await?))
    }

    /// Hands chunks nothing records to the janitor (an upload that broke off).
    pub async fn queue_orphans(&self, locators: Vec<String>) -> Result<(), DbError> {
        run!(self, |conn| {
            queue_orphans!(conn, locators.iter());
            Ok(())
        })
    }

    /// The sealed result and its IV.
    pub async fn package_result(&self, package_id: &str) -> Result<Option<(String, Vec<u8>)>, DbError> {
        run!(self, |conn| Ok(package_results::table
            .find(package_id)
            .select((package_results::iv, package_results::data))
            .first(conn)
            .await
            .optional()?))
    }

    /// Moves a package to the premium lane or back; false when there is none.
    pub async fn set_package_premium(&self, package_id: &str, premium: bool) -> Result<bool, DbError> {
        run!(self, |conn| Ok(diesel::update(packages::table.filter(packages::package_id.eq(package_id)))
            .set(packages::premium.eq(premium))
            .execute(conn)
            .await?
            == 1))
    }
}
