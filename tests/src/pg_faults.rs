//! Faults a test may inflict on its own PostgreSQL database (never on the server
//! itself, which other tests share): its backends terminated, new connections refused.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// The database name at the end of a test's PostgreSQL URL.
fn name(database_url: &str) -> String {
    let name = database_url.rsplit('/').next().unwrap_or_default();
    let name = name.split('?').next().unwrap_or_default();
    assert!(name.starts_with("rookery_test_"), "only a test's own database: {name}");
    name.to_owned()
}

fn admin(sql: &str) {
    let mut admin = PgConnection::establish(&crate::postgres_admin_url()).expect("PostgreSQL is reachable");
    admin.batch_execute(sql).unwrap();
}

/// Ends every connection to the test's database, as a PostgreSQL restart or failover
/// would (`pg_terminate_backend`): pooled connections and the event listener alike.
pub fn terminate_backends(database_url: &str) {
    let name = name(database_url);
    admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ));
}

/// Refuses (or allows again) new connections to the test's database: with its
/// backends terminated, the database is "down" for the server under test.
pub fn allow_connections(database_url: &str, allow: bool) {
    let name = name(database_url);
    admin(&format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {allow}"));
}
