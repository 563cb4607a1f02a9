//! Commands that refuse to guess: a mistyped database, a missing directory, a role
//! that does not exist, settings that cannot be meant, a second server on one SQLite
//! file, a database migrated by a newer binary. Each fails at once, in one line that
//! names the culprit, before any side effect.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::{Backend, TestDb, backends, command_at, describe};

/// Runs `rookery ARGS` on the database at `url`, with `env`.
fn rookery_at(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    command_at(url, args).envs(env.iter().copied()).output().unwrap()
}

const SECRET: &str = "a-test-secret-that-is-long-enough-0123456789";

/// The command failed, with exactly one error line on stderr, naming `culprit`.
fn refused(output: &Output, culprit: &str) -> String {
    assert!(!output.status.success(), "expected a failure: {}", describe(output));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(errors.len(), 1, "one error line: {stderr}");
    assert!(errors[0].starts_with("error: ") && errors[0].contains(culprit), "{culprit:?} not named: {stderr}");
    errors[0].to_owned()
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// A SQLite database at `name` inside `db`'s directory, whatever `db`'s backend.
fn sqlite_at(db: &TestDb, name: &str) -> String {
    format!("sqlite://{}", db.file(name).display())
}

#[test]
fn read_only_commands_refuse_a_database_that_does_not_exist() {
    let db = TestDb::new(Backend::Sqlite);
    let typo = sqlite_at(&db, "typo.db");
    for args in [&["check"][..], &["export"], &["token", "alice"], &["migrate", "--list"]] {
        refused(&rookery_at(&typo, args, &[]), "typo.db");
    }
    // Nothing was created: no database, no secret beside it.
    assert!(files_in(db.dir.path()).is_empty(), "{:?}", files_in(db.dir.path()));
}

#[test]
fn token_refuses_an_unknown_account_unless_asked_to_provision() {
    for backend in backends() {
        let db = TestDb::new(backend);
        db.ok(&["migrate"]);
        let env = [("ROOKERY_JWT_SECRET", SECRET)];
        let stranger = Uuid::now_v7().to_string();
        let output = db.rookery_with(&["token", &stranger], None, &env);
        let line = refused(&output, &stranger);
        assert!(line.contains("--provision"), "{line}");
        let minted = db.rookery_with(&["token", &stranger, "--provision"], None, &env);
        assert!(minted.status.success(), "{}", describe(&minted));
        assert_eq!(String::from_utf8(minted.stdout).unwrap().trim().split('.').count(), 3);
        refused(&db.rookery_with(&["token", "nobody"], None, &env), "nobody");
    }
}

#[test]
fn a_missing_directory_fails_at_once_naming_it() {
    let db = TestDb::new(Backend::Sqlite);
    let missing = db.file("no-such-dir");
    let url = format!("sqlite://{}/rookery.db", missing.display());
    for args in [&["migrate"][..], &["serve", "--bind", "127.0.0.1:0"], &["user", "add", "alice"]] {
        let started = Instant::now();
        let output = rookery_at(&url, args, &[("ROOKERY_JWT_SECRET", SECRET)]);
        refused(&output, &missing.display().to_string());
        assert!(started.elapsed() < Duration::from_secs(3), "{args:?} took {:?}", started.elapsed());
    }
}

#[test]
fn a_postgres_role_that_does_not_exist_fails_at_once_naming_it() {
    if !super::postgres_enabled() {
        return;
    }
    let db = TestDb::new(Backend::Postgres);
    let url = db.url.replacen("postgres://postgres@", "postgres://no_such_role@", 1);
    assert_ne!(url, db.url, "the test URL names the postgres role");
    let started = Instant::now();
    let output = rookery_at(&url, &["migrate"], &[]);
    refused(&output, "no_such_role");
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
}

#[test]
fn bad_settings_are_refused_before_anything_is_created() {
    let db = TestDb::new(Backend::Sqlite);
    let url = sqlite_at(&db, "fresh.db");
    let key = db.file("key.pem");
    std::fs::write(&key, "not a key").unwrap();
    let key = key.display().to_string();
    let cases: [(&[(&str, &str)], &str); 7] = [
        (&[("ROOKERY_DIALECTS", "bogus")], "bogus"),
        (&[("ROOKERY_JWT_SECRET", "x")], "ROOKERY_JWT_SECRET"),
        (&[("ROOKERY_LOG_FORMAT", "xml")], "ROOKERY_LOG_FORMAT"),
        (&[("ROOKERY_LOG", "rookery=loud")], "ROOKERY_LOG"),
        (&[("ROOKERY_CORS_ORIGINS", "https://ok.example,example.com")], "example.com"),
        (&[("ROOKERY_JWT_SECRET", SECRET), ("ROOKERY_JWT_PUBLIC_KEY", &key)], "both set"),
        (&[("ROOKERY_JWT_PUBLIC_KEY", &key)], "ROOKERY_JWT_PUBLIC_KEY"),
    ];
    for (env, culprit) in cases {
        let started = Instant::now();
        let output = rookery_at(&url, &["serve", "--bind", "127.0.0.1:0"], env);
        refused(&output, culprit);
        assert!(started.elapsed() < Duration::from_secs(3), "{env:?}");
        assert_eq!(files_in(db.dir.path()), ["key.pem"], "{env:?} left files behind");
    }
    refused(&rookery_at(&url, &["serve", "--bind", "nonsense"], &[("ROOKERY_JWT_SECRET", SECRET)]), "nonsense");
    assert_eq!(files_in(db.dir.path()), ["key.pem"], "a bad address left files behind");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `rookery serve` in the background, once `/healthz` answers.
fn serve(db: &TestDb, env: &[(&str, &str)]) -> (Child, u16) {
    let port = free_port();
    let mut command = db.command(&["serve", "--bind", &format!("127.0.0.1:{port}")]);
    command.envs(env.iter().copied()).env("ROOKERY_LOG", "info").stdout(Stdio::null());
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (child, port);
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
            panic!("the server exited with {status}: {stderr}");
        }
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop(mut child: Child) -> String {
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn one_server_per_sqlite_file_and_readers_beside_it() {
    let db = TestDb::new(Backend::Sqlite);
    let (first, _) = serve(&db, &[("ROOKERY_JWT_SECRET", SECRET)]);
    let second = db.rookery_with(&["serve", "--bind", "127.0.0.1:0"], None, &[("ROOKERY_JWT_SECRET", SECRET)]);
    let line = refused(&second, "rookery.db");
    assert!(line.contains("PostgreSQL"), "{line}");
    // Readers and the CLI still work beside the server.
    db.ok(&["user", "add", "alice"]);
    assert!(db.ok(&["export"]).contains("alice"));
    assert_eq!(db.rookery(&["check"]).status.code(), Some(0));
    // Logs piped to a file carry no colour codes.
    let log = stop(first);
    assert!(log.contains("rookery listening"), "{log}");
    assert!(!log.contains('\u{1b}'), "ANSI escapes in a piped log: {log:?}");
    // Once the first has stopped, the file is free again.
    let (again, _) = serve(&db, &[("ROOKERY_JWT_SECRET", SECRET)]);
    stop(again);
}

#[test]
fn a_database_from_a_newer_binary_is_refused_and_can_be_rolled_back() {
    for backend in backends() {
        let db = TestDb::new(backend);
        db.ok(&["migrate"]);
        let listed = db.ok(&["migrate", "--list"]);
        let versions: Vec<&str> = listed.lines().map(|l| l.split(' ').next().unwrap()).collect();
        assert!(versions.len() >= 3 && listed.lines().all(|l| l.ends_with(" applied")), "{listed}");

        // A newer binary's migration: every command that would use the schema refuses.
        let future = "20991231000000";
        db.connect().execute(&format!("INSERT INTO __diesel_schema_migrations (version) VALUES ('{future}')"));
        let env = [("ROOKERY_JWT_SECRET", SECRET)];
        for args in [&["serve", "--bind", "127.0.0.1:0"][..], &["migrate"], &["check"], &["export"]] {
            refused(&db.rookery_with(args, None, &env), future);
        }
        assert!(db.ok(&["migrate", "--list"]).contains(&format!("{future} applied, unknown to this binary")));
        // This binary cannot revert what it does not know.
        refused(&db.rookery(&["migrate", "--to", versions[0]]), future);
        db.connect().execute(&format!("DELETE FROM __diesel_schema_migrations WHERE version = '{future}'"));

        // Rollback to the first version, then forward again: the newer tables go and come back.
        let last = versions[versions.len() - 1];
        let rolled = db.ok(&["migrate", "--to", versions[0]]);
        assert!(rolled.contains(&format!("reverted {last}")), "{rolled}");
        assert!(db.ok(&["migrate", "--list"]).contains(&format!("{last} pending")));
        refused(&db.rookery(&["check"]), "rookery migrate");
        refused(&db.rookery(&["migrate", "--to", "19990101000000"]), "19990101000000");
        let forward = db.ok(&["migrate"]);
        assert!(forward.contains("up to date"), "{forward}");
        assert_eq!(db.rookery(&["check"]).status.code(), Some(0));
    }
}
