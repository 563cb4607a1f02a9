//! A database that exists for one part of the run: a SQLite file in a temporary
//! directory, or a PostgreSQL database created on the server and dropped after.

use std::path::{Path, PathBuf};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::Backend;

/// Removed (the directory, or the PostgreSQL database) when dropped.
pub struct Scratch {
    /// The database URL, as `DATABASE_URL` takes it.
    pub url: String,
    /// Where scratch files go (the SQLite file's directory, or another temporary one).
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Scratch {
    pub fn create(backend: Backend, admin_url: &str) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("rookery-bench-").tempdir()?;
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("rookery.db").display());
                Ok(Self { url, dir, postgres: None })
            }
            Backend::Postgres => {
                let name = format!("rookery_bench_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(admin_url)
                    .with_context(|| format!("connecting to PostgreSQL at {admin_url}"))?;
                admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
                let (server, query) = admin_url.split_once('?').unwrap_or((admin_url, ""));
                let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
                // Loopback needs no TLS, and libpq's default (`prefer`) would pay for it
                // on every statement (docs/operations.md); a URL with its own
                // parameters keeps them.
                let query = if query.is_empty() { "sslmode=disable" } else { query };
                let url = format!("{base}/{name}?{query}");
                Ok(Self { url, dir, postgres: Some((admin_url.to_owned(), name)) })
            }
        }
    }

    /// The SQLite file, on SQLite.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.postgres.is_none().then(|| self.dir.path().join("rookery.db"))
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres {
            match PgConnection::establish(admin_url) {
                Ok(mut admin) => {
                    if let Err(e) = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")) {
                        eprintln!("could not drop database {name}: {e}");
                    }
                }
                Err(e) => eprintln!("could not drop database {name}: {e}"),
            }
        }
    }
}
