//! The state machine's decisions, alone: what a follow costs before any I/O.
//! `cargo bench -p rookery-domain` (or `make bench-domain`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use rookery_domain::relationship::{PairState, check_answerable, decide_follow, decide_unfollow};
use rookery_domain::{AccountId, FollowRequest, RequestId, RequestStatus, Standing};
use uuid::Uuid;

fn state(private: bool, following: bool, request: Option<RequestStatus>) -> PairState {
    let (actor, target) = (AccountId::from_uuid(Uuid::now_v7()), AccountId::from_uuid(Uuid::now_v7()));
    PairState {
        actor,
        target,
        actor_standing: Standing::Public,
        target_standing: Standing::of(Some(private)),
        following,
        request: request.map(|status| FollowRequest {
            id: RequestId::from_uuid(Uuid::now_v7()),
            requester: actor,
            target,
            status,
            created_at: Utc::now(),
            updated_at: None,
        }),
        blocked: false,
    }
}

fn decisions(c: &mut Criterion) {
    let public = state(false, false, None);
    let private = state(true, false, Some(RequestStatus::Declined));
    let following = state(false, true, None);
    c.bench_function("decide_follow/public", |b| b.iter(|| decide_follow(black_box(&public))));
    c.bench_function("decide_follow/private_after_decline", |b| b.iter(|| decide_follow(black_box(&private))));
    c.bench_function("decide_unfollow/following", |b| b.iter(|| decide_unfollow(black_box(&following))));
    let pending = state(true, false, Some(RequestStatus::Pending));
    let request = pending.request.unwrap();
    c.bench_function("check_answerable/pending", |b| {
        b.iter(|| check_answerable(black_box(Some(&request)), black_box(request.target)));
    });
}

criterion_group!(benches, decisions);
criterion_main!(benches);
