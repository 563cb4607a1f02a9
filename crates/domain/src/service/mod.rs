//! The use cases, as one service generic over the ports.
//!
//! [`GraphService`] holds the ports; each group of use cases is a trait of its own
//! (accounts, follows, requests, profiles, lists, blocks, admin) implemented in its own module, and
//! [`SocialGraph`] names them all for adapters that want the whole graph.

mod accounts;
mod admin;
mod applying;
mod blocks;
mod bulk_follows;
mod discovery;
mod events;
mod follows;
mod inbox;
mod lists;
mod live_callers;
mod mutes;
mod profiles;
mod requests;
mod shown;
mod spent_budgets;

pub use crate::listing::RequestListing;
pub use accounts::Accounts;
pub use admin::Admin;
pub use blocks::{BlockOutcome, Blocks};
pub use bulk_follows::BulkFollows;
pub use discovery::Discovery;
pub use events::{
    EventService, FeedError, FeedPage, FeedQuery, GraphEvents, MAX_DELIVERIES_PAGE, MAX_EVENTS_PAGE, NewWebhook,
    WebhookError,
};
pub use follows::{FollowOutcome, Follows, UnfollowOutcome, UnfollowScope};
pub use inbox::Inbox;
pub use lists::Lists;
pub use mutes::Mutes;
pub use profiles::Profiles;
pub use requests::Requests;
pub use shown::{AfterAction, FollowAction, FollowShown, RequestWithParties, Shown};

use std::sync::Arc;

use crate::account::Relation;
use crate::error::GraphError;
use crate::ids::AccountId;
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier};
use crate::quota::FollowQuota;

/// How often a use case re-reads and re-decides when a racing change made its
/// transition's guard fail. Each retry sees the racing change committed, so two
/// attempts settle every race between two requests; the rest is headroom.
const MAX_ATTEMPTS: usize = 4;

/// The use-case service: the relationship state machine run over the ports.
///
/// Generic over every port, so adapters are called through static dispatch.
#[derive(Debug, Clone)]
pub struct GraphService<A, G, S, C, I, N> {
    follow_quota: Option<FollowQuota>,
    accounts: A,
    graph: G,
    notifications: S,
    clock: C,
    ids: I,
    notifier: N,
    /// Shared by clones, so a deletion through one is seen by all.
    live_callers: Arc<live_callers::LiveCallers>,
    /// Budgets the store found used up, shared by clones.
    spent_budgets: Arc<spent_budgets::SpentBudgets>,
}

impl<A, G, S, C, I, N> GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    /// Wires the service to its ports.
    pub fn new(accounts: A, graph: G, notifications: S, clock: C, ids: I, notifier: N) -> Self {
        Self {
            follow_quota: None,
            accounts,
            graph,
            notifications,
            clock,
            ids,
            notifier,
            live_callers: Arc::default(),
            spent_budgets: Arc::default(),
        }
    }

    /// Limits how many follows and follow requests each account may create
    /// (SPEC section 8); without it there is no limit.
    #[must_use]
    pub const fn with_follow_quota(mut self, quota: FollowQuota) -> Self {
        self.follow_quota = Some(quota);
        self
    }

    /// How `viewer` stands towards one account (default when it is not live).
    fn relation_to(&self, viewer: AccountId, target: AccountId) -> Result<Relation, GraphError> {
        if viewer == target {
            return Ok(Relation { is_self: true, ..Relation::default() });
        }
        let relation = self.graph.relations(viewer, &[target])?.into_iter().next().map(|(_, r)| r);
        Ok(self.as_of_now(relation.unwrap_or_default()))
    }

    /// A relation as the store read it, with a mute that has expired dropped: how
    /// every read ends a mute without any job.
    fn as_of_now(&self, mut relation: Relation) -> Relation {
        if relation.mute.is_some_and(|m| !m.in_force(self.clock.now())) {
            relation.mute = None;
        }
        relation
    }
}

/// Every use case of the graph; what an inbound adapter (HTTP, CLI) depends on.
pub trait SocialGraph:
    Accounts
    + Follows
    + BulkFollows
    + Requests
    + Shown
    + Profiles
    + Lists
    + Discovery
    + Blocks
    + Mutes
    + Admin
    + Inbox
    + Send
    + Sync
    + 'static
{
}

impl<T> SocialGraph for T where
    T: Accounts
        + Follows
        + BulkFollows
        + Requests
        + Shown
        + Profiles
        + Lists
        + Discovery
        + Blocks
        + Mutes
        + Admin
        + Inbox
        + Send
        + Sync
        + 'static
{
}

#[cfg(test)]
pub(crate) mod fixtures;
