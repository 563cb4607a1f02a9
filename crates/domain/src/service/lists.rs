//! Followers and following lists, and relationships with many accounts at once.

use std::collections::HashMap;

use super::GraphService;
use crate::account::{ProfileView, Relation};
use crate::error::GraphError;
use crate::ids::AccountId;
use crate::listing::{Direction, ListFilter, ListPage, ListQuery, Listed, ProfilePage};
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier};
use crate::visibility::{may_read_list, may_see_counts};

/// Most ids one relationships call takes.
pub const MAX_RELATIONSHIPS: usize = 100;

/// List use cases.
pub trait Lists {
    /// `owner`'s followers or following as `viewer` sees them: newest first, each with
    /// the viewer's relation to it (none for an anonymous viewer). Who may read the
    /// list is [`may_read_list`]'s to say; `total` is `None` when the owner hides its
    /// counts from the viewer.
    ///
    /// # Errors
    /// [`GraphError::UserNotFound`], [`GraphError::PrivateAccount`],
    /// [`GraphError::ListHidden`]; store errors.
    fn list(
        &self,
        viewer: Option<AccountId>,
        owner: AccountId,
        direction: Direction,
        query: &ListQuery,
    ) -> Result<ProfilePage, GraphError>;

    /// How `viewer` stands towards each live account of `targets` (1 to 100 ids), in
    /// the order given; unknown ids are left out.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] for no ids or more than 100; store errors.
    fn relationships(&self, viewer: AccountId, targets: &[AccountId])
    -> Result<Vec<(AccountId, Relation)>, GraphError>;
}

impl<A, G, S, C, I, N> Lists for GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    fn list(
        &self,
        viewer: Option<AccountId>,
        owner: AccountId,
        direction: Direction,
        query: &ListQuery,
    ) -> Result<ProfilePage, GraphError> {
        if let Some(ListFilter::FollowedBy(someone)) = query.filter
            && viewer != Some(someone)
        {
            return Err(GraphError::InvalidInput("filter=followed_by_me is the caller's own".into()));
        }
        let account = self.accounts.account(owner)?.ok_or(GraphError::UserNotFound)?;
        let relation = viewer.map(|viewer| self.relation_to(viewer, owner)).transpose()?;
        let audience = match direction {
            Direction::Followers => account.privacy.followers,
            Direction::Following => account.privacy.following,
        };
        may_read_list(&account, audience, relation.as_ref())?;
        let mut page = self.graph.list(owner, direction, query)?;
        if !may_see_counts(&account, relation.as_ref()) {
            page.total = None;
        }
        match viewer {
            Some(viewer) => self.as_seen_by(viewer, page),
            None => Ok(as_seen_by_nobody(page)),
        }
    }

    fn relationships(
        &self,
        viewer: AccountId,
        targets: &[AccountId],
    ) -> Result<Vec<(AccountId, Relation)>, GraphError> {
        if targets.is_empty() || targets.len() > MAX_RELATIONSHIPS {
            return Err(GraphError::InvalidInput(format!("ids must name 1 to {MAX_RELATIONSHIPS} accounts")));
        }
        let mut relations = self.graph.relations(viewer, targets)?;
        for (id, relation) in &mut relations {
            *relation = self.as_of_now(*relation);
            relation.is_self = *id == viewer;
        }
        Ok(relations)
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
    /// Adds the viewer's relation to every account of a page, with one call to the
    /// store for the whole page.
    pub(super) fn as_seen_by(
        &self,
        viewer: AccountId,
        page: ListPage<crate::Account>,
    ) -> Result<ProfilePage, GraphError> {
        let ids: Vec<AccountId> = page.items.iter().map(|l| l.item.id).filter(|id| *id != viewer).collect();
        let mut relations: HashMap<AccountId, Relation> =
            if ids.is_empty() { HashMap::new() } else { self.graph.relations(viewer, &ids)?.into_iter().collect() };
        // The viewer's own request counts, when the viewer is on the page.
        let own_requests = if ids.len() < page.items.len() { Some(self.graph.request_counts(viewer)?) } else { None };
        let items = page
            .items
            .into_iter()
            .map(|listed| {
                let id = listed.item.id;
                let mut view = if id == viewer {
                    ProfileView::new(listed.item, Relation { is_self: true, ..Relation::default() })
                } else {
                    ProfileView::new(listed.item, self.as_of_now(relations.remove(&id).unwrap_or_default()))
                };
                if view.relation.is_self {
                    view.requests = own_requests;
                }
                Listed { item: view, since: listed.since }
            })
            .collect();
        Ok(ListPage {
            items,
            total: page.total,
            paging: page.paging,
            has_more: page.has_more,
            next_cursor: page.next_cursor,
        })
    }
}

/// A page as an anonymous viewer sees it: no relations.
fn as_seen_by_nobody(page: ListPage<crate::Account>) -> ProfilePage {
    let items = page
        .items
        .into_iter()
        .map(|l| Listed { item: ProfileView::new(l.item, Relation::default()), since: l.since })
        .collect();
    ListPage { items, total: page.total, paging: page.paging, has_more: page.has_more, next_cursor: page.next_cursor }
}

#[cfg(test)]
mod tests {
    use mockall::predicate::eq;

    use super::super::fixtures::*;
    use super::*;
    use crate::listing::Paging;

    fn query() -> ListQuery {
        ListQuery::paged(Paging::Keyset { after: None, limit: 20 })
    }

    fn page_of(accounts: Vec<crate::Account>) -> ListPage<crate::Account> {
        let items = accounts.into_iter().map(|a| Listed { item: a, since: now() }).collect();
        ListPage { items, total: Some(2), paging: query().paging, has_more: false, next_cursor: None }
    }

    #[test]
    fn private_lists_need_an_accepted_follow() {
        let (viewer, owner) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports
            .accounts
            .expect_account()
            .with(eq(owner))
            .returning(|id| Ok(Some(crate::Account { is_private: true, ..sample_account(id) })));
        ports.graph.expect_relations().return_const(Ok(vec![(owner, Relation::default())]));
        ports.graph.expect_list().never();
        let service = ports.service();
        let result = service.list(Some(viewer), owner, Direction::Followers, &query());
        assert_eq!(result, Err(GraphError::PrivateAccount));
        assert_eq!(service.list(None, owner, Direction::Followers, &query()), Err(GraphError::PrivateAccount));
    }

    #[test]
    fn a_page_is_enriched_with_one_relations_call() {
        let (viewer, owner, other) = (account_id(), account_id(), account_id());
        let mut ports = Ports::new();
        ports.accounts.expect_account().returning(|id| Ok(Some(sample_account(id))));
        ports
            .graph
            .expect_list()
            .times(1)
            .returning(move |_, _, _| Ok(page_of(vec![sample_account(other), sample_account(viewer)])));
        let following = Relation { is_following: true, ..Relation::default() };
        // One read of the viewer's relation to the owner (may it read the list?), one for the page.
        ports
            .graph
            .expect_relations()
            .withf(move |v, ids| *v == viewer && ids == [owner])
            .times(1)
            .return_const(Ok(vec![(owner, Relation::default())]));
        ports
            .graph
            .expect_relations()
            .withf(move |v, ids| *v == viewer && ids == [other])
            .times(1)
            .return_const(Ok(vec![(other, following)]));
        let counts = crate::account::RequestCounts { received: 3, sent: 0 };
        ports.graph.expect_request_counts().with(eq(viewer)).times(1).return_const(Ok(counts));
        let page = ports.service().list(Some(viewer), owner, Direction::Following, &query()).unwrap();
        assert!(page.items[0].item.relation.is_following);
        assert!(page.items[1].item.relation.is_self);
        assert_eq!((page.items[0].item.requests, page.items[1].item.requests), (None, Some(counts)));
    }

    #[test]
    fn followed_by_me_is_only_the_viewers_own() {
        let (viewer, owner) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_list().never();
        let query = ListQuery { filter: Some(ListFilter::FollowedBy(account_id())), ..query() };
        let refused = ports.service().list(Some(viewer), owner, Direction::Followers, &query);
        assert!(matches!(refused, Err(GraphError::InvalidInput(_))));
    }

    #[test]
    fn relationships_take_one_to_a_hundred_ids() {
        let viewer = account_id();
        let mut ports = Ports::new();
        ports
            .graph
            .expect_relations()
            .returning(|_, ids| Ok(ids.iter().map(|id| (*id, Relation::default())).collect()));
        let service = ports.service();
        assert!(service.relationships(viewer, &[]).is_err());
        assert!(service.relationships(viewer, &vec![account_id(); 101]).is_err());
        let mine = service.relationships(viewer, &[viewer]).unwrap();
        assert!(mine[0].1.is_self);
    }
}
