//! Reads of the graph: pair state, requests, relations, request lists.

use diesel::dsl::{exists, select};
use diesel::prelude::*;
use rookery_domain::pending::{Pending, PendingApply};
use rookery_domain::ports::{GraphStore, StoreError};
use rookery_domain::relationship::{PairState, Standing, Transition};
use rookery_domain::{
    Account, AccountId, AccountSummary, Direction, FollowRequest, ListPage, ListQuery, Listed, Mute, MutedAccount,
    Page, PageRequest, Relation, RequestCounts, RequestId, RequestListing, RequestStatus, Suggestion, Timestamp,
};

use crate::connection::DbConnection;
use crate::database::Database;
use crate::lists::{ListQueries, distinct};
use crate::rows::{AccountRow, RequestRow};
use crate::schema::{accounts, blocks, follow_requests, follows};
use crate::sql_types::{DbTime, DbUuid, db_time};
use crate::suggestions::SuggestionQueries;

/// Which side of a request a list is about.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Side {
    /// Requests to the account; the counterpart is the requester.
    Received,
    /// Requests from the account; the counterpart is the target.
    Sent,
}

/// A request's columns as the pair read selects them (nullable through its join).
type RequestColumns = (DbUuid, DbUuid, DbUuid, String, DbTime, Option<DbTime>);

/// Graph reads, written once for both backends.
pub(crate) trait GraphQueries {
    fn edge_exists(&mut self, follower: DbUuid, followee: DbUuid) -> QueryResult<bool>;
    fn blocked_either_way(&mut self, a: DbUuid, b: DbUuid) -> QueryResult<bool>;
    fn live_summary(&mut self, id: DbUuid) -> QueryResult<Option<AccountSummary>>;
    fn request_by_id(&mut self, id: DbUuid) -> QueryResult<Option<FollowRequest>>;
    /// Everything a decision about `actor -> target` reads, in one statement (a
    /// second only when the target is not live).
    fn pair_state(&mut self, actor: AccountId, a: DbUuid, t: DbUuid) -> QueryResult<PairState>;
    /// [`GraphQueries::pair_state`] of `actor` with each target, in order (bulk follows).
    fn pair_states(&mut self, actor: AccountId, targets: &[AccountId]) -> QueryResult<Vec<PairState>>;
    fn request_listing(
        &mut self,
        account: DbUuid,
        side: Side,
        status: Option<RequestStatus>,
        page: PageRequest,
    ) -> QueryResult<Page<RequestListing>>;
}

/// One page of an account's requests with the account on the other side, for both
/// sides from one template: `$mine` is the column naming the account, `$other` the
/// one naming the counterpart.
macro_rules! request_page {
    ($conn:expr, $mine:path, $other:path, $account:expr, $status:expr, $page:expr) => {{
        let query = || {
            let mut query = follow_requests::table
                .inner_join(accounts::table.on(accounts::id.eq($other)))
                .filter($mine.eq($account).and(accounts::deleted_at.is_null()))
                .into_boxed();
            if let Some(status) = $status {
                query = query.filter(follow_requests::status.eq(status.as_str()));
            }
            query
        };
        let total = query().count().get_result::<i64>($conn)?;
        let rows = query()
            .order((follow_requests::created_at.desc(), follow_requests::id.desc()))
            .limit($page.limit())
            .offset($page.offset())
            .select((RequestRow::as_select(), AccountRow::as_select()))
            .load::<(RequestRow, AccountRow)>($conn)?;
        (rows, total)
    }};
}

for_each_backend! {
impl GraphQueries {
    fn edge_exists(&mut self, follower: DbUuid, followee: DbUuid) -> QueryResult<bool> {
        select(exists(follows::table.find((follower, followee)))).get_result(self)
    }

    fn blocked_either_way(&mut self, a: DbUuid, b: DbUuid) -> QueryResult<bool> {
        select(exists(blocks::table.filter(
            blocks::blocker_id.eq(a).and(blocks::blocked_id.eq(b))
                .or(blocks::blocker_id.eq(b).and(blocks::blocked_id.eq(a))),
        )))
        .get_result(self)
    }

    fn live_summary(&mut self, id: DbUuid) -> QueryResult<Option<AccountSummary>> {
        accounts::table
            .filter(accounts::id.eq(id).and(accounts::deleted_at.is_null()))
            .select((accounts::id, accounts::is_private))
            .first::<(DbUuid, bool)>(self)
            .optional()
            .map(|row| row.map(|(id, is_private)| AccountSummary { id: AccountId::from_uuid(id.0), is_private }))
    }

    fn pair_states(&mut self, actor: AccountId, targets: &[AccountId]) -> QueryResult<Vec<PairState>> {
        let a = DbUuid::from(actor);
        targets.iter().map(|target| self.pair_state(actor, a, DbUuid::from(*target))).collect()
    }

    fn pair_state(&mut self, actor: AccountId, a: DbUuid, t: DbUuid) -> QueryResult<PairState> {
        let actor_row = diesel::alias!(accounts as actor_row);
        // The target, joined with the pair's requests (newest first; a pair has few),
        // with the actor's privacy (if live), the edge and blocks as subqueries: one
        // statement.
        let found = accounts::table
            .left_join(
                follow_requests::table
                    .on(follow_requests::requester_id.eq(a).and(follow_requests::target_id.eq(accounts::id))),
            )
            .filter(accounts::id.eq(t).and(accounts::deleted_at.is_null()))
            .order((follow_requests::created_at.desc(), follow_requests::id.desc()))
            .select((
                accounts::is_private,
                actor_row
                    .filter(actor_row.field(accounts::id).eq(a).and(actor_row.field(accounts::deleted_at).is_null()))
                    .select(actor_row.field(accounts::is_private))
                    .single_value(),
                exists(follows::table.find((a, t))),
                exists(blocks::table.filter(
                    blocks::blocker_id.eq(a).and(blocks::blocked_id.eq(t))
                        .or(blocks::blocker_id.eq(t).and(blocks::blocked_id.eq(a))),
                )),
                (
                    follow_requests::id,
                    follow_requests::requester_id,
                    follow_requests::target_id,
                    follow_requests::status,
                    follow_requests::created_at,
                    follow_requests::updated_at,
                )
                    .nullable(),
            ))
            .first::<(bool, Option<bool>, bool, bool, Option<RequestColumns>)>(self)
            .optional()?;
        let target = AccountId::from_uuid(t.0);
        let Some((is_private, actor_private, following, blocked, request)) = found else {
            let actor_standing = Standing::of(self.live_summary(a)?.map(|summary| summary.is_private));
            return Ok(PairState {
                actor,
                target,
                actor_standing,
                target_standing: Standing::Missing,
                following: false,
                request: None,
                blocked: false,
            });
        };
        Ok(PairState {
            actor,
            target,
            actor_standing: Standing::of(actor_private),
            target_standing: Standing::of(Some(is_private)),
            following,
            request: request.map(|(id, requester_id, target_id, status, created_at, updated_at)| {
                RequestRow { id, requester_id, target_id, status, created_at, updated_at }.into_domain()
            }),
            blocked,
        })
    }

    fn request_by_id(&mut self, id: DbUuid) -> QueryResult<Option<FollowRequest>> {
        follow_requests::table
            .find(id)
            .select(RequestRow::as_select())
            .first(self)
            .optional()
            .map(|row| row.map(RequestRow::into_domain))
    }

    fn request_listing(
        &mut self,
        account: DbUuid,
        side: Side,
        status: Option<RequestStatus>,
        page: PageRequest,
    ) -> QueryResult<Page<RequestListing>> {
        let (rows, total) = match side {
            Side::Received => request_page!(self, follow_requests::target_id, follow_requests::requester_id, account, status, page),
            Side::Sent => request_page!(self, follow_requests::requester_id, follow_requests::target_id, account, status, page),
        };
        let items = rows
            .into_iter()
            .map(|(request, counterpart)| RequestListing { request: request.into_domain(), counterpart: counterpart.into_domain() })
            .collect();
        Ok(Page { items, total, request: page })
    }
}
}

impl GraphStore for Database {
    fn pair(&self, actor: AccountId, target: AccountId) -> Pending<PairState> {
        let (a, t) = (DbUuid::from(actor), DbUuid::from(target));
        // One statement, so one snapshot, on either backend; a second only when the
        // target is not live. SQLite runs them in a read transaction (free there);
        // on PostgreSQL BEGIN and COMMIT would cost two round trips and buy nothing
        // under READ COMMITTED. Either way the write's guards, not this read, keep the
        // graph consistent.
        self.offload(move |conns| {
            conns.read(|conn| match conn {
                DbConnection::Sqlite(c) => c.transaction(|c| c.pair_state(actor, a, t)),
                DbConnection::Postgres(c) => c.pair_state(actor, a, t),
            })
        })
    }

    fn pairs(&self, actor: AccountId, targets: Vec<AccountId>) -> Pending<Vec<PairState>> {
        // One connection, one snapshot on SQLite (a read transaction); on PostgreSQL
        // a statement per pair, as `pair`: the write's guards keep the graph right.
        self.offload(move |conns| {
            conns.read(|conn| match conn {
                DbConnection::Sqlite(c) => c.transaction(|c| c.pair_states(actor, &targets)),
                DbConnection::Postgres(c) => c.pair_states(actor, &targets),
            })
        })
    }

    fn request_counts(&self, account: AccountId) -> Result<RequestCounts, StoreError> {
        self.read_list([account], |conn| with_conn!(conn, |c| c.pending_counts(account.into())))
    }

    fn suggestions(&self, viewer: AccountId, limit: u32, now: Timestamp) -> Result<Vec<Suggestion>, StoreError> {
        let now = crate::sql_types::db_time(now);
        self.read_list([viewer], |conn| with_conn!(conn, |c| c.transaction(|c| c.suggested(viewer.into(), limit, now))))
    }

    fn dismiss_suggestion(&self, viewer: AccountId, target: AccountId, at: Timestamp) -> Result<(), StoreError> {
        self.write(|conn| with_conn!(conn, |c| c.dismiss(viewer.into(), target.into(), db_time(at))))?;
        // The viewer's suggestions are read on a replica only once it has this.
        self.record_fences([viewer]);
        Ok(())
    }

    fn request(&self, id: RequestId) -> Result<Option<FollowRequest>, StoreError> {
        self.read(|conn| with_conn!(conn, |c| c.request_by_id(id.into())))
    }

    fn relations(&self, viewer: AccountId, targets: &[AccountId]) -> Result<Vec<(AccountId, Relation)>, StoreError> {
        let ids = distinct(targets);
        // The viewer's own changes, and the targets' (a target that blocked the viewer).
        let shown = targets.iter().copied().chain([viewer]);
        self.read_list(shown, |conn| with_conn!(conn, |c| c.transaction(|c| c.relations_of(viewer.into(), &ids))))
    }

    fn list(&self, owner: AccountId, direction: Direction, query: &ListQuery) -> Result<ListPage<Account>, StoreError> {
        self.read_list([owner], |conn| {
            with_conn!(conn, |c| c.transaction(|c| c.edge_page(owner.into(), direction, query)))
        })
    }

    fn blocked_accounts(&self, blocker: AccountId, page: PageRequest) -> Result<Page<Listed>, StoreError> {
        self.read_list([blocker], |conn| with_conn!(conn, |c| c.block_page(blocker.into(), page)))
    }

    fn apply(&self, transitions: Vec<Transition>) -> PendingApply {
        self.submit(transitions)
    }

    fn put_mute(&self, mute: &Mute) -> Result<bool, StoreError> {
        self.store_mute(mute)
    }

    fn remove_mute(&self, muter: AccountId, muted: AccountId) -> Result<bool, StoreError> {
        self.delete_mute(muter, muted)
    }

    fn mutes(&self, muter: AccountId, now: Timestamp, page: PageRequest) -> Result<Page<MutedAccount>, StoreError> {
        self.mutes_of(muter, now, page)
    }

    fn muted_among(
        &self,
        muter: AccountId,
        candidates: &[AccountId],
        now: Timestamp,
    ) -> Result<Vec<AccountId>, StoreError> {
        self.muted_among_ids(muter, candidates, now)
    }

    fn requests_received(&self, target: AccountId, page: PageRequest) -> Result<Page<RequestListing>, StoreError> {
        let pending = Some(RequestStatus::Pending);
        self.read_list([target], |conn| {
            with_conn!(conn, |c| c.request_listing(target.into(), Side::Received, pending, page))
        })
    }

    fn requests_sent(
        &self,
        requester: AccountId,
        status: Option<RequestStatus>,
        page: PageRequest,
    ) -> Result<Page<RequestListing>, StoreError> {
        self.read_list([requester], |conn| {
            with_conn!(conn, |c| c.request_listing(requester.into(), Side::Sent, status, page))
        })
    }
}
