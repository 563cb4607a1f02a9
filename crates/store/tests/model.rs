//! Model-based test of the follow state machine, end to end through the domain
//! service and the real store.
//!
//! Proptest generates random sequences of follows, unfollows, answers to requests,
//! cancels and privacy switches over a handful of accounts (some private, plus one id
//! that belongs to no account), and runs each against a fresh database and against a
//! small in-memory reference model of SPEC section 2. After every step the result kind
//! of the service must equal the model's, and so must every account's counts and
//! privacy and the edges and request statuses of the pairs the step touched; every
//! few steps and at the end, the whole stored graph (every ordered pair's edge and
//! request status, the pending lists) must equal the model's, which makes the
//! counts equal to the real edges.
//!
//! It runs on SQLite (a fresh file per case) and, when `ROOKERY_TEST_POSTGRES_URL` is
//! set, on PostgreSQL (a fresh database per case, dropped afterwards).
//!
//! `batches` checks the store below the service: jobs applied in one group commit end
//! as the same jobs applied one by one.
//! `PROPTEST_CASES` overrides the number of cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use futures::executor::block_on;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rookery_domain::ports::{NoNotifier, SystemClock, UuidV7};
use rookery_domain::service::{Accounts, Follows, Profiles, Requests};
use rookery_domain::{
    AccountId, FollowOutcome, GraphError, GraphService, Identity, PageRequest, ProfilePatch, RequestId, RequestStatus,
    UnfollowOutcome, UnfollowScope, Username,
};
use rookery_store::{Database, DatabaseOptions};
use uuid::Uuid;

type Service = GraphService<Database, Database, Database, SystemClock, UuidV7, NoNotifier>;

/// Accounts in every case; they are indexed `0..ACCOUNTS`.
const ACCOUNTS: usize = 5;
/// The index of an id that belongs to no account.
const GHOST: usize = ACCOUNTS;
/// Which accounts start private.
const STARTS_PRIVATE: [bool; ACCOUNTS] = [false, false, true, true, false];
/// Longest action sequence.
const MAX_STEPS: usize = 40;
/// Every this many steps, and at the end, the whole graph is compared with the model;
/// the steps between compare the counts of every account and the pairs they touched.
const FULL_CHECK_EVERY: usize = 8;
/// Cases per backend unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 64;

// ---------------------------------------------------------------------------------
// Actions

/// One generated step. Account indices are resolved against the case's accounts;
/// [`Action::Answer`] picks one of the request ids the case has seen so far.
#[derive(Debug, Clone)]
enum Action {
    Follow {
        actor: usize,
        target: usize,
    },
    Unfollow {
        actor: usize,
        target: usize,
    },
    /// Accept or decline the latest request issued for one of the pairs that ever had
    /// one (whatever became of it since), as its target or, to test the refusal, as its
    /// requester. With no request issued yet, answers an id nobody knows.
    Answer {
        pair: Index,
        by_target: bool,
        accept: bool,
    },
    Cancel {
        actor: usize,
        target: usize,
    },
    SetPrivate {
        actor: usize,
        private: bool,
    },
}

fn actor() -> impl Strategy<Value = usize> {
    0..ACCOUNTS
}

/// A target: mostly a real account, now and then the ghost.
fn target() -> impl Strategy<Value = usize> {
    prop_oneof![12 => 0..ACCOUNTS, 1 => Just(GHOST)]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => (actor(), target()).prop_map(|(actor, target)| Action::Follow { actor, target }),
        2 => (actor(), target()).prop_map(|(actor, target)| Action::Unfollow { actor, target }),
        5 => (any::<Index>(), prop::bool::weighted(0.85), any::<bool>())
            .prop_map(|(pair, by_target, accept)| Action::Answer { pair, by_target, accept }),
        1 => (actor(), target()).prop_map(|(actor, target)| Action::Cancel { actor, target }),
        2 => (actor(), any::<bool>()).prop_map(|(actor, private)| Action::SetPrivate { actor, private }),
    ]
}

/// A step with its ids resolved.
#[derive(Debug, Clone, Copy)]
enum Op {
    Follow(usize, usize),
    Unfollow(usize, usize),
    Answer { actor: usize, id: RequestId, accept: bool },
    Cancel(usize, usize),
    SetPrivate(usize, bool),
}

/// What a step did, without its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Followed,
    Requested,
    AlreadyFollowing,
    Unfollowed,
    RequestWithdrawn,
    NotFollowing,
    Accepted,
    Declined,
    Cancelled,
    ProfileUpdated,
}

type Kind = Result<Outcome, GraphError>;

// ---------------------------------------------------------------------------------
// The reference model

/// SPEC section 2's state machine over account indices.
#[derive(Debug, Clone)]
struct Model {
    private: [bool; ACCOUNTS],
    /// (follower, followee).
    edges: BTreeSet<(usize, usize)>,
    /// The request stored for (requester, target): the store keeps at most one per pair,
    /// as a new request or follow deletes the pair's answered ones.
    requests: BTreeMap<(usize, usize), (RequestId, RequestStatus)>,
    /// The latest request id ever issued per pair, even if since deleted.
    issued: BTreeMap<(usize, usize), RequestId>,
}

impl Model {
    fn new() -> Self {
        Self { private: STARTS_PRIVATE, edges: BTreeSet::new(), requests: BTreeMap::new(), issued: BTreeMap::new() }
    }

    fn is_private(&self, account: usize) -> bool {
        self.private.get(account).copied().unwrap_or(false)
    }

    fn status(&self, requester: usize, target: usize) -> Option<RequestStatus> {
        self.requests.get(&(requester, target)).map(|(_, status)| *status)
    }

    fn followers(&self, account: usize) -> i64 {
        i64::try_from(self.edges.iter().filter(|(_, followee)| *followee == account).count()).unwrap_or(i64::MAX)
    }

    fn following(&self, account: usize) -> i64 {
        i64::try_from(self.edges.iter().filter(|(follower, _)| *follower == account).count()).unwrap_or(i64::MAX)
    }

    fn pending_count(&self, pick: impl Fn(usize, usize) -> bool) -> i64 {
        let n = self
            .requests
            .iter()
            .filter(|((requester, target), (_, status))| *status == RequestStatus::Pending && pick(*requester, *target))
            .count();
        i64::try_from(n).unwrap_or(i64::MAX)
    }

    /// Resolves a generated action against what the model has seen so far.
    fn resolve(&self, action: &Action) -> Op {
        match *action {
            Action::Follow { actor, target } => Op::Follow(actor, target),
            Action::Unfollow { actor, target } => Op::Unfollow(actor, target),
            Action::Cancel { actor, target } => Op::Cancel(actor, target),
            Action::SetPrivate { actor, private } => Op::SetPrivate(actor, private),
            Action::Answer { pair, by_target, accept } => {
                let issued: Vec<(&(usize, usize), &RequestId)> = self.issued.iter().collect();
                if issued.is_empty() {
                    // Nobody asked anything yet: an id no request has.
                    return Op::Answer { actor: 0, id: RequestId::from_uuid(Uuid::now_v7()), accept };
                }
                let (&(requester, target), &id) = *pair.get(&issued);
                Op::Answer { actor: if by_target { target } else { requester }, id, accept }
            }
        }
    }

    /// The ordered pairs of real accounts whose state `op` may change, both ways.
    fn touched(&self, op: Op) -> Vec<(usize, usize)> {
        let both = |a: usize, b: usize| if a < ACCOUNTS && b < ACCOUNTS { vec![(a, b), (b, a)] } else { Vec::new() };
        match op {
            Op::Follow(a, b) | Op::Unfollow(a, b) | Op::Cancel(a, b) => both(a, b),
            Op::Answer { id, .. } => {
                self.requests.iter().find(|(_, (rid, _))| *rid == id).map_or_else(Vec::new, |(&(r, t), _)| both(r, t))
            }
            Op::SetPrivate(a, _) => (0..ACCOUNTS).flat_map(|x| both(x, a)).collect(),
        }
    }

    /// Runs one step on the model. `new_request` is the id the service gave a request
    /// it created in this step, if any (the model cannot invent the store's ids).
    fn step(&mut self, op: Op, new_request: Option<RequestId>) -> Kind {
        match op {
            Op::Follow(a, b) => {
                if b == GHOST {
                    return Err(GraphError::UserNotFound);
                }
                if a == b {
                    return Err(GraphError::CannotFollowSelf);
                }
                if self.edges.contains(&(a, b)) {
                    return Ok(Outcome::AlreadyFollowing);
                }
                if self.status(a, b) == Some(RequestStatus::Pending) {
                    return Err(GraphError::RequestAlreadyPending);
                }
                if self.is_private(b) {
                    // A declined request may be followed by a new one, which replaces it.
                    let id = new_request.unwrap_or_else(|| RequestId::from_uuid(Uuid::nil()));
                    self.requests.insert((a, b), (id, RequestStatus::Pending));
                    self.issued.insert((a, b), id);
                    Ok(Outcome::Requested)
                } else {
                    self.edges.insert((a, b));
                    // The follow clears the pair's answered (declined) request.
                    self.requests.remove(&(a, b));
                    Ok(Outcome::Followed)
                }
            }
            Op::Unfollow(a, b) => {
                if b == GHOST {
                    return Err(GraphError::UserNotFound);
                }
                if a == b {
                    return Ok(Outcome::NotFollowing);
                }
                if self.edges.remove(&(a, b)) {
                    // The accepted request goes with the edge, so the status reads none.
                    self.requests.remove(&(a, b));
                    return Ok(Outcome::Unfollowed);
                }
                if self.status(a, b) == Some(RequestStatus::Pending) {
                    self.requests.remove(&(a, b));
                    return Ok(Outcome::RequestWithdrawn);
                }
                Ok(Outcome::NotFollowing)
            }
            Op::Answer { actor, id, accept } => {
                let Some((&pair, &(_, status))) = self.requests.iter().find(|(_, (rid, _))| *rid == id) else {
                    return Err(GraphError::RequestNotFound);
                };
                if pair.1 != actor {
                    return Err(GraphError::RequestNotYours);
                }
                match status {
                    RequestStatus::Accepted => Err(GraphError::RequestAlreadyAccepted),
                    RequestStatus::Declined => Err(GraphError::RequestAlreadyDeclined),
                    RequestStatus::Pending if accept => {
                        self.requests.insert(pair, (id, RequestStatus::Accepted));
                        self.edges.insert(pair);
                        Ok(Outcome::Accepted)
                    }
                    RequestStatus::Pending => {
                        self.requests.insert(pair, (id, RequestStatus::Declined));
                        Ok(Outcome::Declined)
                    }
                }
            }
            Op::Cancel(a, b) => {
                if self.status(a, b) == Some(RequestStatus::Pending) {
                    self.requests.remove(&(a, b));
                    Ok(Outcome::Cancelled)
                } else {
                    Err(GraphError::NoPendingRequest)
                }
            }
            Op::SetPrivate(a, private) => {
                if self.is_private(a) && !private {
                    // Going public accepts every pending request at once.
                    for (&(requester, target), entry) in &mut self.requests {
                        if target == a && entry.1 == RequestStatus::Pending {
                            entry.1 = RequestStatus::Accepted;
                            self.edges.insert((requester, target));
                        }
                    }
                }
                if let Some(flag) = self.private.get_mut(a) {
                    *flag = private;
                }
                Ok(Outcome::ProfileUpdated)
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Running a case against the real service

struct Case {
    service: Service,
    /// Account ids by index; the last one is the ghost's.
    ids: Vec<AccountId>,
}

fn fail(context: impl std::fmt::Display) -> impl FnOnce(GraphError) -> TestCaseError {
    move |e| TestCaseError::fail(format!("{context}: {e}"))
}

impl Case {
    fn new(db: Database) -> Result<Self, TestCaseError> {
        db.migrate().map_err(|e| TestCaseError::fail(format!("migrate: {e}")))?;
        let service = GraphService::new(db.clone(), db.clone(), db, SystemClock, UuidV7, NoNotifier);
        let mut ids = Vec::with_capacity(ACCOUNTS + 1);
        for (i, private) in STARTS_PRIVATE.iter().enumerate() {
            let username = Username::parse(&format!("user{i}")).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let account = service.create_account(username, None, *private).map_err(fail("create_account"))?;
            ids.push(account.id);
        }
        ids.push(AccountId::from_uuid(Uuid::now_v7()));
        Ok(Self { service, ids })
    }

    fn id(&self, index: usize) -> AccountId {
        self.ids[index]
    }

    /// Runs `op` on the service; returns its kind and the id of a request it created.
    fn perform(&self, op: Op) -> Result<(Kind, Option<RequestId>), TestCaseError> {
        let s = &self.service;
        Ok(match op {
            Op::Follow(a, b) => match block_on(s.follow(&caller(self.id(a)), self.id(b))) {
                Ok(FollowOutcome::Followed) => (Ok(Outcome::Followed), None),
                Ok(FollowOutcome::AlreadyFollowing) => (Ok(Outcome::AlreadyFollowing), None),
                Ok(FollowOutcome::Requested(request)) => {
                    prop_assert_eq!(request.status, RequestStatus::Pending);
                    prop_assert_eq!((request.requester, request.target), (self.id(a), self.id(b)));
                    (Ok(Outcome::Requested), Some(request.id))
                }
                Err(e) => (Err(e), None),
            },
            Op::Unfollow(a, b) => {
                let kind = block_on(s.unfollow(&caller(self.id(a)), self.id(b), UnfollowScope::FollowOrRequest)).map(
                    |outcome| match outcome {
                        UnfollowOutcome::Unfollowed => Outcome::Unfollowed,
                        UnfollowOutcome::RequestWithdrawn => Outcome::RequestWithdrawn,
                        UnfollowOutcome::NotFollowing => Outcome::NotFollowing,
                    },
                );
                (kind, None)
            }
            Op::Answer { actor, id, accept } => {
                let answered =
                    if accept { s.accept_request(self.id(actor), id) } else { s.decline_request(self.id(actor), id) };
                match answered {
                    Ok(request) => {
                        prop_assert_eq!(request.id, id);
                        prop_assert_eq!(request.target, self.id(actor));
                        prop_assert!(request.updated_at.is_some(), "an answered request has updated_at");
                        let (status, outcome) = if accept {
                            (RequestStatus::Accepted, Outcome::Accepted)
                        } else {
                            (RequestStatus::Declined, Outcome::Declined)
                        };
                        prop_assert_eq!(request.status, status);
                        (Ok(outcome), None)
                    }
                    Err(e) => (Err(e), None),
                }
            }
            Op::Cancel(a, b) => (s.cancel_request(self.id(a), self.id(b)).map(|()| Outcome::Cancelled), None),
            Op::SetPrivate(a, private) => {
                let patch = ProfilePatch { is_private: Some(private), ..ProfilePatch::default() };
                match s.update_profile(self.id(a), &patch) {
                    Ok(view) => {
                        prop_assert_eq!(view.account.is_private, private);
                        (Ok(Outcome::ProfileUpdated), None)
                    }
                    Err(e) => (Err(e), None),
                }
            }
        })
    }

    /// The counts and privacy of every account, and everything about `pairs`, equal the
    /// model. Cheap enough for every step.
    fn check(&self, model: &Model, step: usize, pairs: &[(usize, usize)]) -> Result<(), TestCaseError> {
        for a in 0..ACCOUNTS {
            let account = self.service.account(self.id(a)).map_err(fail(format!("step {step}: account {a}")))?;
            prop_assert_eq!(account.followers_count, model.followers(a), "step {}: followers_count of {}", step, a);
            prop_assert_eq!(account.following_count, model.following(a), "step {}: following_count of {}", step, a);
            prop_assert_eq!(account.is_private, model.is_private(a), "step {}: is_private of {}", step, a);
        }
        for &(a, b) in pairs {
            self.check_pair(model, step, a, b)?;
        }
        Ok(())
    }

    /// Everything the store says about the graph equals the model: counts, every edge
    /// and request status (so the counts equal the real edges), the pending lists.
    fn check_all(&self, model: &Model, step: usize) -> Result<(), TestCaseError> {
        let all: Vec<(usize, usize)> = (0..ACCOUNTS).flat_map(|a| (0..ACCOUNTS).map(move |b| (a, b))).collect();
        self.check(model, step, &all)?;
        let s = &self.service;
        for &(a, b) in &all {
            let status = s.request_status(self.id(a), self.id(b)).map_err(fail("request_status"))?;
            prop_assert_eq!(status, model.status(a, b), "step {}: request_status {} -> {}", step, a, b);
        }
        for a in 0..ACCOUNTS {
            let received = s.received_requests(self.id(a), PageRequest::default()).map_err(fail("received"))?;
            prop_assert_eq!(received.total, model.pending_count(|_, t| t == a), "step {}: received of {}", step, a);
            let sent = s
                .sent_requests(self.id(a), Some(RequestStatus::Pending), PageRequest::default())
                .map_err(fail("sent"))?;
            prop_assert_eq!(sent.total, model.pending_count(|r, _| r == a), "step {}: sent of {}", step, a);
        }
        Ok(())
    }

    /// The edge a -> b, its reverse, and a's request status to b as its relation to b
    /// reports it, equal the model.
    fn check_pair(&self, model: &Model, step: usize, a: usize, b: usize) -> Result<(), TestCaseError> {
        let s = &self.service;
        let relation = s.relation(self.id(a), self.id(b)).map_err(fail(format!("step {step}: relation")))?;
        if a == b {
            prop_assert!(relation.is_self, "step {}: relation to self", step);
            return Ok(());
        }
        prop_assert_eq!(relation.is_following, model.edges.contains(&(a, b)), "step {}: edge {} -> {}", step, a, b);
        prop_assert_eq!(relation.follows_viewer, model.edges.contains(&(b, a)), "step {}: edge {} -> {}", step, b, a);
        prop_assert_eq!(relation.request_status, model.status(a, b), "step {}: relation status {} -> {}", step, a, b);
        Ok(())
    }

    /// The ghost is "not found" wherever a target must exist.
    fn check_ghost(&self) -> Result<(), TestCaseError> {
        let (a, ghost) = (self.id(0), self.id(GHOST));
        prop_assert_eq!(self.service.request_status(a, ghost), Err(GraphError::UserNotFound));
        prop_assert_eq!(self.service.relation(a, ghost).map(|_| ()), Err(GraphError::UserNotFound));
        prop_assert_eq!(self.service.account(ghost).map(|_| ()), Err(GraphError::UserNotFound));
        Ok(())
    }
}

fn caller(id: AccountId) -> Identity {
    Identity { id, username: None, name: None }
}

fn run_case(db: Database, actions: &[Action]) -> Result<(), TestCaseError> {
    let case = Case::new(db)?;
    let mut model = Model::new();
    case.check_all(&model, 0)?;
    for (i, action) in actions.iter().enumerate() {
        let step = i + 1;
        let op = model.resolve(action);
        let pairs = model.touched(op);
        let (actual, new_request) = case.perform(op)?;
        let expected = model.step(op, new_request);
        prop_assert_eq!(actual, expected, "step {}: {:?}", step, op);
        if step % FULL_CHECK_EVERY == 0 {
            case.check_all(&model, step)?;
        } else {
            case.check(&model, step, &pairs)?;
        }
    }
    case.check_all(&model, actions.len())?;
    case.check_ghost()
}

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    TestRunner::new(Config {
        cases,
        // Keep failures in the test's output rather than in a regressions file.
        failure_persistence: None,
        // Every shrink step is a whole case on a fresh database.
        max_shrink_iters: 400,
        ..Config::default()
    })
}

fn actions() -> impl Strategy<Value = Vec<Action>> {
    prop::collection::vec(action(), 1..=MAX_STEPS)
}

fn options() -> DatabaseOptions {
    DatabaseOptions { max_connections: 4, ..DatabaseOptions::default() }
}

#[test]
fn the_store_follows_the_model_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let result = runner().run(&actions(), |actions| {
        let path = dir.path().join(format!("{}.db", Uuid::new_v4().simple()));
        let db = Database::open(&format!("sqlite://{}", path.display()), options())
            .map_err(|e| TestCaseError::fail(format!("open: {e}")))?;
        run_case(db, &actions)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn the_store_follows_the_model_on_postgres() {
    let admin_url = postgres_url();
    let result = runner().run(&actions(), |actions| {
        let scratch = ScratchDatabase::create(&admin_url).map_err(TestCaseError::fail)?;
        let db = Database::open(&scratch.url, options()).map_err(|e| TestCaseError::fail(format!("open: {e}")))?;
        let outcome = run_case(db, &actions);
        drop(scratch);
        outcome
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[path = "model/batches.rs"]
mod batches;

#[test]
fn batches_end_as_one_by_one_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&format!("sqlite://{}", dir.path().join("batches.db").display()), options()).unwrap();
    db.migrate().unwrap();
    batches::run(&db, 128);
}

#[test]
#[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
fn batches_end_as_one_by_one_on_postgres() {
    let admin_url = postgres_url();
    let scratch = ScratchDatabase::create(&admin_url).unwrap();
    let db = Database::open(&scratch.url, options()).unwrap();
    db.migrate().unwrap();
    batches::run(&db, 32);
}

// ---------------------------------------------------------------------------------
// PostgreSQL scratch databases

/// A database created for one case and dropped (forcibly) when this goes out of scope.
struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    fn create(admin_url: &str) -> Result<Self, String> {
        let name = format!("rookery_model_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(admin_url).map_err(|e| format!("connect {admin_url}: {e}"))?;
        // Durability is beside the point of a scratch database: not waiting for the WAL
        // flush of every commit makes the cases several times faster, and changes
        // nothing that a transaction sees.
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .and_then(|()| admin.batch_execute(&format!("ALTER DATABASE {name} SET synchronous_commit = off")))
            .map_err(|e| format!("create {name}: {e}"))?;
        let url = with_database(admin_url, &name);
        Ok(Self { admin_url: admin_url.to_owned(), name, url })
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
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[test]
fn database_names_are_swapped_in_urls() {
    assert_eq!(with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
    assert_eq!(with_database("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
    assert_eq!(with_database("postgresql://u:p@h/db?sslmode=disable", "x"), "postgresql://u:p@h/x?sslmode=disable");
}

/// The PostgreSQL server a `_postgres` test runs on. Those tests are ignored unless
/// asked for (`make test-postgres`), and then a missing URL is a failure, never a pass.
fn postgres_url() -> String {
    std::env::var("ROOKERY_TEST_POSTGRES_URL")
        .expect("ROOKERY_TEST_POSTGRES_URL must name a PostgreSQL server for the _postgres tests")
}
