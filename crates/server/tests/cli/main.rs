//! The `rookery` binary, run as an operator runs it: `user add`, `token`, `export`,
//! `import` and `check [--repair]` against a SQLite file in a temp dir and, when
//! `ROOKERY_TEST_DATABASE=postgres`, against a fresh PostgreSQL database as well
//! (`ROOKERY_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod full_graph;
mod safety;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use uuid::Uuid;

// ------------------------------------------------------------------ databases

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A database that lives as long as the test: a SQLite file in its own temp dir, or a
/// PostgreSQL database dropped (forcibly) on `Drop`.
struct TestDb {
    backend: Backend,
    url: String,
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

fn postgres_enabled() -> bool {
    std::env::var("ROOKERY_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// SQLite always; PostgreSQL too when selected.
fn backends() -> Vec<Backend> {
    if postgres_enabled() { vec![Backend::Sqlite, Backend::Postgres] } else { vec![Backend::Sqlite] }
}

impl TestDb {
    fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("rookery.db").display());
                Self { backend, url, dir, postgres: None }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("ROOKERY_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
                let name = format!("rookery_cli_{}", Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&admin_url).expect("PostgreSQL is reachable");
                admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                let base = admin_url.split('?').next().unwrap();
                let base = base.rsplit_once('/').map_or(base, |(base, _)| base);
                let url = format!("{base}/{name}");
                Self { backend, url, dir, postgres: Some((admin_url, name)) }
            }
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `rookery ARGS --database-url URL` with a clean environment.
    fn rookery(&self, args: &[&str]) -> Output {
        self.rookery_with_stdin(args, None)
    }

    fn rookery_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        self.rookery_with(args, stdin, &[])
    }

    /// The same, with environment variables set.
    fn rookery_with(&self, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
        let mut command = self.command(args);
        command.envs(env.iter().copied()).stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = command.spawn().expect("run rookery");
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    /// `rookery ARGS --database-url URL`, clean environment, output piped.
    fn command(&self, args: &[&str]) -> Command {
        command_at(&self.url, args)
    }
}

/// `rookery ARGS --database-url URL` for any URL, clean environment, output piped.
fn command_at(url: &str, args: &[&str]) -> Command {
    {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rookery"));
        command
            .args(args)
            .arg("--database-url")
            .arg(url)
            .env_remove("DATABASE_URL")
            .env_remove("ROOKERY_JWT_SECRET")
            .env_remove("ROOKERY_JWT_PUBLIC_KEY")
            .env_remove("ROOKERY_LOG_FORMAT")
            .env_remove("ROOKERY_DIALECTS")
            .env_remove("ROOKERY_CORS_ORIGINS")
            .env("ROOKERY_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }
}

impl TestDb {
    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.rookery(args);
        assert!(output.status.success(), "rookery {args:?} failed: {}", describe(&output));
        String::from_utf8(output.stdout).unwrap()
    }

    fn connect(&self) -> Sql {
        match self.backend {
            Backend::Sqlite => {
                Sql::Sqlite(SqliteConnection::establish(self.url.trim_start_matches("sqlite://")).unwrap())
            }
            Backend::Postgres => Sql::Postgres(PgConnection::establish(&self.url).unwrap()),
        }
    }

    fn import(&self, path: &Path) -> String {
        self.ok(&["import", path.to_str().unwrap()])
    }

    fn export(&self, name: &str) -> String {
        let path = self.file(name);
        self.ok(&["export", "--output", path.to_str().unwrap()]);
        std::fs::read_to_string(path).unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres {
            if let Ok(mut admin) = PgConnection::establish(admin_url) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

fn describe(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A direct connection, to look at and to damage what the binary wrote.
enum Sql {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl Sql {
    fn execute(&mut self, sql: &str) {
        match self {
            Self::Sqlite(c) => c.batch_execute(sql).unwrap(),
            Self::Postgres(c) => c.batch_execute(sql).unwrap(),
        }
    }

    fn number(&mut self, sql: &str) -> i64 {
        let row: Number = match self {
            Self::Sqlite(c) => diesel::sql_query(sql).get_result(c).unwrap(),
            Self::Postgres(c) => diesel::sql_query(sql).get_result(c).unwrap(),
        };
        row.n
    }

    /// A UUID literal in this backend's column type.
    fn uuid(&self, id: Uuid) -> String {
        match self {
            Self::Sqlite(_) => format!("x'{}'", id.simple()),
            Self::Postgres(_) => format!("'{id}'::uuid"),
        }
    }

    fn now(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "1700000000000000",
            Self::Postgres(_) => "now()",
        }
    }

    /// (followers_count, following_count) of an account, by username.
    fn counts(&mut self, username: &str) -> (i64, i64) {
        let followers =
            self.number(&format!("SELECT followers_count AS n FROM accounts WHERE username = '{username}'"));
        let following =
            self.number(&format!("SELECT following_count AS n FROM accounts WHERE username = '{username}'"));
        (followers, following)
    }
}

// ------------------------------------------------------------------ the fixture

struct Fixture {
    alice: Uuid,
    bob: Uuid,
    carol: Uuid,
    dave: Uuid,
    erin: Uuid,
    lines: String,
}

/// Five accounts (carol private), six edges, and seven lines that must be skipped.
fn fixture() -> Fixture {
    let [alice, bob, carol, dave, erin] = [(); 5].map(|()| Uuid::now_v7());
    let account = |id: Uuid, name: &str, private: bool| {
        format!(
            r#"{{"type":"account","id":"{id}","username":"{name}","full_name":"{name} Example","bio":"hi \"there\"","profile_image_url":null,"banner_image_url":null,"is_private":{private},"is_verified":false,"posts_count":3,"created_at":"2024-05-01T10:00:00.123456Z"}}"#
        )
    };
    let follow = |a: Uuid, b: Uuid| {
        format!(r#"{{"type":"follow","follower_id":"{a}","followee_id":"{b}","created_at":"2024-05-02T10:00:00Z"}}"#)
    };
    let lines = [
        account(alice, "alice", false),
        account(bob, "bob", false),
        account(carol, "carol", true),
        account(dave, "dave", false),
        account(erin, "erin", false),
        String::new(),
        follow(alice, bob),
        follow(bob, alice),
        follow(carol, alice),
        follow(dave, alice),
        follow(alice, carol),
        follow(erin, bob),
        // Skipped, one reason each:
        "{not json".to_owned(),
        r#"{"type":"follow","follower_id":"not-a-uuid","followee_id":"x"}"#.to_owned(),
        account(Uuid::now_v7(), "no spaces allowed", false),
        follow(alice, alice),
        follow(alice, Uuid::now_v7()),
        account(Uuid::now_v7(), "ALICE", false),
        r#"{"type":"post","id":"x"}"#.to_owned(),
    ]
    .join("\n");
    Fixture { alice, bob, carol, dave, erin, lines }
}

impl Fixture {
    fn write(&self, db: &TestDb) -> PathBuf {
        let path = db.file("fixture.jsonl");
        std::fs::write(&path, &self.lines).unwrap();
        path
    }
}

fn line_count(text: &str) -> usize {
    text.lines().count()
}

// ------------------------------------------------------------------ tests

#[test]
fn user_add_and_token_print_an_id_and_a_jwt() {
    let db = TestDb::new(Backend::Sqlite);
    let id: Uuid = db.ok(&["user", "add", "alice", "--full-name", "Alice"]).trim().parse().expect("a UUID");
    for who in ["alice".to_owned(), id.to_string()] {
        let token = db.ok(&["token", &who, "--ttl", "1h"]);
        let parts: Vec<&str> = token.trim().split('.').collect();
        assert_eq!(parts.len(), 3, "a JWT has three parts: {token}");
        let header: serde_json::Value = serde_json::from_slice(&base64url(parts[0])).unwrap();
        assert_eq!(header["alg"], "HS256");
        let claims: serde_json::Value = serde_json::from_slice(&base64url(parts[1])).unwrap();
        assert_eq!(claims["sub"], id.to_string());
        assert!(claims["exp"].as_u64().unwrap() > claims["iat"].as_u64().unwrap());
    }
    // The username is taken, case-insensitively.
    assert!(!db.rookery(&["user", "add", "ALICE"]).status.success());
}

#[test]
fn import_reports_what_it_did_and_skipped() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let fixture = fixture();
        let report = db.import(&fixture.write(&db));
        assert!(report.contains("accounts: 5 imported, 0 already present"), "{backend:?}: {report}");
        assert!(report.contains("follows: 6 imported, 0 already present"), "{backend:?}: {report}");
        assert!(report.contains("skipped: 7 lines"), "{backend:?}: {report}");
        for why in [
            "1 bad JSON",
            "1 bad UUID",
            "1 invalid username",
            "1 self-follow",
            "1 follower or followee unknown or deleted",
            "1 username taken by another account",
            "1 unknown type",
        ] {
            assert!(report.contains(why), "{backend:?}: {why:?} missing from {report}");
        }
        let mut sql = db.connect();
        assert_eq!(sql.counts("alice"), (3, 2));
        assert_eq!(sql.counts("bob"), (2, 1));
        assert_eq!(sql.counts("carol"), (1, 1));
        assert_eq!(sql.counts("erin"), (0, 1));
        assert_eq!(db.rookery(&["check"]).status.code(), Some(0));
    }
}

#[test]
fn export_then_import_round_trips() {
    let mut pairs = vec![(Backend::Sqlite, Backend::Sqlite)];
    if postgres_enabled() {
        pairs.extend([
            (Backend::Postgres, Backend::Postgres),
            (Backend::Sqlite, Backend::Postgres),
            (Backend::Postgres, Backend::Sqlite),
        ]);
    }
    for (from, to) in pairs {
        let source = TestDb::new(from);
        let fixture = fixture();
        source.import(&fixture.write(&source));
        let exported = source.export("source.jsonl");
        assert_eq!(line_count(&exported), 11, "{from:?}: 5 accounts and 6 edges:\n{exported}");
        // Accounts first, then edges; the fixture's fields survive.
        let first: serde_json::Value = serde_json::from_str(exported.lines().next().unwrap()).unwrap();
        assert_eq!(first["type"], "account");
        assert!(exported.lines().skip(5).all(|l| l.starts_with(r#"{"type":"follow","#)), "{exported}");
        assert!(exported.contains(r#""full_name":"carol Example","bio":"hi \"there\"","profile_image_url":null"#));
        assert!(exported.contains(
            r#""is_private":true,"is_verified":false,"followers_visibility":"everyone","following_visibility":"everyone","counts_visible":true,"posts_count":3,"created_at":"2024-05-01T10:00:00.123456Z","updated_at":"2024-05-01T10:00:00.123456Z","deleted_at":null}"#
        ));

        let target = TestDb::new(to);
        let path = source.file("source.jsonl");
        let report = target.import(&path);
        assert!(report.contains("skipped: 0 lines"), "{from:?} -> {to:?}: {report}");
        assert_eq!(target.export("target.jsonl"), exported, "{from:?} -> {to:?}");
        assert_eq!(target.connect().counts("alice"), (3, 2));
        assert_eq!(target.rookery(&["check"]).status.code(), Some(0));
    }
}

#[test]
fn export_to_stdout_and_import_from_stdin() {
    for backend in backends() {
        let source = TestDb::new(backend);
        let fixture = fixture();
        source.import(&fixture.write(&source));
        let to_file = source.export("file.jsonl");
        let to_stdout = source.ok(&["export"]);
        assert_eq!(to_stdout, to_file);

        let target = TestDb::new(backend);
        let output = target.rookery_with_stdin(&["import", "-"], Some(to_stdout.as_bytes()));
        assert!(output.status.success(), "{}", describe(&output));
        assert_eq!(target.ok(&["export", "--output", "-"]), to_file);
    }
}

#[test]
fn reimport_is_idempotent() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let fixture = fixture();
        let path = fixture.write(&db);
        db.import(&path);
        let before = db.export("before.jsonl");
        let report = db.import(&path);
        assert!(report.contains("accounts: 0 imported, 5 already present"), "{backend:?}: {report}");
        assert!(report.contains("follows: 0 imported, 6 already present"), "{backend:?}: {report}");
        assert!(report.contains(": 0 accounts updated"), "{backend:?}: {report}");
        assert_eq!(db.export("after.jsonl"), before);
        let mut sql = db.connect();
        assert_eq!(sql.number("SELECT COUNT(*) AS n FROM accounts"), 5);
        assert_eq!(sql.number("SELECT COUNT(*) AS n FROM follows"), 6);
        assert_eq!(sql.counts("alice"), (3, 2));
    }
}

#[test]
fn check_finds_drifted_counts_and_repair_fixes_them() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let fixture = fixture();
        db.import(&fixture.write(&db));
        let clean = db.rookery(&["check"]);
        assert_eq!(clean.status.code(), Some(0), "{}", describe(&clean));

        let mut sql = db.connect();
        sql.execute("UPDATE accounts SET followers_count = 999 WHERE username = 'bob'");
        sql.execute("UPDATE accounts SET following_count = 0 WHERE username = 'alice'");

        let drift = db.rookery(&["check"]);
        assert_eq!(drift.status.code(), Some(1), "{backend:?}: {}", describe(&drift));
        let report = String::from_utf8(drift.stdout).unwrap();
        assert!(
            report.contains(&format!(
                "account {} (bob): followers_count 999 (actual 2), following_count 1 (actual 1)",
                fixture.bob
            )),
            "{backend:?}: {report}"
        );
        assert!(report.contains(&format!("account {} (alice)", fixture.alice)), "{report}");
        assert!(report.contains("summary: 2 accounts with drifted counts, 0 other violations"), "{report}");

        let repair = db.rookery(&["check", "--repair"]);
        assert_eq!(repair.status.code(), Some(0), "{backend:?}: {}", describe(&repair));
        let report = String::from_utf8(repair.stdout).unwrap();
        assert!(report.contains("corrected the counts of 2 accounts"), "{report}");
        assert!(report.contains("clean after repair"), "{report}");

        let again = db.rookery(&["check"]);
        assert_eq!(again.status.code(), Some(0), "{backend:?}: {}", describe(&again));
        assert_eq!(sql.counts("bob"), (2, 1));
        assert_eq!(sql.counts("alice"), (3, 2));
    }
}

#[test]
fn repair_removes_edges_of_deleted_accounts_and_across_blocks() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let fixture = fixture();
        let path = fixture.write(&db);
        db.import(&path);

        // What a buggy soft delete and a buggy block would leave behind.
        let mut sql = db.connect();
        let (dave, carol, alice) = (sql.uuid(fixture.dave), sql.uuid(fixture.carol), sql.uuid(fixture.alice));
        let now = sql.now();
        sql.execute(&format!("UPDATE accounts SET deleted_at = {now} WHERE id = {dave}"));
        sql.execute(&format!(
            "INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ({carol}, {alice}, {now})"
        ));

        let drift = db.rookery(&["check"]);
        assert_eq!(drift.status.code(), Some(1), "{backend:?}: {}", describe(&drift));
        let report = String::from_utf8(drift.stdout).unwrap();
        assert!(report.contains("violation: 1 edges touching a deleted account"), "{backend:?}: {report}");
        assert!(report.contains("violation: 2 edges across a block"), "{backend:?}: {report}");

        let repair = db.rookery(&["check", "--repair"]);
        assert_eq!(repair.status.code(), Some(0), "{backend:?}: {}", describe(&repair));
        assert!(String::from_utf8_lossy(&repair.stdout).contains("removed 3 edges"), "{}", describe(&repair));
        assert_eq!(db.rookery(&["check"]).status.code(), Some(0));
        assert_eq!(sql.counts("alice"), (1, 1));
        assert_eq!(sql.counts("bob"), (2, 1));
        assert_eq!(sql.counts("carol"), (0, 0));

        // Importing the file again brings none of it back.
        let report = db.import(&path);
        assert!(report.contains("follows: 0 imported, 3 already present"), "{backend:?}: {report}");
        assert!(report.contains("2 one account blocks the other"), "{backend:?}: {report}");
        assert!(report.contains("2 follower or followee unknown or deleted"), "{backend:?}: {report}");
        let check = db.rookery(&["check"]);
        assert_eq!(check.status.code(), Some(0), "{backend:?}: {}", describe(&check));
        // The deleted account is exported as deleted (its id stays taken), its edges
        // are not.
        let exported = db.export("after.jsonl");
        let dave = fixture.dave.to_string();
        let dave_lines: Vec<&str> = exported.lines().filter(|l| l.contains(&dave)).collect();
        assert_eq!(dave_lines.len(), 1, "{exported}");
        assert!(dave_lines[0].starts_with(r#"{"type":"account""#) && !dave_lines[0].contains(r#""deleted_at":null"#));
        assert!(exported.contains(&fixture.erin.to_string()));
    }
}

#[test]
fn import_fills_the_mutual_edges_and_check_repairs_them_when_edited_by_hand() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let fixture = fixture();
        db.import(&fixture.write(&db));
        // alice and bob follow each other, as do alice and carol: four mutual edges,
        // written by the triggers as the import inserted the follows.
        let mut sql = db.connect();
        assert_eq!(sql.number("SELECT COUNT(*) AS n FROM mutual_follows"), 4, "{backend:?}");
        assert_eq!(db.rookery(&["check"]).status.code(), Some(0));

        // One mutual edge lost and one made up, around the triggers.
        let (alice, bob, erin) = (sql.uuid(fixture.alice), sql.uuid(fixture.bob), sql.uuid(fixture.erin));
        let now = sql.now();
        sql.execute(&format!("DELETE FROM mutual_follows WHERE follower_id = {alice} AND followee_id = {bob}"));
        sql.execute(&format!(
            "INSERT INTO mutual_follows (follower_id, followee_id, created_at) VALUES ({erin}, {bob}, {now})"
        ));
        let drift = db.rookery(&["check"]);
        assert_eq!(drift.status.code(), Some(1), "{backend:?}: {}", describe(&drift));
        let report = String::from_utf8(drift.stdout).unwrap();
        assert!(report.contains("violation: 2 mutual edges out of step with the follows"), "{backend:?}: {report}");

        let repair = db.rookery(&["check", "--repair"]);
        assert_eq!(repair.status.code(), Some(0), "{backend:?}: {}", describe(&repair));
        assert_eq!(db.rookery(&["check"]).status.code(), Some(0));
        assert_eq!(sql.number("SELECT COUNT(*) AS n FROM mutual_follows"), 4, "{backend:?}");
    }
}

/// Decodes unpadded base64url, as JWT segments are written.
fn base64url(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {c}"),
        }
    };
    let mut out = Vec::new();
    let (mut bits, mut acc) = (0, 0u32);
    for c in text.bytes() {
        acc = (acc << 6) | value(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap());
        }
    }
    out
}

#[test]
fn events_tail_prints_the_feed_as_json_lines_and_resumes_after_a_cursor() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let alice: Uuid = db.ok(&["user", "add", "alice"]).trim().parse().expect("a UUID");
        db.ok(&["user", "add", "bob"]);
        let printed = db.ok(&["events", "tail", "--no-follow"]);
        let lines: Vec<serde_json::Value> = printed.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
        assert_eq!(lines.len(), 2, "{printed}");
        assert_eq!(lines[0]["type"], "account.created");
        assert_eq!(lines[0]["data"]["account_id"], alice.to_string());
        let keys: Vec<&String> = lines[0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["cursor", "id", "type", "created_at", "data"]);
        let cursor = lines[0]["cursor"].as_str().unwrap();
        let rest = db.ok(&["events", "tail", "--no-follow", "--after", cursor, "--types", "account.created"]);
        assert_eq!(line_count(&rest), 1);
        assert!(rest.contains("\"username\":\"bob\""), "{rest}");
        assert!(!db.rookery(&["events", "tail", "--after", "nope"]).status.success());
    }
}
