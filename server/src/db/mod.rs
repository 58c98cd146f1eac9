//! The metadata database: SQLite (embedded default) or PostgreSQL.
//!
//! Both backends share one body of query code: [`run!`] checks a connection
//! out of whichever pool is configured and expands the query once per
//! backend, and [`transaction!`] does the same inside a transaction.

pub mod chunks;
pub mod credentials;
pub mod entries;
pub mod leases;
pub mod legacy;
pub mod links;
pub mod locks;
pub mod lookups;
mod migrations;
pub mod offers;
pub mod packages;
pub mod properties;
pub mod quotas;
pub mod schema;
pub mod shares;
pub mod thumbnails;
pub mod uploads;
pub mod users;

use diesel::SqliteConnection;
use diesel::result::DatabaseErrorKind;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;

pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

pub enum Pool {
    Sqlite(bb8::Pool<AsyncDieselConnectionManager<SqliteConn>>),
    Postgres(bb8::Pool<AsyncDieselConnectionManager<AsyncPgConnection>>),
}

/// A handle on the metadata database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: std::sync::Arc<Pool>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Service(#[from] cordvault_core::Error),
}

impl DbError {
    pub fn pool(err: impl std::fmt::Display) -> Self {
        DbError::Unavailable(err.to_string())
    }

    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Query(diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)))
    }
}

impl From<DbError> for cordvault_core::Error {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Service(err) => err,
            DbError::Query(diesel::result::Error::NotFound) => cordvault_core::Error::not_found("no such record"),
            err @ DbError::Unavailable(_) => cordvault_core::Error::unavailable(err.to_string()),
            err => {
                tracing::error!(error = %err, "database error");
                cordvault_core::Error::internal("database error")
            }
        }
    }
}

/// Runs `$body` with `$conn` bound to a pooled connection of either backend.
macro_rules! run {
    ($db:expr, |$conn:ident| $body:expr) => {
        match $db.pool() {
            $crate::db::Pool::Sqlite(pool) => {
                let mut pooled = pool.get().await.map_err($crate::db::DbError::pool)?;
                let $conn = &mut *pooled;
                $body
            }
            $crate::db::Pool::Postgres(pool) => {
                let mut pooled = pool.get().await.map_err($crate::db::DbError::pool)?;
                let $conn = &mut *pooled;
                $body
            }
        }
    };
}

/// Runs `$body` (a block returning `Result<_, DbError>`) in a transaction.
macro_rules! transaction {
    ($db:expr, |$conn:ident| $body:block) => {
        $crate::db::run!($db, |conn| {
            use diesel_async::AsyncConnection as _;
            conn.transaction(async move |$conn| $body).await
        })
    };
}

pub(crate) use run;
pub(crate) use transaction;

impl Db {
    /// Connects to `url` (`postgres://…`, or a SQLite file path) and applies
    /// pending migrations.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
            let pool = bb8::Pool::builder().max_size(16).build(manager).await.map_err(DbError::pool)?;
            Pool::Postgres(pool)
        } else {
            let url = url.strip_prefix("sqlite://").unwrap_or(url);
            let mut config = diesel_async::pooled_connection::ManagerConfig::default();
            config.custom_setup = Box::new(|url| Box::pin(migrations::open_sqlite(url.to_owned())));
            let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(url, config);
            // SQLite has one writer; one connection keeps writers from
            // tripping over each other's locks.
            let pool = bb8::Pool::builder().max_size(1).build(manager).await.map_err(DbError::pool)?;
            Pool::Sqlite(pool)
        };
        let db = Db { pool: std::sync::Arc::new(pool) };
        migrations::apply(&db).await?;
        Ok(db)
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        match *self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Which database a [`Db`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

pub use cordvault_core::clock::now_ms;
