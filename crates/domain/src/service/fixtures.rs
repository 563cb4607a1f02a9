//! Test fixtures: mocked ports with a fixed clock and predictable ids.

use chrono::{TimeZone, Utc};
use uuid::Uuid;

use super::GraphService;
use crate::account::Account;
use crate::ids::{AccountId, RequestId};
use crate::ports::{MockAccountStore, MockClock, MockGraphStore, MockIdSource, MockNotificationStore, MockNotifier};
use crate::relationship::{FollowRequest, PairState, RequestStatus, Standing};
use crate::time::Timestamp;
use crate::username::Username;

pub type TestService =
    GraphService<MockAccountStore, MockGraphStore, MockNotificationStore, MockClock, MockIdSource, MockNotifier>;

pub struct Ports {
    pub accounts: MockAccountStore,
    pub graph: MockGraphStore,
    pub notifications: MockNotificationStore,
    pub notifier: MockNotifier,
}

pub fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2025, 10, 23, 11, 43, 8).single().unwrap()
}

pub fn account_id() -> AccountId {
    AccountId::from_uuid(Uuid::now_v7())
}

pub fn pair(actor: AccountId, target: AccountId, private: bool) -> PairState {
    PairState {
        actor,
        target,
        actor_standing: Standing::Public,
        target_standing: Standing::of(Some(private)),
        following: false,
        request: None,
        blocked: false,
    }
}

pub fn request(requester: AccountId, target: AccountId, status: RequestStatus) -> FollowRequest {
    FollowRequest {
        id: RequestId::from_uuid(Uuid::now_v7()),
        requester,
        target,
        status,
        created_at: now(),
        updated_at: None,
    }
}

impl Ports {
    pub fn new() -> Self {
        Self {
            accounts: MockAccountStore::new(),
            graph: MockGraphStore::new(),
            notifications: MockNotificationStore::new(),
            notifier: MockNotifier::new(),
        }
    }

    pub fn service(self) -> TestService {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        let mut ids = MockIdSource::new();
        ids.expect_new_id().returning(Uuid::now_v7);
        GraphService::new(self.accounts, self.graph, self.notifications, clock, ids, self.notifier)
    }
}

pub fn following(actor: AccountId, target: AccountId) -> PairState {
    PairState { following: true, ..pair(actor, target, false) }
}

pub fn sample_account(id: AccountId) -> Account {
    Account {
        id,
        username: Username::parse("sample").unwrap(),
        full_name: None,
        bio: None,
        profile_image_url: None,
        banner_image_url: None,
        is_private: false,
        is_verified: false,
        posts_count: 0,
        followers_count: 0,
        following_count: 0,
        created_at: now(),
        updated_at: now(),
        privacy: crate::GraphPrivacy::default(),
    }
}

/// Polls `future` once: the mocked store answers before it is awaited, so it is ready.
pub fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(future).poll(&mut cx) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("the future was not ready"),
    }
}
