//! The event feed (issue 24): every change writes its event in its own transaction,
//! and a pager sees every event exactly once, in one order, even when a transaction
//! that began earlier commits later; webhook deliveries are queued from it once.
//!
//! Each scenario runs on a SQLite file and (ignored unless asked for) on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use rookery_domain::event::{EventCursor, StoredEvent};
use rookery_domain::ports::{NoNotifier, SecretSource, SystemClock, UuidV7};
use rookery_domain::service::{
    Accounts, Admin, Blocks, EventService, FeedError, FeedQuery, Follows, GraphEvents, NewWebhook, Profiles, Requests,
};
use rookery_domain::{AccountId, FollowOutcome, GraphService, Identity, ProfilePatch, UnfollowScope, Username};
use rookery_store::webhooks::AttemptOutcome;
use rookery_store::{Database, DatabaseOptions};
use uuid::Uuid;

type Service = GraphService<Database, Database, Database, SystemClock, UuidV7, NoNotifier>;

struct FixedSecrets;

impl SecretSource for FixedSecrets {
    fn secret_bytes(&self) -> [u8; 32] {
        [42; 32]
    }
}

fn events_service(db: &Database) -> EventService<Database, SystemClock, UuidV7, FixedSecrets> {
    EventService::new(db.clone(), SystemClock, UuidV7, FixedSecrets)
}

fn service(db: &Database) -> Service {
    GraphService::new(db.clone(), db.clone(), db.clone(), SystemClock, UuidV7, NoNotifier)
}

fn on_sqlite(scenario: fn(&[Database])) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("rookery.db").display());
    let db = Database::open(&url, DatabaseOptions::default()).expect("open SQLite");
    db.migrate().expect("migrate");
    scenario(&[db]);
}

/// Two "instances": two stores on one PostgreSQL database, each with its writers.
fn on_postgres(scenario: fn(&[Database])) {
    let scratch = ScratchDatabase::create(&postgres_url());
    let first = Database::open(&scratch.url, DatabaseOptions::default()).expect("open PostgreSQL");
    first.migrate().expect("migrate");
    let second = Database::open(&scratch.url, DatabaseOptions::default()).expect("open PostgreSQL");
    scenario(&[first, second]);
}

fn who(id: AccountId) -> Identity {
    Identity { id, username: None, name: None }
}

fn account(service: &Service, name: &str, private: bool) -> AccountId {
    service.create_account(Username::parse(name).expect("username"), None, private).expect("create").id
}

fn follow(service: &Service, actor: AccountId, target: AccountId) -> FollowOutcome {
    futures::executor::block_on(service.follow(&who(actor), target)).expect("follow")
}

/// Every event after `after`, paged `limit` at a time.
fn read_all(db: &Database, after: EventCursor, limit: usize) -> Vec<StoredEvent> {
    let feed = events_service(db);
    let mut cursor = Some(after);
    let mut all = Vec::new();
    loop {
        let page = feed.events(&FeedQuery { after: cursor, limit, types: Vec::new() }).expect("page");
        if page.events.is_empty() {
            return all;
        }
        all.extend(page.events);
        cursor = Some(page.next_cursor);
    }
}

/// Every event after `after`, paged `limit` at a time, once there are `expected` of
/// them. On PostgreSQL the feed holds back events while any older write transaction
/// of the server (any database on it: other tests') is still running, so a read right
/// after a change may not show it yet.
fn read_expecting(db: &Database, after: EventCursor, limit: usize, expected: usize) -> Vec<StoredEvent> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let all = read_all(db, after, limit);
        if all.len() >= expected || std::time::Instant::now() > deadline {
            return all;
        }
        thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn data(event: &StoredEvent) -> serde_json::Value {
    serde_json::from_str(&event.data).expect("data is JSON")
}

// ---------------------------------------------------------------------------------

fn every_change_writes_its_event(dbs: &[Database]) {
    let db = &dbs[0];
    let s = service(db);
    let a = account(&s, "ann", false);
    let b = account(&s, "bob", false);
    let p = account(&s, "pia", true);
    assert_eq!(follow(&s, a, b), FollowOutcome::Followed);
    let FollowOutcome::Requested(request) = follow(&s, a, p) else { panic!("a request") };
    s.accept_request(p, request.id).expect("accept");
    let FollowOutcome::Requested(second) = follow(&s, b, p) else { panic!("a request") };
    s.decline_request(p, second.id).expect("decline");
    let FollowOutcome::Requested(_) = follow(&s, b, p) else { panic!("a request") };
    futures::executor::block_on(s.unfollow(&who(b), p, UnfollowScope::FollowOrRequest)).expect("withdraw");
    futures::executor::block_on(s.unfollow(&who(a), b, UnfollowScope::FollowOrRequest)).expect("unfollow");
    assert_eq!(follow(&s, b, a), FollowOutcome::Followed);
    assert!(s.remove_follower(a, b).expect("remove"));
    assert_eq!(follow(&s, b, a), FollowOutcome::Followed);
    let FollowOutcome::Requested(_) = follow(&s, b, p) else { panic!("a request") };
    s.block(p, b, None).expect("block");
    s.unblock(p, b).expect("unblock");
    let FollowOutcome::Requested(_) = follow(&s, b, p) else { panic!("a request") };
    s.update_profile(p, &ProfilePatch { is_private: Some(false), ..ProfilePatch::default() }).expect("go public");
    s.admin_delete(a).expect("delete");

    let events = read_expecting(db, EventCursor::default(), 3, 26);
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "account.created",
            "account.created",
            "account.created",
            "follow.created",
            "follow_request.created",
            "follow_request.accepted",
            "follow.created",
            "follow_request.created",
            "follow_request.declined",
            "follow_request.created",
            "follow_request.cancelled",
            "follow.deleted",
            "follow.created",
            "follow.deleted",
            "follow.created",
            "follow_request.created",
            "block.created",
            "follow_request.cancelled",
            "block.deleted",
            "follow_request.created",
            "account.updated",
            "follow_request.accepted",
            "follow.created",
            "follow.deleted",
            "follow.deleted",
            "account.deleted",
        ]
    );
    let reasons: Vec<String> = events
        .iter()
        .filter(|e| e.kind == "follow.deleted" || e.kind == "follow_request.cancelled")
        .map(|e| data(e)["reason"].as_str().expect("reason").to_owned())
        .collect();
    assert_eq!(reasons, ["unfollow", "unfollow", "removed", "block", "account_deleted", "account_deleted"]);
    let first_follow = data(&events[3]);
    assert_eq!(first_follow["follower_id"], a.to_string());
    assert_eq!(first_follow["followee_id"], b.to_string());
    assert!(first_follow["followed_at"].is_string());
    assert_eq!(data(&events[20])["fields"], serde_json::json!(["is_private"]));
    assert_eq!(data(&events[20])["is_private"], false);
    let ids: HashSet<Uuid> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), events.len(), "event ids are unique");
    let cursors: Vec<EventCursor> = events.iter().map(|e| e.cursor).collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "the feed is in one order");

    // Filtered by type, and a change that changes nothing writes nothing.
    let only = events_service(db)
        .events(&FeedQuery { after: None, limit: 1000, types: vec!["block.created".into(), "block.deleted".into()] })
        .expect("filtered");
    assert_eq!(only.events.len(), 2);
    assert!(!s.unblock(p, b).expect("unblock again"));
    assert_eq!(read_expecting(db, EventCursor::default(), 1000, events.len()).len(), events.len());
}

#[test]
fn every_change_writes_its_event_sqlite() {
    on_sqlite(every_change_writes_its_event);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn every_change_writes_its_event_postgres() {
    on_postgres(every_change_writes_its_event);
}

// ---------------------------------------------------------------------------------

/// A transaction that wrote an event before a reader's page, and commits after it,
/// still reaches the reader's next page: nothing after it is shown while it runs.
#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn a_transaction_that_commits_late_is_seen_postgres() {
    let scratch = ScratchDatabase::create(&postgres_url());
    let db = Database::open(&scratch.url, DatabaseOptions::default()).expect("open");
    db.migrate().expect("migrate");
    let s = service(&db);
    let a = account(&s, "ann", false);
    let start = read_expecting(&db, EventCursor::default(), 100, 1).last().expect("one event").cursor;

    let mut slow = PgConnection::establish(&scratch.url).expect("connect");
    slow.batch_execute(
        "BEGIN; INSERT INTO events (id, kind, data, created_at) \
         VALUES (gen_random_uuid(), 'account.updated', '{\"late\":true}', now())",
    )
    .expect("an open transaction with an event");
    let b = account(&s, "bob", false);
    assert_eq!(follow(&s, b, a), FollowOutcome::Followed);
    let during = read_all(&db, start, 100);
    assert!(during.is_empty(), "nothing committed after the open transaction began is shown: {during:?}");
    slow.batch_execute("COMMIT").expect("commit");

    let after = read_expecting(&db, start, 1, 3);
    let kinds: Vec<&str> = after.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["account.updated", "account.created", "follow.created"]);
    assert_eq!(data(&after[0])["late"], true);
}

/// Going public while a requester's deletion commits: what it accepts, and announces,
/// is the requests left once the deletion has committed. (It read them before taking
/// the requesters' rows, and announced the deleted requester's request accepted, with a
/// follow that was never made.)
#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn going_public_while_a_requester_is_deleted_announces_what_it_did_postgres() {
    let scratch = ScratchDatabase::create(&postgres_url());
    let db = Database::open(&scratch.url, DatabaseOptions::default()).expect("open");
    db.migrate().expect("migrate");
    let s = service(&db);
    let target = account(&s, "tina", true);
    let (leaving, staying) = (account(&s, "rob", false), account(&s, "sam", false));
    for requester in [leaving, staying] {
        assert!(matches!(follow(&s, requester, target), FollowOutcome::Requested(_)));
    }
    let start = read_expecting(&db, EventCursor::default(), 100, 5).last().expect("events").cursor;

    // A deletion of the requester under way: its row locked, its request gone.
    let mut deleting = PgConnection::establish(&scratch.url).expect("connect");
    deleting
        .batch_execute(&format!(
            "BEGIN; SELECT id FROM accounts WHERE id = '{leaving}' FOR UPDATE; \
             DELETE FROM follow_requests WHERE requester_id = '{leaving}'; \
             UPDATE accounts SET deleted_at = now() WHERE id = '{leaving}'"
        ))
        .expect("a deletion in progress");
    let public = ProfilePatch { is_private: Some(false), ..ProfilePatch::default() };
    let going = thread::spawn({
        let db = db.clone();
        move || service(&db).update_profile(target, &public)
    });
    thread::sleep(std::time::Duration::from_millis(500));
    deleting.batch_execute("COMMIT").expect("the deletion commits");
    going.join().expect("thread").expect("gone public");

    let events = read_expecting(&db, start, 100, 3);
    let about = |kind: &str, field: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| data(e)[field].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(about("follow_request.accepted", "requester_id"), [staying.to_string()], "{events:?}");
    assert_eq!(about("follow.created", "follower_id"), [staying.to_string()], "{events:?}");
    assert_eq!(s.account(target).expect("account").followers_count, 1);
}

// ---------------------------------------------------------------------------------

const WRITERS: usize = 6;
const FOLLOWS_EACH: usize = 40;
/// The star's and the fans' accounts, and the follows.
const EXPECTED: usize = 1 + 2 * WRITERS * FOLLOWS_EACH;

/// Writers on every instance follow while a reader pages: the reader ends up with
/// exactly the events the table holds, each once, in the feed's order.
fn a_pager_sees_every_event_once(dbs: &[Database]) {
    let services: Vec<Service> = dbs.iter().map(service).collect();
    let star = account(&services[0], "star", false);
    let fans: Vec<AccountId> = (0..WRITERS * FOLLOWS_EACH)
        .map(|i| account(&services[i % services.len()], &format!("fan{i}"), false))
        .collect();
    let done = AtomicBool::new(false);
    let seen = thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut seen = Vec::new();
            let mut cursor = EventCursor::default();
            let feed = events_service(&dbs[dbs.len() - 1]);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = feed.events(&FeedQuery { after: Some(cursor), limit: 7, types: Vec::new() }).expect("page");
                cursor = page.next_cursor;
                let empty = page.events.is_empty();
                seen.extend(page.events);
                if finished && empty && (seen.len() >= EXPECTED || std::time::Instant::now() > deadline) {
                    return seen;
                }
            }
        });
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (services, fans) = (&services, &fans);
                scope.spawn(move || {
                    let s = &services[w % services.len()];
                    for fan in fans.iter().skip(w).step_by(WRITERS) {
                        assert_eq!(follow(s, *fan, star), FollowOutcome::Followed);
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("writer");
        }
        done.store(true, Ordering::SeqCst);
        reader.join().expect("reader")
    });
    let mut conn_events = read_expecting(&dbs[0], EventCursor::default(), 1000, EXPECTED);
    conn_events.sort_by_key(|e| e.cursor);
    let seen_ids: Vec<Uuid> = seen.iter().map(|e| e.id).collect();
    let table_ids: Vec<Uuid> = conn_events.iter().map(|e| e.id).collect();
    assert_eq!(seen_ids.len(), table_ids.len(), "the pager saw as many events as the table holds");
    assert_eq!(seen_ids, table_ids, "the pager saw each event once, in the feed's order");
    assert_eq!(seen.iter().filter(|e| e.kind == "follow.created").count(), WRITERS * FOLLOWS_EACH);
}

#[test]
fn a_pager_sees_every_event_once_sqlite() {
    on_sqlite(a_pager_sees_every_event_once);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn a_pager_sees_every_event_once_postgres() {
    on_postgres(a_pager_sees_every_event_once);
}

// ---------------------------------------------------------------------------------

fn pruned_cursors_expire(dbs: &[Database]) {
    let db = &dbs[0];
    let s = service(db);
    let a = account(&s, "ann", false);
    let first = read_expecting(db, EventCursor::default(), 10, 1)[0].cursor;
    let b = account(&s, "bob", false);
    assert_eq!(follow(&s, a, b), FollowOutcome::Followed);
    let feed = events_service(db);
    let from_start = FeedQuery { after: Some(EventCursor::default()), limit: 10, types: Vec::new() };
    assert_eq!(read_expecting(db, EventCursor::default(), 10, 3).len(), 3);
    let pruned = db.prune_events(chrono::Utc::now() + chrono::Duration::seconds(1)).expect("prune");
    assert_eq!(pruned, 3);
    assert_eq!(feed.events(&from_start), Err(FeedError::Expired));
    assert_eq!(feed.events(&FeedQuery { after: Some(first), ..from_start.clone() }), Err(FeedError::Expired));
    // Without a cursor the feed starts at what is kept; the newest pruned is a fine cursor.
    let fresh = feed.events(&FeedQuery { after: None, ..from_start.clone() }).expect("fresh");
    assert!(fresh.events.is_empty());
    assert!(feed.events(&FeedQuery { after: Some(fresh.next_cursor), ..from_start }).is_ok());
}

#[test]
fn pruned_cursors_expire_sqlite() {
    on_sqlite(pruned_cursors_expire);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn pruned_cursors_expire_postgres() {
    on_postgres(pruned_cursors_expire);
}

// ---------------------------------------------------------------------------------

/// Two instances fanning out and claiming at once queue each event once and hand each
/// delivery to one sender.
fn deliveries_are_queued_and_claimed_once(dbs: &[Database]) {
    let s = service(&dbs[0]);
    let hooks = events_service(&dbs[0]);
    let a = account(&s, "ann", false);
    let hook = hooks
        .create_webhook(NewWebhook {
            url: "https://a.example/h".into(),
            events: vec!["follow.created".into()],
            description: None,
        })
        .expect("webhook");
    for i in 0..30 {
        let fan = account(&s, &format!("fan{i}"), false);
        assert_eq!(follow(&s, fan, a), FollowOutcome::Followed);
    }
    read_expecting(&dbs[0], EventCursor::default(), 1000, 61);
    let now = chrono::Utc::now();
    let queued: usize = thread::scope(|scope| {
        let handles: Vec<_> =
            dbs.iter().map(|db| scope.spawn(move || db.fan_out(1000, now).expect("fan out"))).collect();
        handles.into_iter().map(|h| h.join().expect("fan-out thread")).sum()
    });
    assert_eq!(queued, 30, "each follow queued once: the account events are not wanted");
    assert_eq!(dbs[0].fan_out(1000, now).expect("again"), 0);
    let claimed: Vec<Uuid> = thread::scope(|scope| {
        let handles: Vec<_> = dbs
            .iter()
            .map(|db| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let due = db.claim_deliveries(now, chrono::Duration::seconds(30), 4).expect("claim");
                        if due.is_empty() {
                            return mine;
                        }
                        mine.extend(due.into_iter().map(|d| d.id));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("claim thread")).collect()
    });
    assert_eq!(claimed.len(), 30);
    assert_eq!(claimed.iter().collect::<HashSet<_>>().len(), 30, "no delivery claimed twice");
    // A receiver that is gone disables the endpoint.
    let gone = AttemptOutcome::Failed { status_code: Some(410), error: "410 Gone".into(), gone: true };
    assert!(dbs[0].record_attempt(claimed[0], &gone, now, 50).expect("record").disabled);
    assert!(!hooks.webhook(hook.id).expect("webhook").enabled);
    let delivered = AttemptOutcome::Delivered { status_code: 204 };
    dbs[0].record_attempt(claimed[1], &delivered, now, 50).expect("record");
    let log = hooks.deliveries(hook.id, Some(rookery_domain::DeliveryStatus::Delivered), None, 100).expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].last_status_code, Some(204));
    assert_eq!(log[0].attempts, 1);
    assert_eq!(dbs[0].pending_deliveries().expect("depth"), 28);
}

#[test]
fn deliveries_are_queued_and_claimed_once_sqlite() {
    on_sqlite(deliveries_are_queued_and_claimed_once);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn deliveries_are_queued_and_claimed_once_postgres() {
    on_postgres(deliveries_are_queued_and_claimed_once);
}

/// A fan-out that leases hands its first deliveries straight to its sender: another
/// instance's claim skips them until the lease lapses, and takes the rest; two
/// instances fanning out at once hand each delivery to one of them.
fn fanned_out_deliveries_come_leased(dbs: &[Database]) {
    let s = service(&dbs[0]);
    let hooks = events_service(&dbs[0]);
    let a = account(&s, "ann", false);
    let hook = hooks
        .create_webhook(NewWebhook { url: "https://a.example/h".into(), events: vec!["*".into()], description: None })
        .expect("webhook");
    let mut fans = Vec::new();
    for i in 0..12 {
        let fan = account(&s, &format!("fan{i}"), false);
        assert_eq!(follow(&s, fan, a), FollowOutcome::Followed);
        fans.push(fan);
    }
    let now = chrono::Utc::now();
    let lease = chrono::Duration::seconds(30);
    let fanned: Vec<_> = thread::scope(|scope| {
        let handles: Vec<_> = dbs
            .iter()
            .map(|db| scope.spawn(move || db.fan_out_leasing(1000, now, lease, 5).expect("fan out")))
            .collect();
        handles.into_iter().map(|h| h.join().expect("fan-out thread")).collect()
    });
    // 12 accounts created and 12 follows, all wanted; one fan-out queued them all.
    assert_eq!(fanned.iter().map(|f| f.queued).sum::<usize>(), 24);
    let leased: Vec<_> = fanned.iter().flat_map(|f| f.leased.clone()).collect();
    assert_eq!(leased.len(), 5, "only the first five come leased");
    for delivery in &leased {
        assert_eq!((delivery.webhook_id, delivery.attempts), (hook.id, 0));
        assert!(delivery.secret.starts_with("whsec_"));
        let envelope: serde_json::Value = serde_json::from_str(&delivery.payload).expect("an envelope");
        assert_eq!(envelope["id"].as_str(), Some(delivery.event_id.to_string().as_str()));
    }
    let leased_ids: HashSet<Uuid> = leased.iter().map(|d| d.id).collect();
    let claimed = dbs[dbs.len() - 1].claim_deliveries(now, lease, 100).expect("claim");
    assert_eq!(claimed.len(), 19, "the claim takes the rest");
    assert!(claimed.iter().all(|d| !leased_ids.contains(&d.id)), "and none of the leased ones");
    // Once the lease lapses (a sender that died mid-send), they are claimed again.
    let later = now + chrono::Duration::seconds(31);
    let again = dbs[0].claim_deliveries(later, lease, 100).expect("claim after the lease");
    let again: HashSet<Uuid> = again.iter().map(|d| d.id).collect();
    assert!(leased_ids.is_subset(&again), "leased deliveries come back after their lease");
    let landed: Vec<_> = leased.iter().map(|d| (d.id, AttemptOutcome::Delivered { status_code: 200 })).collect();
    dbs[0].record_attempts(&landed, later, 50).expect("record");
    let log = hooks.deliveries(hook.id, Some(rookery_domain::DeliveryStatus::Delivered), None, 100).expect("log");
    assert_eq!(log.len(), 5);
    assert!(log.iter().all(|d| d.attempts == 1 && d.last_status_code == Some(200) && d.delivered_at.is_some()));
    assert_eq!(dbs[0].pending_deliveries().expect("depth"), 19);
}

#[test]
fn fanned_out_deliveries_come_leased_sqlite() {
    on_sqlite(fanned_out_deliveries_come_leased);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn fanned_out_deliveries_come_leased_postgres() {
    on_postgres(fanned_out_deliveries_come_leased);
}

// ---------------------------------------------------------------------------------

struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    fn create(admin_url: &str) -> Self {
        let name = format!("rookery_events_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(admin_url).expect("connect to ROOKERY_TEST_POSTGRES_URL");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create scratch database");
        let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
        let authority_start = base.find("://").map_or(0, |i| i + 3);
        let host_end = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
        let mut url = format!("{}/{name}", &base[..host_end]);
        if let Some(query) = query {
            url.push('?');
            url.push_str(query);
        }
        Self { admin_url: admin_url.to_owned(), name, url }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

fn postgres_url() -> String {
    std::env::var("ROOKERY_TEST_POSTGRES_URL")
        .expect("ROOKERY_TEST_POSTGRES_URL must name a PostgreSQL server for the _postgres tests")
}
