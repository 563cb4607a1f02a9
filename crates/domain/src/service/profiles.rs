//! Profiles: reading one as a viewer, and editing one's own.

use super::GraphService;
use crate::account::{Account, KnownFollowers, ProfilePatch, ProfileView, Relation};
use crate::error::GraphError;
use crate::ids::AccountId;
use crate::listing::{Direction, ListFilter, ListPage, ListQuery, Listed, Paging};
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier, StoreError};
use crate::search::{SearchPage, SearchQuery};

/// Profile use cases.
pub trait Profiles {
    /// `target`'s profile as `viewer` sees it. Profiles are public; the counts only
    /// as [`crate::visibility::may_see_counts`] allows ([`ProfileView::visible_counts`]),
    /// and the viewer's mute shows only to the viewer. With the viewer's known
    /// followers of it (hidden on a private account the viewer may not list), and, on
    /// the viewer's own, its pending request counts.
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
        let relation = self.relation_to(viewer, target)?;
        // Known followers are part of the followers list: shown only to whom the list is.
        let visible = crate::visibility::may_read_list(&account, account.privacy.followers, Some(&relation)).is_ok();
        let mut view = ProfileView::new(account, relation);
        view.known_followers =
            Some(if visible { self.known_followers(viewer, target)? } else { KnownFollowers::Hidden });
        if relation.is_self {
            view.requests = Some(self.graph.request_counts(viewer)?);
        }
        Ok(view)
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
        let mut view = ProfileView::new(account, Relation { is_self: true, ..Relation::default() });
        view.requests = Some(self.graph.request_counts(actor)?);
        Ok(view)
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
    /// The viewer's followings who follow `target`: the first page of `target`'s
    /// followers filtered to them, whose total is their exact number.
    fn known_followers(&self, viewer: AccountId, target: AccountId) -> Result<KnownFollowers, GraphError> {
        let query = ListQuery {
            filter: Some(ListFilter::FollowedBy(viewer)),
            ..ListQuery::paged(Paging::Keyset { after: None, limit: KnownFollowers::SAMPLE })
        };
        let page = self.graph.list(target, Direction::Followers, &query)?;
        // The store always counts (only the service hides totals from some viewers).
        let count = page.total.unwrap_or_default();
        Ok(KnownFollowers::Shown { count, sample: page.items.into_iter().map(|l| l.item).collect() })
    }

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
        let known = sample_account(account_id());
        let page = crate::listing::ListPage {
            items: vec![crate::listing::Listed { item: known.clone(), since: now() }],
            total: Some(7),
            paging: Paging::Keyset { after: None, limit: 3 },
            has_more: true,
            next_cursor: None,
        };
        ports
            .graph
            .expect_list()
            .withf(move |owner, direction, query| {
                *owner == b && *direction == Direction::Followers && query.filter == Some(ListFilter::FollowedBy(a))
            })
            .times(1)
            .return_const(Ok(page));
        ports.graph.expect_request_counts().never();
        let view = ports.service().profile(a, b).unwrap();
        assert_eq!(view.relation.request_status, Some(RequestStatus::Pending));
        assert!(!view.relation.is_self);
        assert_eq!(view.known_followers, Some(KnownFollowers::Shown { count: 7, sample: vec![known] }));
        assert_eq!(view.requests, None, "nobody else's counts");
    }

    #[test]
    fn a_private_profile_the_viewer_may_not_list_hides_its_known_followers() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.accounts.expect_account().returning(|id| Ok(Some(Account { is_private: true, ..sample_account(id) })));
        ports.graph.expect_relations().return_const(Ok(vec![(b, Relation::default())]));
        ports.graph.expect_list().never();
        assert_eq!(ports.service().profile(a, b).unwrap().known_followers, Some(KnownFollowers::Hidden));
    }

    #[test]
    fn own_profile_is_self_and_missing_ones_are_not_found() {
        let a = account_id();
        let mut ports = Ports::new();
        ports.accounts.expect_account().with(eq(a)).returning(|id| Ok(Some(sample_account(id))));
        ports.accounts.expect_account().return_const(Ok(None));
        ports.graph.expect_relations().never();
        ports.graph.expect_list().returning(|_, _, q| {
            Ok(crate::listing::ListPage {
                items: vec![],
                total: Some(0),
                paging: q.paging,
                has_more: false,
                next_cursor: None,
            })
        });
        let counts = crate::account::RequestCounts { received: 2, sent: 1 };
        ports.graph.expect_request_counts().with(eq(a)).return_const(Ok(counts));
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
        ports.graph.expect_request_counts().return_const(Ok(crate::account::RequestCounts::default()));
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
