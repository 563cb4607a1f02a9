//! The schema's version: running the embedded migrations, reading which ones a
//! database carries without writing to it, and moving it to a chosen version (the
//! rollback half of an upgrade).
//!
//! A binary refuses a database that carries a migration it does not embed: that
//! database was migrated by a newer Rookery, whose tables and constraints this binary
//! would misread or break.

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::DbConnection;
use crate::database::Database;
use crate::error::OpenError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// An arbitrary key for the advisory lock that keeps two instances starting at once
/// from running the same migrations concurrently.
const MIGRATION_LOCK_KEY: i64 = 0x0072_6f6f_6b65_7279;

/// Which migrations a database carries, against those this binary embeds. Versions
/// are diesel's (the directory name's date and sequence, digits only), oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Applied to the database.
    pub applied: Vec<String>,
    /// Embedded in this binary.
    pub known: Vec<String>,
}

impl SchemaStatus {
    /// Applied migrations this binary does not know (a newer Rookery's).
    #[must_use]
    pub fn unknown(&self) -> Vec<String> {
        self.applied.iter().filter(|v| !self.known.contains(v)).cloned().collect()
    }

    /// Known migrations not yet applied.
    #[must_use]
    pub fn pending(&self) -> Vec<String> {
        self.known.iter().filter(|v| !self.applied.contains(v)).cloned().collect()
    }

    /// True when the database has never been migrated (an empty database).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty()
    }
}

/// What [`Database::migrate_to`] did, in the order it did it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationSteps {
    /// Reverted, newest first.
    pub reverted: Vec<String>,
    /// Applied, oldest first.
    pub applied: Vec<String>,
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn known<DB: diesel::backend::Backend>(source: &EmbeddedMigrations) -> Result<Vec<String>, OpenError>
where
    EmbeddedMigrations: MigrationSource<DB>,
{
    let mut versions: Vec<String> = MigrationSource::<DB>::migrations(source)
        .map_err(|e| OpenError::Migrate(e.to_string()))?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    versions.sort();
    Ok(versions)
}

/// Reads the applied versions without creating diesel's bookkeeping table (which
/// diesel's own `applied_migrations` does): a read-only command must not write.
fn applied_on<C>(c: &mut C, table_exists: &str) -> QueryResult<Vec<String>>
where
    C: Connection,
    diesel::query_builder::SqlQuery:
        diesel::query_dsl::LoadQuery<'static, C, Exists> + diesel::query_dsl::LoadQuery<'static, C, Version>,
{
    let exists: Exists = diesel::sql_query(table_exists).get_result(c)?;
    if exists.n == 0 {
        return Ok(Vec::new());
    }
    let mut rows: Vec<String> = diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
        .load::<Version>(c)?
        .into_iter()
        .map(|row| row.version)
        .collect();
    rows.sort();
    Ok(rows)
}

const SQLITE_HAS_TABLE: &str =
    "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '__diesel_schema_migrations'";
const POSTGRES_HAS_TABLE: &str = "SELECT COUNT(*) AS n FROM pg_tables WHERE tablename = '__diesel_schema_migrations' AND schemaname = current_schema()";

fn refuse_unknown(status: &SchemaStatus) -> Result<(), OpenError> {
    let unknown = status.unknown();
    if unknown.is_empty() { Ok(()) } else { Err(OpenError::UnknownMigrations(unknown)) }
}

/// The status as one connection reads it.
fn status_on(conn: &mut DbConnection) -> Result<SchemaStatus, OpenError> {
    let read = |e: diesel::result::Error| OpenError::Migrate(format!("reading the applied migrations: {e}"));
    match conn {
        DbConnection::Sqlite(c) => Ok(SchemaStatus {
            applied: applied_on(c, SQLITE_HAS_TABLE).map_err(read)?,
            known: known::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS)?,
        }),
        DbConnection::Postgres(c) => Ok(SchemaStatus {
            applied: applied_on(c, POSTGRES_HAS_TABLE).map_err(read)?,
            known: known::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS)?,
        }),
    }
}

impl Database {
    /// The migrations this database carries and those this binary knows, read without
    /// writing anything.
    ///
    /// # Errors
    /// [`OpenError::Connect`] when no connection can be had, [`OpenError::Migrate`]
    /// when the bookkeeping table cannot be read.
    pub fn schema_status(&self) -> Result<SchemaStatus, OpenError> {
        let mut conn = self.pool().get().map_err(|e| OpenError::Connect(e.to_string()))?;
        status_on(&mut conn)
    }

    /// Runs the embedded migrations of this backend that have not run yet and returns
    /// how many ran.
    ///
    /// # Errors
    /// [`OpenError::UnknownMigrations`] when the database carries a migration this
    /// binary does not know (nothing is run then); [`OpenError::Migrate`].
    pub fn migrate(&self) -> Result<usize, OpenError> {
        self.locked_migration(|conn| {
            let migrate = |e: &dyn std::fmt::Display| OpenError::Migrate(e.to_string());
            match conn {
                DbConnection::Sqlite(c) => {
                    c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()).map_err(|e| migrate(&e))
                }
                DbConnection::Postgres(c) => {
                    c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()).map_err(|e| migrate(&e))
                }
            }
        })
    }

    /// Moves the schema to `version`: reverts the applied migrations newer than it,
    /// newest first (running their `down.sql`, which drops what they added, data
    /// included), then applies the known ones up to it.
    ///
    /// # Errors
    /// [`OpenError::Migrate`] when `version` is not a migration of this binary or a
    /// step fails (the steps before it stay done); [`OpenError::UnknownMigrations`]
    /// when the database carries a migration this binary cannot revert.
    pub fn migrate_to(&self, version: &str) -> Result<MigrationSteps, OpenError> {
        let status = self.schema_status()?;
        if !status.known.iter().any(|v| v == version) {
            return Err(OpenError::Migrate(format!(
                "{version} is not a migration of this binary (it knows {})",
                status.known.join(", ")
            )));
        }
        self.locked_migration(|conn| {
            let step = |e: &dyn std::fmt::Display| OpenError::Migrate(e.to_string());
            let mut steps = MigrationSteps::default();
            let status = status_on(conn)?;
            // Diesel reverts the newest applied migration each time; none is unknown
            // (refused above), so these are exactly the ones newer than `version`.
            let newer = status.applied.iter().filter(|v| v.as_str() > version).count();
            for _ in 0..newer {
                let reverted = match &mut *conn {
                    DbConnection::Sqlite(c) => {
                        c.revert_last_migration(SQLITE_MIGRATIONS).map(|v| v.to_string()).map_err(|e| step(&e))?
                    }
                    DbConnection::Postgres(c) => {
                        c.revert_last_migration(POSTGRES_MIGRATIONS).map(|v| v.to_string()).map_err(|e| step(&e))?
                    }
                };
                steps.reverted.push(reverted);
            }
            for _ in status.pending().iter().filter(|v| v.as_str() <= version) {
                let applied = match &mut *conn {
                    DbConnection::Sqlite(c) => {
                        c.run_next_migration(SQLITE_MIGRATIONS).map(|v| v.to_string()).map_err(|e| step(&e))?
                    }
                    DbConnection::Postgres(c) => {
                        c.run_next_migration(POSTGRES_MIGRATIONS).map(|v| v.to_string()).map_err(|e| step(&e))?
                    }
                };
                steps.applied.push(applied);
            }
            Ok(steps)
        })
    }

    /// Runs `f` on one connection after refusing unknown migrations, under
    /// PostgreSQL's advisory lock so that instances starting together take turns.
    fn locked_migration<T>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, OpenError>) -> Result<T, OpenError> {
        let mut conn = self.pool().get().map_err(|e| OpenError::Connect(e.to_string()))?;
        let migrate = |e: &dyn std::fmt::Display| OpenError::Migrate(e.to_string());
        if let DbConnection::Postgres(c) = &mut **conn {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")).map_err(|e| migrate(&e))?;
        }
        // Checked under the lock: a newer instance may have migrated meanwhile.
        let outcome = status_on(&mut conn).and_then(|status| refuse_unknown(&status)).and_then(|()| f(&mut conn));
        if let DbConnection::Postgres(c) = &mut **conn {
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")).map_err(|e| migrate(&e))?;
        }
        outcome
    }
}
