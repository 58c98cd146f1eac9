//! Embedded migrations for both backends, applied at start-up.

use diesel::ConnectionResult;
use diesel_async::{AsyncConnection, AsyncMigrationHarness, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{Db, DbError, Pool, SqliteConn};

const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Opens a SQLite connection with the settings every connection needs.
pub(super) async fn open_sqlite(url: String) -> ConnectionResult<SqliteConn> {
    let mut conn = SqliteConn::establish(&url).await?;
    // busy_timeout first: switching to WAL takes a lock, and without a
    // timeout it fails at once while another process (a manager shutting
    // down, checkpointing as its last connection closes) holds one.
    for pragma in [
        "PRAGMA busy_timeout = 10000",
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
        "PRAGMA foreign_keys = ON",
    ] {
        diesel::sql_query(pragma)
            .execute(&mut conn)
            .await
            .map_err(|err| diesel::ConnectionError::BadConnection(err.to_string()))?;
    }
    Ok(conn)
}

pub(super) async fn apply(db: &Db) -> Result<(), DbError> {
    let failed =
        |err: Box<dyn std::error::Error + Send + Sync>| DbError::Unavailable(format!("migration failed: {err}"));
    match db.pool() {
        Pool::Sqlite(pool) => {
            let conn = pool.dedicated_connection().await.map_err(DbError::pool)?;
            let mut harness = AsyncMigrationHarness::new(conn);
            harness.run_pending_migrations(SQLITE).map_err(failed)?;
        }
        Pool::Postgres(pool) => {
            let conn = pool.dedicated_connection().await.map_err(DbError::pool)?;
            let mut harness = AsyncMigrationHarness::new(conn);
            harness.run_pending_migrations(POSTGRES).map_err(failed)?;
        }
    }
    Ok(())
}
