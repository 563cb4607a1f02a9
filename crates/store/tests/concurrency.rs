//! Concurrency: racing twin requests through the domain service and the real store
//! leave exactly the state one of them would have, and the counts never drift.
//!
//! Every scenario runs on SQLite (a file in a temp dir) and, when
//! `ROOKERY_TEST_POSTGRES_URL` is set, on PostgreSQL (a fresh database, dropped
//! afterwards). Threads start each race together at a [`Barrier`].
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Barrier;
use std::thread;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use rookery_domain::ports::{NoNotifier, SystemClock, UuidV7};
use rookery_domain::service::{Accounts, Blocks, Follows, Profiles, Requests};
use rookery_domain::{
    AccountId, FollowOutcome, FollowRequest, GraphError, GraphService, Identity, PageRequest, ProfilePatch,
    RequestStatus, UnfollowOutcome, UnfollowScope, Username,
};
use rookery_store::{Database, DatabaseOptions};
use uuid::Uuid;

type Service = GraphService<Database, Database, Database, SystemClock, UuidV7, NoNotifier>;

fn options() -> DatabaseOptions {
    DatabaseOptions { max_connections: 16, ..DatabaseOptions::default() }
}

fn service(db: &Database) -> Service {
    db.migrate().expect("migrate");
    GraphService::new(db.clone(), db.clone(), db.clone(), SystemClock, UuidV7, NoNotifier)
}

/// Runs `scenario` against a fresh SQLite file.
fn on_sqlite(scenario: fn(&Service)) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("rookery.db").display());
    let db = Database::open(&url, options()).expect("open SQLite");
    scenario(&service(&db));
}

/// Runs `scenario` against a fresh PostgreSQL database, when one is configured.
fn on_postgres(scenario: fn(&Service)) {
    let admin_url = postgres_url();
    let scratch = ScratchDatabase::create(&admin_url);
    let db = Database::open(&scratch.url, options()).expect("open PostgreSQL");
    scenario(&service(&db));
}

/// A follow as every adapter runs it: the one asynchronous use case, awaited.
fn follow(service: &Service, actor: AccountId, target: AccountId) -> Result<FollowOutcome, GraphError> {
    futures::executor::block_on(service.follow(&Identity { id: actor, username: None, name: None }, target))
}

/// An unfollow as the canonical dialect runs it.
fn unfollow(service: &Service, actor: AccountId, target: AccountId) -> Result<UnfollowOutcome, GraphError> {
    let caller = Identity { id: actor, username: None, name: None };
    futures::executor::block_on(service.unfollow(&caller, target, UnfollowScope::FollowOrRequest))
}

fn account(service: &Service, prefix: &str, n: usize, private: bool) -> AccountId {
    let username = Username::parse(&format!("{prefix}{n}")).expect("username");
    service.create_account(username, None, private).expect("create account").id
}

/// (followers_count, following_count) as stored.
fn counts(service: &Service, id: AccountId) -> (i64, i64) {
    let account = service.account(id).expect("account");
    (account.followers_count, account.following_count)
}

/// Runs `f(i)` for `i` in `0..n` on `n` threads released together; returns the results
/// in order of `i`.
fn race<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(n);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, f) = (&barrier, &f);
                scope.spawn(move || {
                    barrier.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("racing thread panicked")).collect()
    })
}

// ---------------------------------------------------------------------------------
// (a) The same follow 50 times at once.

fn identical_follows(service: &Service) {
    let a = account(service, "a", 0, false);
    let b = account(service, "b", 0, false);
    let results = race(50, |_| follow(service, a, b));

    let followed = results.iter().filter(|r| matches!(r, Ok(FollowOutcome::Followed))).count();
    for result in &results {
        assert!(
            matches!(result, Ok(FollowOutcome::Followed | FollowOutcome::AlreadyFollowing)),
            "every twin follows or finds the follow done: {result:?}"
        );
    }
    assert_eq!(followed, 1, "exactly one twin creates the edge");
    assert_eq!(counts(service, a), (0, 1));
    assert_eq!(counts(service, b), (1, 0));
    assert!(service.relation(a, b).expect("relation").is_following);
    assert!(!service.relation(b, a).expect("relation").is_following);
}

#[test]
fn identical_follows_sqlite() {
    on_sqlite(identical_follows);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn identical_follows_postgres() {
    on_postgres(identical_follows);
}

// ---------------------------------------------------------------------------------
// (b) 30 followers at once, then 15 of them unfollow at once (each twice).

const FOLLOWERS: usize = 30;
const UNFOLLOWERS: usize = 15;

fn many_followers_then_unfollows(service: &Service) {
    let star = account(service, "star", 0, false);
    let fans: Vec<AccountId> = (0..FOLLOWERS).map(|i| account(service, "fan", i, false)).collect();

    let follows = race(FOLLOWERS, |i| follow(service, fans[i], star));
    for (i, result) in follows.iter().enumerate() {
        assert_eq!(*result, Ok(FollowOutcome::Followed), "fan {i}");
    }
    assert_eq!(counts(service, star), (i64::try_from(FOLLOWERS).unwrap(), 0));

    // Each of the first UNFOLLOWERS fans unfollows twice, the twins racing each other
    // and everyone else.
    let unfollows = race(2 * UNFOLLOWERS, |i| unfollow(service, fans[i % UNFOLLOWERS], star));
    for fan in 0..UNFOLLOWERS {
        let twins = [&unfollows[fan], &unfollows[fan + UNFOLLOWERS]];
        let done = twins.iter().filter(|r| ***r == Ok(UnfollowOutcome::Unfollowed)).count();
        let noop = twins.iter().filter(|r| ***r == Ok(UnfollowOutcome::NotFollowing)).count();
        assert_eq!((done, noop), (1, 1), "fan {fan}: one twin unfollows, the other finds nothing: {twins:?}");
    }

    assert_eq!(counts(service, star), (i64::try_from(FOLLOWERS - UNFOLLOWERS).unwrap(), 0));
    for (i, fan) in fans.iter().enumerate() {
        let still = i >= UNFOLLOWERS;
        assert_eq!(counts(service, *fan), (0, i64::from(still)), "fan {i}'s following_count");
        assert_eq!(service.relation(*fan, star).expect("relation").is_following, still, "fan {i}'s edge");
        assert_eq!(service.request_status(*fan, star), Ok(None), "fan {i} never asked");
    }
}

#[test]
fn many_followers_then_unfollows_sqlite() {
    on_sqlite(many_followers_then_unfollows);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn many_followers_then_unfollows_postgres() {
    on_postgres(many_followers_then_unfollows);
}

// ---------------------------------------------------------------------------------
// (b2) A crowd of different changes at once, so the group commit puts follows on
// distinct pairs, twins, refused follows and unfollows into the same transactions.

fn a_mixed_crowd_shares_commits(service: &Service) {
    const CROWD: usize = 48;
    let star = account(service, "crowdstar", 0, false);
    let private = account(service, "crowdprivate", 0, true);
    let blocker = account(service, "crowdblocker", 0, false);
    let fans: Vec<AccountId> = (0..CROWD).map(|i| account(service, "crowdfan", i, false)).collect();
    let targets: Vec<AccountId> = (0..CROWD).map(|i| account(service, "crowdtarget", i, false)).collect();
    // Fans 0..8 follow the star before the crowd and unfollow in it.
    for fan in &fans[..8] {
        assert_eq!(follow(service, *fan, star), Ok(FollowOutcome::Followed));
    }
    service.block(blocker, fans[8], None).expect("block");

    // Each fan i does one thing; fans 24..48 do the same as fans 0..24's twins where
    // noted, all released together.
    let outcomes = race(CROWD, |i| match i {
        0..8 => Err(unfollow(service, fans[i], star)),
        8 => Ok(follow(service, fans[i], blocker)),
        9..16 => Ok(follow(service, fans[i], private)),
        16..24 => Ok(follow(service, fans[i], star)),
        24..32 => Ok(follow(service, fans[i - 8], star)),
        _ => Ok(follow(service, fans[i], targets[i])),
    });
    for (i, outcome) in outcomes.iter().enumerate() {
        match (i, outcome) {
            (0..8, Err(unfollow)) => assert_eq!(*unfollow, Ok(UnfollowOutcome::Unfollowed), "fan {i}"),
            (8, Ok(follow)) => assert_eq!(*follow, Err(GraphError::Blocked), "fan {i}"),
            (9..16, Ok(follow)) => assert!(matches!(follow, Ok(FollowOutcome::Requested(_))), "fan {i}: {follow:?}"),
            (32.., Ok(follow)) => assert_eq!(*follow, Ok(FollowOutcome::Followed), "fan {i}"),
            (16..32, Ok(_)) => {}
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    // Fans 16..24 and their twins: exactly one of each pair followed.
    for fan in 16..24 {
        let twins = [&outcomes[fan], &outcomes[fan + 8]];
        let followed = twins.iter().filter(|r| ***r == Ok(Ok(FollowOutcome::Followed))).count();
        let already = twins.iter().filter(|r| ***r == Ok(Ok(FollowOutcome::AlreadyFollowing))).count();
        assert_eq!((followed, already), (1, 1), "fan {fan}: {twins:?}");
    }

    assert_eq!(counts(service, star), (8, 0), "8 unfollowed, 8 followed");
    assert_eq!(counts(service, private), (0, 0), "requests move no counts");
    assert_eq!(counts(service, blocker), (0, 0));
    for (i, fan) in fans.iter().enumerate() {
        let following = i64::from((16..24).contains(&i) || i >= 32);
        assert_eq!(counts(service, *fan), (0, following), "fan {i}'s following_count");
    }
    for (i, target) in targets.iter().enumerate() {
        assert_eq!(counts(service, *target), (i64::from(i >= 32), 0), "target {i}'s followers_count");
    }
    let requests = service.received_requests(private, PageRequest::new(None, Some(50)).expect("page"));
    assert_eq!(requests.expect("requests").total, 7);
}

#[test]
fn a_mixed_crowd_shares_commits_sqlite() {
    on_sqlite(a_mixed_crowd_shares_commits);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn a_mixed_crowd_shares_commits_postgres() {
    on_postgres(a_mixed_crowd_shares_commits);
}

// (b3) A ring of follows at once: each account follows the next, so a batch holds
// accounts that gain a follower and a followee in the same set (one row of the count
// update carries both deltas), and a hub followed by the ring's half while it follows
// the other half.

fn a_ring_of_follows_moves_both_counts(service: &Service) {
    const RING: usize = 48;
    let ring: Vec<AccountId> = (0..RING).map(|i| account(service, "ring", i, false)).collect();
    let hub = account(service, "ringhub", 0, false);
    let outcomes = race(RING * 2, |i| match i {
        0..RING => follow(service, ring[i], ring[(i + 1) % RING]),
        _ if i % 2 == 0 => follow(service, ring[i - RING], hub),
        _ => follow(service, hub, ring[i - RING]),
    });
    assert!(outcomes.iter().all(|o| *o == Ok(FollowOutcome::Followed)), "{outcomes:?}");
    for (i, member) in ring.iter().enumerate() {
        let (to_hub, from_hub) = (i64::from(i % 2 == 0), i64::from(i % 2 == 1));
        assert_eq!(counts(service, *member), (1 + from_hub, 1 + to_hub), "ring member {i}");
    }
    let half = i64::try_from(RING / 2).expect("small");
    assert_eq!(counts(service, hub), (half, half));
}

#[test]
fn a_ring_of_follows_moves_both_counts_sqlite() {
    on_sqlite(a_ring_of_follows_moves_both_counts);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn a_ring_of_follows_moves_both_counts_postgres() {
    on_postgres(a_ring_of_follows_moves_both_counts);
}

// ---------------------------------------------------------------------------------
// (c) The same follow of a private account 20 times at once.

fn identical_requests(service: &Service) {
    let fan = account(service, "fan", 0, false);
    let private = account(service, "private", 0, true);
    let results = race(20, |_| follow(service, fan, private));

    let requested: Vec<&FollowRequest> = results
        .iter()
        .filter_map(|r| match r {
            Ok(FollowOutcome::Requested(request)) => Some(request),
            _ => None,
        })
        .collect();
    assert_eq!(requested.len(), 1, "exactly one twin sends the request: {results:?}");
    for result in &results {
        assert!(
            matches!(result, Ok(FollowOutcome::Requested(_)) | Err(GraphError::RequestAlreadyPending)),
            "the other twins find it pending: {result:?}"
        );
    }

    let received = service.received_requests(private, PageRequest::default()).expect("received");
    assert_eq!(received.total, 1, "one pending request");
    assert_eq!(received.items.first().map(|l| l.request.id), requested.first().map(|r| r.id));
    assert_eq!(service.request_status(fan, private), Ok(Some(RequestStatus::Pending)));
    assert_eq!(counts(service, fan), (0, 0));
    assert_eq!(counts(service, private), (0, 0));
}

#[test]
fn identical_requests_sqlite() {
    on_sqlite(identical_requests);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn identical_requests_postgres() {
    on_postgres(identical_requests);
}

// ---------------------------------------------------------------------------------
// (d) The target accepts a request while its requester cancels it.

const ROUNDS: usize = 20;

fn accept_races_cancel(service: &Service) {
    let private = account(service, "private", 0, true);
    let mut accepted_rounds = 0_i64;
    for round in 0..ROUNDS {
        let fan = account(service, "fan", round, false);
        let Ok(FollowOutcome::Requested(request)) = follow(service, fan, private) else {
            panic!("round {round}: a follow of a private account sends a request");
        };

        // Thread 0 accepts as the target, thread 1 cancels as the requester.
        let results = race(2, |i| {
            if i == 0 {
                service.accept_request(private, request.id).map(|_| ())
            } else {
                service.cancel_request(fan, private)
            }
        });
        let (accept, cancel) = (&results[0], &results[1]);
        let relation = service.relation(fan, private).expect("relation");
        let status = service.request_status(fan, private).expect("status");
        match (accept, cancel) {
            (Ok(()), Err(GraphError::NoPendingRequest)) => {
                accepted_rounds += 1;
                assert!(relation.is_following, "round {round}: accepted, so following");
                assert_eq!(status, Some(RequestStatus::Accepted), "round {round}");
                assert_eq!(counts(service, fan), (0, 1), "round {round}");
            }
            (Err(GraphError::RequestNotFound), Ok(())) => {
                assert!(!relation.is_following, "round {round}: cancelled, so not following");
                assert_eq!(status, None, "round {round}: the cancelled request is gone");
                assert_eq!(counts(service, fan), (0, 0), "round {round}");
            }
            other => panic!("round {round}: exactly one of accept and cancel wins, got {other:?}"),
        }
        assert_eq!(counts(service, private), (accepted_rounds, 0), "round {round}");
        let received = service.received_requests(private, PageRequest::default()).expect("received");
        assert_eq!(received.total, 0, "round {round}: nothing left pending");
    }
}

#[test]
fn accept_races_cancel_sqlite() {
    on_sqlite(accept_races_cancel);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn accept_races_cancel_postgres() {
    on_postgres(accept_races_cancel);
}

// ---------------------------------------------------------------------------------
// (e) A private account goes public while follows of it arrive.

const ARRIVALS: usize = 20;
const PUBLIC_ROUNDS: usize = 5;

/// Whatever the interleaving, once the switch to public has committed no request to
/// the account may stay pending: each follow either was a request that the switch
/// accepted, or came after it and followed at once. A follow decided while the
/// account was private but written after the switch must not leave a pending request.
fn going_public_races_follows(service: &Service) {
    for round in 0..PUBLIC_ROUNDS {
        let star = account(service, &format!("star{round}_"), 0, true);
        let fans: Vec<AccountId> = (0..ARRIVALS).map(|i| account(service, &format!("fan{round}_"), i, false)).collect();

        // Threads 0..ARRIVALS follow; the last one switches the account to public.
        let results = race(ARRIVALS + 1, |i| match fans.get(i) {
            Some(fan) => follow(service, *fan, star).map(|outcome| format!("{outcome:?}")),
            None => {
                let patch = ProfilePatch { is_private: Some(false), ..ProfilePatch::default() };
                service.update_profile(star, &patch).map(|_| "went public".to_owned())
            }
        });
        for (i, result) in results.iter().enumerate() {
            assert!(result.is_ok(), "round {round}, thread {i}: {result:?}");
        }

        for (i, fan) in fans.iter().enumerate() {
            let following = service.relation(*fan, star).expect("relation").is_following;
            assert_eq!(counts(service, *fan), (0, i64::from(following)), "round {round}, fan {i}: following_count");
        }
        let pending = service.received_requests(star, PageRequest::default()).expect("received");
        let stuck: Vec<usize> = fans
            .iter()
            .enumerate()
            .filter(|(_, fan)| !service.relation(**fan, star).expect("relation").is_following)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            (pending.total, stuck.as_slice()),
            (0, &[][..]),
            "round {round}: a public account has requests pending and fans {stuck:?} do not follow it"
        );
        assert_eq!(counts(service, star), (i64::try_from(ARRIVALS).unwrap(), 0), "round {round}");
    }
}

#[test]
fn going_public_races_follows_sqlite() {
    on_sqlite(going_public_races_follows);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn going_public_races_follows_postgres() {
    on_postgres(going_public_races_follows);
}

// ---------------------------------------------------------------------------------
// (f) A private account goes public while its pending requests are being answered
// and withdrawn.

const WAITING: usize = 20;
const ANSWER_ROUNDS: usize = 5;

/// Each pending request is either cancelled (by its requester, even threads) or
/// declined (by the target, odd threads) while the target switches to public, which
/// accepts whatever is still pending. Each request ends up exactly one way, and the
/// counts equal the edges.
fn going_public_races_answers(service: &Service) {
    for round in 0..ANSWER_ROUNDS {
        let star = account(service, &format!("star{round}_"), 0, true);
        let mut fans = Vec::with_capacity(WAITING);
        for i in 0..WAITING {
            let fan = account(service, &format!("fan{round}_"), i, false);
            let Ok(FollowOutcome::Requested(request)) = follow(service, fan, star) else {
                panic!("round {round}: a follow of a private account sends a request");
            };
            fans.push((fan, request.id));
        }

        let results = race(WAITING + 1, |i| match fans.get(i) {
            Some((fan, _)) if i % 2 == 0 => service.cancel_request(*fan, star),
            Some((_, request)) => service.decline_request(star, *request).map(|_| ()),
            None => {
                let patch = ProfilePatch { is_private: Some(false), ..ProfilePatch::default() };
                service.update_profile(star, &patch).map(|_| ())
            }
        });
        assert_eq!(results.last(), Some(&Ok(())), "round {round}: going public");

        let mut followers = 0;
        for (i, (fan, _)) in fans.iter().enumerate() {
            let following = service.relation(*fan, star).expect("relation").is_following;
            let status = service.request_status(*fan, star).expect("status");
            let expected = match (i % 2 == 0, &results[i]) {
                // Cancelled before the switch, or found accepted by it.
                (true, Ok(())) => (false, None),
                (true, Err(GraphError::NoPendingRequest)) => (true, Some(RequestStatus::Accepted)),
                // Declined before the switch, or found accepted by it.
                (false, Ok(())) => (false, Some(RequestStatus::Declined)),
                (false, Err(GraphError::RequestAlreadyAccepted)) => (true, Some(RequestStatus::Accepted)),
                (_, other) => panic!("round {round}, fan {i}: unexpected answer {other:?}"),
            };
            assert_eq!((following, status), expected, "round {round}, fan {i} after {:?}", results[i]);
            assert_eq!(counts(service, *fan), (0, i64::from(following)), "round {round}, fan {i}: following_count");
            followers += i64::from(following);
        }
        assert_eq!(counts(service, star), (followers, 0), "round {round}: followers_count");
        let pending = service.received_requests(star, PageRequest::default()).expect("received");
        assert_eq!(pending.total, 0, "round {round}: nothing left pending");
    }
}

#[test]
fn going_public_races_answers_sqlite() {
    on_sqlite(going_public_races_answers);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn going_public_races_answers_postgres() {
    on_postgres(going_public_races_answers);
}

// ---------------------------------------------------------------------------------
// Connections the server closed are replaced, not handed out again.

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn connections_closed_by_the_server_are_replaced_postgres() {
    let admin_url = postgres_url();
    let scratch = ScratchDatabase::create(&admin_url);
    let db = Database::open(&scratch.url, DatabaseOptions { max_connections: 4, ..DatabaseOptions::default() })
        .expect("open PostgreSQL");
    let service = service(&db);
    let (a, b) = (account(&service, "closed", 0, false), account(&service, "closed", 1, false));
    // Open every connection of the pool.
    race(4, |_| service.relation(a, b).expect("relation"));

    let mut admin = PgConnection::establish(&admin_url).expect("admin connection");
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
            scratch.name
        ))
        .expect("terminate the pool's connections");

    // Each dead connection fails at most the one call that finds it dead; after the
    // pool's size in calls, every call succeeds.
    let failures = (0..8).filter(|_| service.relation(a, b).is_err()).count();
    assert!(failures <= 4, "{failures} failures: dead connections were handed out again");
    for _ in 0..8 {
        assert!(service.relation(a, b).is_ok(), "a call after the dead connections were replaced");
    }
    let mut followed = follow(&service, a, b);
    if followed.is_err() {
        followed = follow(&service, a, b);
    }
    assert_eq!(followed, Ok(FollowOutcome::Followed));
}

// ---------------------------------------------------------------------------------
// PostgreSQL scratch databases

/// A database created for one test and dropped (forcibly) when this goes out of scope.
struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    fn create(admin_url: &str) -> Self {
        let name = format!("rookery_concurrency_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(admin_url).expect("connect to ROOKERY_TEST_POSTGRES_URL");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create scratch database");
        let url = with_database(admin_url, &name);
        Self { admin_url: admin_url.to_owned(), name, url }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let dropped = PgConnection::establish(&self.admin_url).map_err(|e| e.to_string()).and_then(|mut admin| {
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                .map_err(|e| e.to_string())
        });
        if let Err(e) = dropped {
            eprintln!("could not drop scratch database {}: {e}", self.name);
        }
    }
}

/// `url` with its database name replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(base, query)| (base, Some(query)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

// ---------------------------------------------------------------------------------
// Deep offset pages pick their edges before joining the accounts (from offset 500):
// they must list what the shallow plan and the keyset walk list.

const DEEP_FOLLOWERS: usize = 560;

fn deep_offset_pages_list_what_the_keyset_walk_lists(service: &Service) {
    use rookery_domain::service::Lists;
    use rookery_domain::{Direction, ListQuery, Paging};

    let star = account(service, "star", 0, false);
    let fans: Vec<AccountId> = (0..DEEP_FOLLOWERS).map(|i| account(service, "fan", i, false)).collect();
    race(8, |t| {
        for fan in fans.iter().skip(t).step_by(8) {
            assert_eq!(follow(service, *fan, star), Ok(FollowOutcome::Followed));
        }
    });
    let list = |paging| service.list(None, star, Direction::Followers, &ListQuery::paged(paging));
    let page = |paging| list(paging).expect("list").items.into_iter().map(|l| l.item.account.id).collect::<Vec<_>>();

    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let listed = list(Paging::Keyset { after, limit: 100 }).expect("keyset page");
        walked.extend(listed.items.iter().map(|l| l.item.account.id));
        match listed.next_cursor {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(walked.len(), DEEP_FOLLOWERS);

    let mut paged = Vec::new();
    for number in 1..=6 {
        paged.extend(page(Paging::Offset(PageRequest::new(Some(number), Some(100)).expect("page"))));
    }
    assert_eq!(paged, walked, "pages of 100 (the sixth one deep) list the keyset walk");
    let deep = page(Paging::Offset(PageRequest::new(Some(26), Some(20)).expect("page")));
    assert_eq!(deep, walked[500..520], "page 26 of 20 starts at offset 500");
    let beyond = page(Paging::Offset(PageRequest::new(Some(100), Some(20)).expect("page")));
    assert!(beyond.is_empty());
}

#[test]
fn deep_offset_pages_list_what_the_keyset_walk_lists_sqlite() {
    on_sqlite(deep_offset_pages_list_what_the_keyset_walk_lists);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn deep_offset_pages_list_what_the_keyset_walk_lists_postgres() {
    on_postgres(deep_offset_pages_list_what_the_keyset_walk_lists);
}

/// The PostgreSQL server a `_postgres` test runs on. Those tests are ignored unless
/// asked for (`make test-postgres`), and then a missing URL is a failure, never a pass.
fn postgres_url() -> String {
    std::env::var("ROOKERY_TEST_POSTGRES_URL")
        .expect("ROOKERY_TEST_POSTGRES_URL must name a PostgreSQL server for the _postgres tests")
}
