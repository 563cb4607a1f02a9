//! Profiles: reading one as a viewer, and editing one's own.

use super::GraphService;
use crate::account::{Account, ProfilePatch, ProfileView, Relation};
use crate::error::GraphError;
use crate::ids::AccountId;
use crate::listing::{ListPage, Listed, Paging};
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier, StoreError};
use crate::search::{SearchPage, SearchQuery};

/// Profile use cases.
pub trait Profiles {
    /// `target`'s profile as `viewer` sees it. Profiles are public; the counts only
    /// as [`crate::visibility::may_see_counts`] allows ([`ProfileView::visible_counts`]),
    /// and the viewer's mute shows only to the viewer.
    ///
    /// # Errors
    /// [`GraphError::UserNotFound`]; store errors.
    fn profile(&self, viewer: AccountId, target: AccountId) -> Result<ProfileView, GraphError>;

    /// Changes the actor's own profile. Going from private to public accepts every
    /// pending request at once, and notifies each requester.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] for over-long fields, [`GraphError::UsernameTaken`],
    /// [`GraphError::UserNotFound`]; store errors.
    fn update_profile(&self, actor: AccountId, patch: &ProfilePatch) -> Result<ProfileView, GraphError>;

    /// Accounts matching `query`, best first, as `viewer` sees them (see
    /// [`crate::search`]).
    ///
    /// # Errors
    /// Store errors.
    fn search_accounts(&self, viewer: AccountId, query: &SearchQuery) -> Result<SearchPage, GraphError>;
}

impl<A, G, S, C, I, N> Profiles for GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    fn profile(&self, viewer: AccountId, target: AccountId) -> Result<ProfileView, GraphError> {
        let account = self.accounts.account(target)?.ok_or(GraphError::UserNotFound)?;
        Ok(ProfileView { account, relation: self.relation_to(viewer, target)? })
    }

    fn search_accounts(&self, viewer: AccountId, query: &SearchQuery) -> Result<SearchPage, GraphError> {
        let mut ranked = self.accounts.search(viewer, query)?;
        let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
        let has_more = ranked.len() > limit;
        ranked.truncate(limit);
        let next_cursor = if has_more { ranked.last().map(|r| r.position) } else { None };
        let items = ranked.into_iter().map(|r| Listed { since: r.account.created_at, item: r.account }).collect();
        let page = ListPage {
            items,
            total: None,
            paging: Paging::Keyset { after: None, limit: query.limit },
            has_more,
            next_cursor: None,
        };
        let seen = self.as_seen_by(viewer, page)?;
        Ok(SearchPage { items: seen.items.into_iter().map(|l| l.item).collect(), next_cursor })
    }

    fn update_profile(&self, actor: AccountId, patch: &ProfilePatch) -> Result<ProfileView, GraphError> {
        patch.validate()?;
        let account = self.store_profile(actor, patch)?;
        Ok(ProfileView { account, relation: Relation { is_self: true, ..Relation::default() } })
    }
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
    /// Applies a validated profile change and publishes the acceptances that going
    /// public made.
    pub(super) fn store_profile(&self, id: AccountId, patch: &ProfilePatch) -> Result<Account, GraphError> {
        let (account, accepted) = match self.accounts.update_profile(id, patch, self.clock.now()) {
            Ok(Some(updated)) => updated,
            Ok(None) => return Err(GraphError::UserNotFound),
            Err(StoreError::Conflict(_)) => return Err(GraphError::UsernameTaken),
            Err(other) => return Err(other.into()),
        };
        if !accepted.is_empty() {
            self.notifier.publish(&accepted);
        }
        Ok(account)
    }
}

#[cfg(test)]
mod tests {
    use mockall::predicate::eq;

    use super::super::fixtures::*;
    use super::*;
    use crate::notification::Notification;
    use crate::relationship::RequestStatus;

    #[test]
    fn a_viewer_sees_their_relation() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.accounts.expect_account().with(eq(b)).returning(|id| Ok(Some(sample_account(id))));
        let relation = Relation { request_status: Some(RequestStatus::Pending), ..Relation::default() };
        ports.graph.expect_relations().withf(move |v, t| *v == a && t == [b]).return_const(Ok(vec![(b, relation)]));
        let view = ports.service().profile(a, b).unwrap();
        assert_eq!(view.relation.request_status, Some(RequestStatus::Pending));
        assert!(!view.relation.is_self);
    }

    #[test]
    fn own_profile_is_self_and_missing_ones_are_not_found() {
        let a = account_id();
        let mut ports = Ports::new();
        ports.accounts.expect_account().with(eq(a)).returning(|id| Ok(Some(sample_account(id))));
        ports.accounts.expect_account().return_const(Ok(None));
        ports.graph.expect_relations().never();
        let service = ports.service();
        assert!(service.profile(a, a).unwrap().relation.is_self);
        assert_eq!(service.profile(a, account_id()), Err(GraphError::UserNotFound));
    }

    #[test]
    fn going_public_publishes_the_acceptances() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        let patch = ProfilePatch { is_private: Some(false), ..ProfilePatch::default() };
        let accepted = Notification::request_accepted(&request(b, a, RequestStatus::Pending), now());
        let stored = (sample_account(a), vec![accepted.clone()]);
        ports.accounts.expect_update_profile().with(eq(a), eq(patch.clone()), eq(now())).return_const(Ok(Some(stored)));
        ports.notifier.expect_publish().withf(move |n| n == [accepted.clone()]).times(1).return_const(());
        assert!(ports.service().update_profile(a, &patch).unwrap().relation.is_self);
    }

    #[test]
    fn invalid_or_conflicting_patches_are_refused() {
        let a = account_id();
        let mut ports = Ports::new();
        ports.accounts.expect_update_profile().return_const(Err(StoreError::Conflict("username".into())));
        let service = ports.service();
        let long = ProfilePatch { bio: Some(Some("x".repeat(501))), ..ProfilePatch::default() };
        assert!(matches!(service.update_profile(a, &long), Err(GraphError::InvalidInput(_))));
        let rename = ProfilePatch { full_name: Some(None), ..ProfilePatch::default() };
        assert_eq!(service.update_profile(a, &rename), Err(GraphError::UsernameTaken));
    }
}
