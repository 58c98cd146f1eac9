//! A PostgreSQL database of a test's own, dropped at the end.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

pub struct PgDatabase {
    /// URL of the test's own database.
    pub url: String,
    server_url: String,
    name: String,
}

fn admin_url(server_url: &str) -> String {
    format!("{}/postgres", server_url.trim_end_matches('/'))
}

impl PgDatabase {
    pub async fn create(server_url: &str) -> PgDatabase {
        let name = format!("cordvault_test_{}", cordvault_core_random());
        let mut conn =
            AsyncPgConnection::establish(&admin_url(server_url)).await.expect("connect to CORDVAULT_TEST_POSTGRES");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
        let url = format!("{}/{name}", server_url.trim_end_matches('/'));
        PgDatabase { url, server_url: server_url.to_owned(), name }
    }

    /// Drops the database now (dropping the value does the same).
    pub async fn drop_database(self) {
        drop(self);
    }
}

async fn drop_database(server_url: &str, name: &str) {
    let Ok(mut conn) = AsyncPgConnection::establish(&admin_url(server_url)).await else {
        eprintln!("could not connect to drop test database {name}");
        return;
    };
    if let Err(err) = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await
    {
        eprintln!("could not drop test database {name}: {err}");
    }
}

impl Drop for PgDatabase {
    /// Also on a failing test: the database goes, from a thread of its own
    /// since this may run inside the test's runtime.
    fn drop(&mut self) {
        let (server_url, name) = (self.server_url.clone(), self.name.clone());
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(drop_database(&server_url, &name));
        });
        let _ = dropper.join();
    }
}

fn cordvault_core_random() -> String {
    let mut bytes = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("random");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
