//! A database for one test: a SQLite file in a temporary directory, or (with
//! `ROOKERY_TEST_DATABASE=postgres`) a PostgreSQL database created on
//! `ROOKERY_TEST_POSTGRES_URL`'s server and dropped after. Shared by the test binaries
//! that run `rookery` as a process (`#[path]`-included: each binary is its own crate).

use diesel::Connection;
use diesel::connection::SimpleConnection;

/// The database and how to reach it.
pub struct Db {
    /// Its `DATABASE_URL`.
    pub url: String,
    _dir: tempfile::TempDir,
    /// The admin URL and the database's name, on PostgreSQL.
    pub pg: Option<(String, String)>,
}

impl Db {
    /// A fresh database; `name` tells its file or database apart in a listing.
    pub fn new(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        if std::env::var("ROOKERY_TEST_DATABASE").as_deref() == Ok("postgres") {
            let admin = std::env::var("ROOKERY_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let database = format!("rookery_{name}_{}", uuid::Uuid::new_v4().simple());
            diesel::PgConnection::establish(&admin)
                .unwrap()
                .batch_execute(&format!("CREATE DATABASE {database}"))
                .unwrap();
            let base = admin.rsplit_once('/').unwrap().0.to_owned();
            return Self { url: format!("{base}/{database}"), _dir: dir, pg: Some((admin, database)) };
        }
        let url = format!("sqlite://{}", dir.path().join(format!("{name}.db")).display());
        Self { url, _dir: dir, pg: None }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg
            && let Ok(mut conn) = diesel::PgConnection::establish(admin)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}
