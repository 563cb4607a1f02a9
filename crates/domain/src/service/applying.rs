//! Applying one transition for a synchronous use case, and publishing what it stored.

use super::GraphService;
use crate::error::GraphError;
use crate::notification::Notification;
use crate::pending::ApplyOutcome;
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier, StoreError};
use crate::relationship::{Applied, Transition};

impl<A, G, S, C, I, N> GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    /// Applies one transition, waiting on this (blocking) thread for its commit, and
    /// publishes its notification when it changed something.
    pub(super) fn apply_one(&self, transition: Transition) -> Result<Applied, GraphError> {
        let notification = transition.notification().cloned();
        let outcome = self.graph.apply(vec![transition]).wait();
        self.published(notification.as_ref(), outcome)
    }

    /// The outcome of one applied transition; publishes `notification` when it changed
    /// something.
    pub(super) fn published(
        &self,
        notification: Option<&Notification>,
        outcome: ApplyOutcome,
    ) -> Result<Applied, GraphError> {
        let applied =
            outcome?.first().copied().ok_or_else(|| StoreError::Failure("apply returned no outcome".into()))?;
        if applied == Applied::Changed
            && let Some(notification) = notification
        {
            self.notifier.publish(std::slice::from_ref(notification));
        }
        Ok(applied)
    }
}
