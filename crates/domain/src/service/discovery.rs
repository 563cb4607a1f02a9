//! Suggested accounts, and dismissing them.

use std::collections::HashMap;

use super::GraphService;
use crate::account::{ProfileView, Relation};
use crate::discovery::{Suggestion, SuggestionView};
use crate::error::GraphError;
use crate::ids::AccountId;
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier};

/// Suggestion use cases.
pub trait Discovery {
    /// Up to `limit` (1 to 50, default 20) accounts to suggest to `viewer`, best first
    /// (see [`GraphStore::suggestions`]), each with the viewer's relation to it.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] for a limit outside 1..=50; store errors.
    fn suggestions(&self, viewer: AccountId, limit: Option<i64>) -> Result<Vec<SuggestionView>, GraphError>;

    /// `viewer` never wants `target` suggested again. Idempotent.
    ///
    /// # Errors
    /// [`GraphError::UserNotFound`] when no live account has the id; store errors.
    fn dismiss_suggestion(&self, viewer: AccountId, target: AccountId) -> Result<(), GraphError>;
}

impl<A, G, S, C, I, N> Discovery for GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    fn suggestions(&self, viewer: AccountId, limit: Option<i64>) -> Result<Vec<SuggestionView>, GraphError> {
        let limit = limit.unwrap_or(i64::from(Suggestion::DEFAULT_LIMIT));
        let limit = u32::try_from(limit).ok().filter(|l| (1..=Suggestion::MAX_LIMIT).contains(l)).ok_or_else(|| {
            GraphError::InvalidInput(format!("limit must be between 1 and {}", Suggestion::MAX_LIMIT))
        })?;
        let found = self.graph.suggestions(viewer, limit, self.clock.now())?;
        let ids: Vec<AccountId> = found.iter().map(|s| s.item.id).collect();
        let mut relations: HashMap<AccountId, Relation> =
            if ids.is_empty() { HashMap::new() } else { self.graph.relations(viewer, &ids)?.into_iter().collect() };
        Ok(found
            .into_iter()
            .map(|s| {
                let relation = relations.remove(&s.item.id).unwrap_or_default();
                Suggestion { item: ProfileView::new(s.item, relation), reason: s.reason }
            })
            .collect())
    }

    fn dismiss_suggestion(&self, viewer: AccountId, target: AccountId) -> Result<(), GraphError> {
        if self.accounts.account(target)?.is_none() {
            return Err(GraphError::UserNotFound);
        }
        Ok(self.graph.dismiss_suggestion(viewer, target, self.clock.now())?)
    }
}
