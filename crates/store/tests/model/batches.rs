//! Group commit changes no outcome: random jobs applied in batches (one transaction
//! each, as a group commit applies what it took) end exactly as the same jobs applied
//! one by one, each in its own transaction: the same outcomes (spends refused
//! included), edges, requests, blocks, counts and notifications.
//!
//! Both runs share one database: each case creates two sets of accounts with the same
//! shape, applies the jobs one by one on the first set and in batches on the second,
//! then compares the two sets pair by pair.

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use rookery_domain::EndReason;
use rookery_domain::ports::{AccountStore, GraphStore, NotificationStore};
use rookery_domain::quota::{FollowQuota, Spend};
use rookery_domain::relationship::{Applied, Follow, FollowRequest, RequestStatus, Transition};
use rookery_domain::{
    AccountId, KindFilter, NewAccount, Notification, NotificationId, NotificationKind, RequestId, Timestamp, Username,
};
use rookery_store::Database;
use uuid::Uuid;

/// Accounts per set; the ones marked private take requests instead of follows.
const PRIVATE: [bool; 5] = [false, false, true, false, false];

/// A small budget, so that batches meet used-up windows often.
const QUOTA: FollowQuota = FollowQuota { limit: 2, window: Duration::hours(1) };

#[derive(Debug, Clone, Copy)]
enum Job {
    Follow(usize, usize),
    Request(usize, usize),
    Unfollow(usize, usize),
    Cancel(usize, usize),
    Block(usize, usize),
    Unblock(usize, usize),
}

fn job() -> impl Strategy<Value = Job> {
    let n = PRIVATE.len();
    // Follows weigh most: runs of one account's follows are where spends meet.
    (0..8_u8, 0..n, 0..n).prop_map(|(kind, a, b)| match kind {
        0..=3 => Job::Follow(a, b),
        4 => Job::Request(a, b),
        5 => Job::Unfollow(a, b),
        6 => Job::Cancel(a, b),
        _ if a % 2 == 0 && a != b => Job::Block(a, b),
        _ => Job::Unblock(a, b),
    })
}

/// Batches of jobs, in order.
fn batches() -> impl Strategy<Value = Vec<Vec<Job>>> {
    prop::collection::vec(prop::collection::vec(job(), 1..16), 1..5)
}

fn at() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).single().unwrap()
}

fn note(recipient: AccountId, actor: AccountId, kind: NotificationKind) -> Notification {
    Notification {
        id: NotificationId::from_uuid(Uuid::now_v7()),
        recipient,
        actor,
        kind,
        created_at: at(),
        request: None,
    }
}

/// `job` on the accounts of `set`, with ids of its own.
fn transition(job: Job, set: &[AccountId]) -> Transition {
    let spend = Some(Spend { quota: QUOTA, at: at() });
    match job {
        Job::Follow(a, b) => Transition::Follow {
            edge: Follow { follower: set[a], followee: set[b], created_at: at() },
            notification: note(set[b], set[a], NotificationKind::Follow),
            spend,
        },
        Job::Request(a, b) => Transition::Request {
            request: FollowRequest {
                id: RequestId::from_uuid(Uuid::now_v7()),
                requester: set[a],
                target: set[b],
                status: RequestStatus::Pending,
                created_at: at(),
                updated_at: None,
            },
            notification: note(set[b], set[a], NotificationKind::FollowRequest),
            spend,
        },
        Job::Unfollow(a, b) => Transition::Unfollow { follower: set[a], followee: set[b], reason: EndReason::Unfollow },
        Job::Cancel(a, b) => {
            Transition::Cancel { requester: set[a], target: set[b], at: at(), reason: EndReason::Cancelled }
        }
        Job::Block(a, b) => Transition::Block { blocker: set[a], blocked: set[b], reason: None, at: at() },
        Job::Unblock(a, b) => Transition::Unblock { blocker: set[a], blocked: set[b] },
    }
}

fn accounts(db: &Database) -> Vec<AccountId> {
    PRIVATE
        .iter()
        .map(|private| {
            let id = AccountId::from_uuid(Uuid::now_v7());
            let username = Username::parse(&format!("u{}", &Uuid::new_v4().simple().to_string()[..20])).unwrap();
            let account = NewAccount { id, username, full_name: None, is_private: *private, created_at: at() };
            assert_eq!(db.insert_account(account).wait(), Ok(Applied::Changed));
            id
        })
        .collect()
}

/// What can be observed of account `i` of `set` and of each pair it starts.
fn observe(db: &Database, set: &[AccountId], i: usize) -> Result<String, TestCaseError> {
    let fail = |e: rookery_domain::ports::StoreError| TestCaseError::fail(e.to_string());
    let account = db.account(set[i]).map_err(fail)?.ok_or_else(|| TestCaseError::fail("account gone"))?;
    let (_, notes) = db.notifications(set[i], KindFilter::All, 100, 0).map_err(fail)?;
    let mut seen =
        format!("#{i}: followers {} following {} notes {notes};", account.followers_count, account.following_count);
    for (j, other) in set.iter().enumerate() {
        let pair = db.pair(set[i], *other).wait().map_err(fail)?;
        let request = pair.request.map(|r| r.status.as_str());
        seen.push_str(&format!(" ->{j}: {} {request:?} {};", pair.following, pair.blocked));
    }
    Ok(seen)
}

fn run_case(db: &Database, batches: &[Vec<Job>]) -> Result<(), TestCaseError> {
    let (alone, grouped) = (accounts(db), accounts(db));
    let fail = |e: rookery_domain::ports::StoreError| TestCaseError::fail(e.to_string());
    for (n, batch) in batches.iter().enumerate() {
        let mut one_by_one = Vec::with_capacity(batch.len());
        for job in batch {
            one_by_one.push(db.apply(vec![transition(*job, &alone)]).wait().map_err(fail)?);
        }
        let jobs: Vec<Vec<Transition>> = batch.iter().map(|job| vec![transition(*job, &grouped)]).collect();
        let together = db.apply_batch(&jobs).map_err(fail)?;
        prop_assert_eq!(&together, &one_by_one, "batch {}: {:?}", n, batch);
    }
    for i in 0..PRIVATE.len() {
        prop_assert_eq!(observe(db, &grouped, i)?, observe(db, &alone, i)?);
    }
    Ok(())
}

pub fn run(db: &Database, cases: u32) {
    let mut runner = TestRunner::new(proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    });
    if let Err(e) = runner.run(&batches(), |batches| run_case(db, &batches)) {
        panic!("{e}");
    }
}
