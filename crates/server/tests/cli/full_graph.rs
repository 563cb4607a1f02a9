//! Export and import carry every table: a database holding rows of each (a deleted
//! account, requests in every status, blocks, read and unread notifications, devices,
//! queued pushes, follow budgets, notifications' request fates, a webhook endpoint and
//! its deliveries) survives export, import into an empty database and export again
//! byte for byte, SQLite to PostgreSQL and back.

use uuid::Uuid;

use super::{Backend, Sql, TestDb, backends, describe, postgres_enabled};

/// The ids of the graph [`populate`] writes.
struct Graph {
    alice: Uuid,
    bob: Uuid,
    carol: Uuid,
    gone: Uuid,
}

impl Sql {
    /// An instant literal: microseconds on SQLite, `timestamptz` on PostgreSQL.
    fn at(&self, micros: i64) -> String {
        match self {
            Self::Sqlite(_) => micros.to_string(),
            Self::Postgres(_) => {
                let at = chrono::DateTime::from_timestamp_micros(micros).unwrap();
                format!("'{}'::timestamptz", at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            }
        }
    }

    fn boolean(&self, value: bool) -> &'static str {
        match (self, value) {
            (Self::Sqlite(_), true) => "1",
            (Self::Sqlite(_), false) => "0",
            (Self::Postgres(_), true) => "true",
            (Self::Postgres(_), false) => "false",
        }
    }
}

const T0: i64 = 1_714_557_600_123_456;

/// Writes a graph with rows in every table, as the server would have left them
/// (counts included, so that `rookery check` finds it clean).
fn populate(db: &TestDb) -> Graph {
    // A database the binary created and migrated.
    db.ok(&["migrate"]);
    let mut sql = db.connect();
    let [alice, bob, carol, gone] = [(); 4].map(|()| Uuid::now_v7());
    let accounts = [
        (alice, "alice", false, 1, 1, None),
        (bob, "bob", true, 1, 1, None),
        (carol, "carol", false, 0, 0, None),
        (gone, "alice_old", false, 0, 0, Some(T0 + 9_000_000)),
    ];
    for (id, name, private, followers, following, deleted) in accounts {
        let deleted = deleted.map_or_else(|| "NULL".to_owned(), |at| sql.at(at));
        sql.execute(&format!(
            "INSERT INTO accounts (id, username, username_key, full_name, bio, profile_image_url, is_private, is_verified, \
             posts_count, followers_count, following_count, created_at, updated_at, deleted_at) VALUES \
             ({}, '{name}', '{name}', 'Ünïcode \"{name}\"', NULL, 'https://cdn.example/{name}.png', {}, {}, 4, {followers}, {following}, {}, {}, {deleted})",
            sql.uuid(id),
            sql.boolean(private),
            sql.boolean(name == "carol"),
            sql.at(T0),
            sql.at(T0 + 1),
        ));
    }
    let (a, b, c) = (sql.uuid(alice), sql.uuid(bob), sql.uuid(carol));
    sql.execute(&format!(
        "INSERT INTO follows (follower_id, followee_id, created_at) VALUES ({a}, {b}, {})",
        sql.at(T0 + 2)
    ));
    sql.execute(&format!(
        "INSERT INTO follows (follower_id, followee_id, created_at) VALUES ({b}, {a}, {})",
        sql.at(T0 + 3)
    ));
    sql.execute(&format!(
        "INSERT INTO blocks (blocker_id, blocked_id, reason, created_at) VALUES ({c}, {b}, 'spam', {})",
        sql.at(T0 + 4)
    ));
    let [accepted, pending] = [(); 2].map(|()| Uuid::now_v7());
    let requests = [
        (accepted, alice, bob, "accepted", Some(T0 + 5)),
        (Uuid::now_v7(), carol, alice, "declined", Some(T0 + 6)),
        (pending, alice, carol, "pending", None),
    ];
    for (id, from, to, status, answered) in requests {
        let answered = answered.map_or_else(|| "NULL".to_owned(), |at| sql.at(at));
        sql.execute(&format!(
            "INSERT INTO follow_requests (id, requester_id, target_id, status, created_at, updated_at) VALUES ({}, {}, {}, '{status}', {}, {answered})",
            sql.uuid(id),
            sql.uuid(from),
            sql.uuid(to),
            sql.at(T0 + 2),
        ));
    }
    let notification = Uuid::now_v7();
    // The follow_request notifications name their requests and keep their fates.
    let notifications = [
        (notification, bob, alice, "follow_request", Some(T0 + 7), Some((accepted, "accepted"))),
        (Uuid::now_v7(), alice, bob, "follow_request_accepted", None, None),
        (Uuid::now_v7(), alice, bob, "follow", None, None),
        (Uuid::now_v7(), carol, alice, "follow_request", None, Some((pending, "pending"))),
    ];
    for (id, to, by, kind, read, request) in notifications {
        let read = read.map_or_else(|| "NULL".to_owned(), |at| sql.at(at));
        let (request_id, fate) = request
            .map_or_else(|| ("NULL".to_owned(), "NULL".to_owned()), |(r, fate)| (sql.uuid(r), format!("'{fate}'")));
        sql.execute(&format!(
            "INSERT INTO notifications (id, recipient_id, actor_id, kind, created_at, read_at, request_id, request_status) \
             VALUES ({}, {}, {}, '{kind}', {}, {read}, {request_id}, {fate})",
            sql.uuid(id),
            sql.uuid(to),
            sql.uuid(by),
            sql.at(T0 + 8),
        ));
    }
    // A webhook endpoint far along its source's feed, one delivery that landed and one
    // leased to a sender mid-retry.
    let hook = Uuid::now_v7();
    sql.execute(&format!(
        "INSERT INTO webhooks (id, url, events, description, secret, enabled, consecutive_failures, cursor_tx, cursor_seq, created_at, updated_at) \
         VALUES ({}, 'https://hooks.example/in?a=1', 'follow.created,block.created', NULL, 'whsec_c2VjcmV0', {}, 1, 7, 42, {}, {})",
        sql.uuid(hook),
        sql.boolean(true),
        sql.at(T0),
        sql.at(T0 + 12),
    ));
    let deliveries = [
        (Uuid::now_v7(), "delivered", 1, "200", "NULL", "NULL".to_owned(), sql.at(T0 + 13), "NULL".to_owned()),
        (
            Uuid::now_v7(),
            "pending",
            2,
            "503",
            "'503 Service Unavailable'",
            sql.at(T0 + 20),
            "NULL".to_owned(),
            sql.at(T0 + 14),
        ),
    ];
    for (id, status, attempts, code, error, next, delivered, leased) in deliveries {
        let event = Uuid::now_v7();
        sql.execute(&format!(
            "INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, payload, status, attempts, last_status_code, \
             last_error, next_attempt_at, leased_until, delivered_at, created_at) VALUES ({}, {}, {}, 'follow.created', \
             '{{\"id\":\"{event}\",\"type\":\"follow.created\",\"data\":{{\"name\":\"Ünïcode\"}}}}', '{status}', {attempts}, {code}, \
             {error}, {next}, {leased}, {delivered}, {})",
            sql.uuid(id),
            sql.uuid(hook),
            sql.uuid(event),
            sql.at(T0 + 12),
        ));
    }
    // Events around the endpoint's place in the feed (7, 42): one it was given, and
    // after it two it wants and one it does not. The two are exported as deliveries.
    let events =
        [(7, 41, "follow.created"), (7, 43, "follow.created"), (8, 1, "follow.deleted"), (9, 2, "block.created")];
    for (tx, seq, kind) in events {
        sql.execute(&format!(
            "INSERT INTO events (seq, tx, id, kind, data, created_at) VALUES ({seq}, {tx}, {}, '{kind}', '{{\"n\":{seq}}}', {})",
            sql.uuid(Uuid::now_v7()),
            sql.at(T0 + 15 + seq),
        ));
    }
    // Tokens whose byte order differs from a locale's (`-` and `_` sort apart).
    for (token, owner) in [("a-b:1", alice), ("a_b:2", bob), ("A:3", alice)] {
        sql.execute(&format!(
            "INSERT INTO devices (token, account_id, platform, created_at, updated_at) VALUES ('{token}', {}, 'android', {}, {})",
            sql.uuid(owner),
            sql.at(T0),
            sql.at(T0 + 10),
        ));
    }
    for token in ["a-b:1", "A:3"] {
        sql.execute(&format!(
            "INSERT INTO push_outbox (notification_id, device_token, attempts, next_attempt_at, created_at) VALUES ({}, '{token}', 2, {}, {})",
            sql.uuid(notification),
            sql.at(T0 + 11),
            sql.at(T0 + 8),
        ));
    }
    sql.execute(&format!("INSERT INTO follow_quota (account_id, window_start, used) VALUES ({a}, {}, 3)", sql.at(T0)));
    assert_eq!(db.rookery(&["check"]).status.code(), Some(0), "the populated graph is clean");
    Graph { alice, bob, carol, gone }
}

fn lines_of<'a>(export: &'a str, kind: &str) -> Vec<&'a str> {
    let prefix = format!(r#"{{"type":"{kind}","#);
    export.lines().filter(|l| l.starts_with(&prefix)).collect()
}

#[test]
fn every_table_survives_a_round_trip_between_backends() {
    let mut pairs = vec![(Backend::Sqlite, Backend::Sqlite)];
    if postgres_enabled() {
        pairs.extend([
            (Backend::Sqlite, Backend::Postgres),
            (Backend::Postgres, Backend::Sqlite),
            (Backend::Postgres, Backend::Postgres),
        ]);
    }
    for (from, to) in pairs {
        let source = TestDb::new(from);
        let graph = populate(&source);
        let exported = source.export("source.jsonl");
        for (kind, n) in [
            ("account", 4),
            ("block", 1),
            ("follow", 2),
            ("follow_request", 3),
            ("notification", 4),
            ("device", 3),
            ("push", 2),
            ("follow_quota", 1),
            ("webhook", 1),
            ("webhook_delivery", 4),
        ] {
            assert_eq!(lines_of(&exported, kind).len(), n, "{from:?}: {kind}:\n{exported}");
        }
        // Kinds in order, tokens in byte order, states and instants as stored.
        let kinds: Vec<&str> = exported.lines().map(|l| l.split('"').nth(3).unwrap()).collect();
        let mut sorted = kinds.clone();
        let order = [
            "account",
            "block",
            "follow",
            "follow_request",
            "notification",
            "device",
            "push",
            "follow_quota",
            "webhook",
            "webhook_delivery",
        ];
        sorted.sort_by_key(|k| order.iter().position(|o| o == k));
        assert_eq!(kinds, sorted, "{from:?}");
        let tokens: Vec<&str> = lines_of(&exported, "device").iter().map(|l| l.split('"').nth(7).unwrap()).collect();
        assert_eq!(tokens, ["A:3", "a-b:1", "a_b:2"], "{from:?}");
        for status in ["pending", "accepted", "declined"] {
            assert!(exported.contains(&format!(r#""status":"{status}""#)), "{from:?}: {status}");
        }
        assert!(exported.contains(r#""read_at":"2024-05-01T10:00:00.123463Z""#), "{from:?}:\n{exported}");
        assert!(exported.contains(&format!(r#""id":"{}","username":"alice_old""#, graph.gone)));
        assert!(exported.contains(r#""deleted_at":"2024-05-01T10:00:09.123456Z""#), "{exported}");
        assert!(exported.contains(r#""request_status":"accepted"}"#), "{exported}");
        assert_eq!(exported.matches(r#""request_id":"#).count(), 2, "{exported}");
        let hook = lines_of(&exported, "webhook")[0];
        assert!(hook.contains(r#""events":["follow.created","block.created"]"#), "{hook}");
        assert!(!hook.contains("cursor") && hook.contains(r#""secret":"whsec_c2VjcmV0""#), "{hook}");
        assert!(!exported.contains("leased_until"), "{exported}");
        // The events the endpoint was not given yet, as pending deliveries due at once,
        // after the stored ones; a second export writes the same ids.
        let unsent = &lines_of(&exported, "webhook_delivery")[2..];
        for (line, (seq, kind)) in unsent.iter().zip([(43, "follow.created"), (2, "block.created")]) {
            assert!(line.contains(&format!(r#""event_type":"{kind}""#)), "{line}");
            assert!(line.contains(&format!(r#"\"data\":{{\"n\":{seq}}}}}"#)), "{line}");
            assert!(line.contains(r#""status":"pending","attempts":0"#), "{line}");
        }
        assert_eq!(source.export("source-again.jsonl"), exported, "{from:?}: the same file twice");

        // Small batches: kinds meet batch boundaries, and rows come in batches after
        // the accounts they name.
        let target = TestDb::new(to);
        let report =
            target.ok(&["import", source.file("source.jsonl").to_str().unwrap(), "--batch-size", "3", "--strict"]);
        assert!(report.contains("skipped: 0 lines"), "{from:?} -> {to:?}: {report}");
        assert!(report.contains("notifications: 4 imported, 0 already present"), "{report}");
        assert!(report.contains("follow requests: 3 imported"), "{report}");
        assert!(report.contains("webhook endpoints: 1 imported"), "{report}");
        assert!(report.contains("webhook deliveries: 4 imported"), "{report}");
        assert_eq!(target.export("target.jsonl"), exported, "{from:?} -> {to:?}");
        let check = target.rookery(&["check"]);
        assert_eq!(check.status.code(), Some(0), "{from:?} -> {to:?}: {}", describe(&check));
        let mut sql = target.connect();
        assert_eq!(sql.counts("alice"), (1, 1));
        assert_eq!(sql.counts("carol"), (0, 0));
        // The endpoint starts at the new database's feed head (empty: the import writes
        // no events), nothing is in flight, and the two unsent deliveries are due.
        assert_eq!(sql.number("SELECT cursor_tx + cursor_seq AS n FROM webhooks"), 0, "{from:?} -> {to:?}");
        assert_eq!(sql.number("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE leased_until IS NOT NULL"), 0);
        assert_eq!(sql.number("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE attempts = 0"), 2);

        // Idempotent: everything is already there.
        let again = target.import(&source.file("source.jsonl"));
        assert!(again.contains("blocks: 0 imported, 1 already present"), "{again}");
        assert!(again.contains("queued pushes: 0 imported, 2 already present"), "{again}");
        assert!(again.contains("webhook deliveries: 0 imported, 4 already present"), "{again}");
        assert!(again.contains("skipped: 0 lines"), "{again}");
        assert_eq!(target.export("again.jsonl"), exported);
        let _ = (graph.alice, graph.bob, graph.carol);
    }
}

#[test]
fn a_block_survives_the_move_and_still_forbids_following() {
    for backend in backends() {
        let source = TestDb::new(backend);
        let graph = populate(&source);
        let exported = source.export("graph.jsonl");
        let target = TestDb::new(backend);
        target.import(&source.file("graph.jsonl"));
        // A file that tries to add a follow across the carried block is refused.
        let sneaky = format!(
            r#"{{"type":"follow","follower_id":"{}","followee_id":"{}","created_at":"2024-05-01T10:00:00Z"}}"#,
            graph.bob, graph.carol
        );
        let path = target.file("sneaky.jsonl");
        std::fs::write(&path, sneaky).unwrap();
        let report = target.import(&path);
        assert!(report.contains("1 one account blocks the other"), "{report}");
        assert_eq!(target.export("after.jsonl"), exported);
    }
}

#[test]
fn strict_import_fails_on_skips_reported_in_line_order_with_their_values() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let (known, unknown) = (Uuid::now_v7(), Uuid::now_v7());
        let lines = [
            format!(r#"{{"type":"account","id":"{known}","username":"known"}}"#),
            // Line 2: a block naming an account that does not exist (found by the store).
            format!(r#"{{"type":"block","blocker_id":"{known}","blocked_id":"{unknown}"}}"#),
            // Line 3: unreadable (found while reading, before line 2's batch is sent).
            r#"{"type":"device","token":"t1","account_id":"not-a-uuid","platform":"ios"}"#.to_owned(),
            // Line 4: a follow to the unknown account.
            format!(r#"{{"type":"follow","follower_id":"{known}","followee_id":"{unknown}"}}"#),
            // Line 5: a delivery to an endpoint neither in the file nor the database.
            format!(
                r#"{{"type":"webhook_delivery","id":"{unknown}","webhook_id":"{unknown}","event_id":"{known}","event_type":"follow.created","payload":"{{}}","status":"pending"}}"#
            ),
        ];
        let path = db.file("bad.jsonl");
        std::fs::write(&path, lines.join("\n")).unwrap();

        let lenient = db.rookery(&["import", path.to_str().unwrap()]);
        assert_eq!(lenient.status.code(), Some(0), "{}", describe(&lenient));
        let strict = db.rookery(&["import", "--strict", path.to_str().unwrap()]);
        assert_eq!(strict.status.code(), Some(1), "{backend:?}: {}", describe(&strict));
        let stderr = String::from_utf8(strict.stderr).unwrap();
        let skips: Vec<&str> = stderr.lines().filter(|l| l.starts_with("line ")).collect();
        assert_eq!(skips.len(), 4, "{stderr}");
        assert!(skips[0].starts_with("line 2: skipped: block ") && skips[0].contains(&unknown.to_string()), "{stderr}");
        assert!(skips[1].starts_with("line 3: skipped: account_id \"not-a-uuid\" is not a UUID"), "{stderr}");
        assert!(skips[2].starts_with(&format!("line 4: skipped: follow {known} -> {unknown}")), "{stderr}");
        assert!(
            skips[3].starts_with(&format!("line 5: skipped: webhook_delivery {unknown}"))
                && skips[3].ends_with("names an unknown webhook endpoint"),
            "{stderr}"
        );
    }
}
