//! Whole-database maintenance: the invariant check and count repair, and bulk import
//! and export of every table (the JSON Lines format belongs to the CLI).
//!
//! Everything here is set-based: a statement per invariant or per batch, never a
//! round trip per account, so it runs in seconds on millions of edges. The file format
//! itself belongs to the CLI; the store deals in [`Record`]s.

/// Runs `$body` in a read-only transaction that sees one snapshot of the whole
/// database, so a report or an export taken while the server writes is consistent:
/// `REPEATABLE READ` on PostgreSQL (whose default gives each statement its own
/// snapshot), a deferred transaction on SQLite (WAL pins the snapshot at the first read).
macro_rules! snapshot {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::connection::DbConnection::Sqlite(conn) => conn.transaction(|$c| $body),
            $crate::connection::DbConnection::Postgres(conn) => {
                conn.build_transaction().repeatable_read().read_only().run(|$c| {
                    $crate::maintenance::roomy_sorts($c)?;
                    $body
                })
            }
        }
    };
}

/// Gives this PostgreSQL transaction room to group a million edges in memory: at the
/// default `work_mem` (4 MB) the per-account counts spill to disk and take twice as
/// long.
fn roomy_sorts(conn: &mut diesel::pg::PgConnection) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SET LOCAL work_mem = '64MB'").execute(conn).map(drop)
}

mod check;
mod counts;
mod export;
mod import;
mod import_rest;
mod records;
mod unsent;

pub use check::{CountDrift, IntegrityReport, RepairSummary};
pub use counts::CountsFixed;
pub use export::{ExportError, ExportSink, ExportSummary};
pub use import::{BatchOutcome, Skip, SkipReason};
pub use records::{
    AccountRecord, BlockRecord, DeliveryRecord, DeviceRecord, DismissalRecord, FollowRecord, MuteRecord,
    NotificationRecord, PushRecord, QuotaRecord, Record, RecordKind, RequestRecord, WebhookRecord,
};

/// A row count as the reports carry it (`usize` and `u64` are the same width on every
/// platform Rookery builds for; the fallback only keeps the conversion total).
fn tally(rows: usize) -> u64 {
    u64::try_from(rows).unwrap_or(u64::MAX)
}

/// A `COUNT(*)` read back from [`diesel::sql_query`].
#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

impl Count {
    fn get(self) -> u64 {
        u64::try_from(self.n).unwrap_or(0)
    }
}
