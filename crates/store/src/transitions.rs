//! Applying the domain's transitions, each guarded so that a racing twin turns into a
//! no-op: unique indexes with `ON CONFLICT DO NOTHING`, status updates conditioned on
//! the status read, and counts moved only by the rows a statement really changed.

use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use rookery_domain::relationship::{Applied, PairState, Transition, request_guard};
use rookery_domain::{
    AccountId, EndReason, FollowRequest, GraphEvent, Notification, RequestFate, RequestId, RequestStatus,
};

use crate::budget::{WindowReads, take_spends};
use crate::connection::BackendSql;
use crate::event_log::EventWrites;
use crate::events::StoreEvent;
use crate::follow_run::{AccountStates, FollowRun, LockedAccount, RunFollow};
use crate::graph::GraphQueries;
use crate::mutes::MuteQueries;
use crate::rows::{BlockRow, FollowRow, NotificationRow, RequestRow};
use crate::schema::{accounts, blocks, follow_requests, follows, notifications};
use crate::sql_types::{DbTime, DbUuid, db_time};

const PENDING: &str = "pending";

/// Transition writes, written once for both backends. Each runs inside the caller's
/// write transaction.
pub(crate) trait TransitionWrites {
    fn apply_transition(&mut self, transition: &Transition) -> QueryResult<Applied>;
    /// Accepts every pending request to `target` set-based; returns the notifications
    /// stored for the requesters.
    fn accept_all_pending(&mut self, target: DbUuid, at: DbTime) -> QueryResult<Vec<Notification>>;
    fn move_counts(&mut self, follower: DbUuid, followee: DbUuid, delta: i64) -> QueryResult<()>;
    fn delete_answered_requests(&mut self, requester: DbUuid, target: DbUuid) -> QueryResult<usize>;
    /// Stores notifications; [`TransitionWrites::announce_notifications`] tells the
    /// other instances, once per transaction.
    fn insert_notifications(&mut self, notes: &[Notification]) -> QueryResult<()>;
    fn announce_notifications(&mut self, notes: &[Notification]) -> QueryResult<()>;
    /// Writes the fate of answered or withdrawn requests on their `follow_request`
    /// notifications and marks those read; a recipient whose unread count dropped is
    /// announced.
    fn write_fates(&mut self, requests: &[DbUuid], fate: RequestFate, at: DbTime) -> QueryResult<()>;
    /// Deletes the pending requests of the ordered pairs `(requester, target)`, writes
    /// their `follow_request.cancelled` events and their notifications' fate
    /// (cancelled, read at `at`); answers how many went.
    fn delete_pending_requests(
        &mut self,
        pairs: &[(DbUuid, DbUuid)],
        reason: EndReason,
        at: DbTime,
    ) -> QueryResult<usize>;
}

fn changed(rows: usize) -> Applied {
    if rows > 0 { Applied::Changed } else { Applied::Unchanged }
}

for_each_backend! {
impl TransitionWrites {
    fn apply_transition(&mut self, transition: &Transition) -> QueryResult<Applied> {
        match transition {
            Transition::Follow { edge, notification, spend } => {
                // A run of one: the guard and the spend are the run's.
                let (a, b) = (DbUuid::from(edge.follower), DbUuid::from(edge.followee));
                let pair = self.lock_pair(a, b)?;
                let window = if spend.is_some() { self.quota_windows(&[a])?.remove(&a) } else { None };
                let mut states = AccountStates::from([
                    (b, LockedAccount { standing: pair.second, window: None }),
                    (a, LockedAccount { standing: pair.first, window }),
                ]);
                let run = [RunFollow { edge, notification, spend: *spend }];
                Ok(self.apply_follow_run(&run, &mut states)?.pop().unwrap_or(Applied::Unchanged))
            }
            Transition::Request { request, notification: _, spend } => {
                let (a, b) = (DbUuid::from(request.requester), DbUuid::from(request.target));
                let pair = self.lock_pair(a, b)?;
                let state = PairState {
                    actor: request.requester,
                    target: request.target,
                    actor_standing: pair.first,
                    target_standing: pair.second,
                    following: self.edge_exists(a, b)?,
                    request: None,
                    blocked: self.blocked_either_way(a, b)?,
                };
                if !request_guard(&state) {
                    return Ok(Applied::Unchanged);
                }
                // The partial unique index on pending pairs turns a racing twin into a no-op.
                let inserted = diesel::insert_into(follow_requests::table)
                    .values(RequestRow::from(request))
                    .on_conflict_do_nothing()
                    .execute(self)?;
                if inserted == 0 {
                    return Ok(Applied::Unchanged);
                }
                if let Some(spend) = spend {
                    let mut windows = std::collections::HashMap::from([(a, self.quota_windows(&[a])?.remove(&a))]);
                    let (mut outcomes, rows) = take_spends(&mut windows, &[(a, *spend)]);
                    if let Some(Err(retry_after)) = outcomes.pop() {
                        diesel::delete(follow_requests::table.find(DbUuid::from(request.id))).execute(self)?;
                        return Ok(Applied::Exhausted { retry_after });
                    }
                    self.store_quota_windows(&rows)?;
                }
                self.delete_answered_requests(a, b)?;
                // Its notification is stored by the batch, unless a mute silences it.
                self.append_events(&[GraphEvent::RequestCreated {
                    request: request.id,
                    requester: request.requester,
                    target: request.target,
                }])?;
                Ok(Applied::Changed)
            }
            Transition::Accept { request, edge, notification: _ } => {
                let (a, b) = (DbUuid::from(edge.follower), DbUuid::from(edge.followee));
                if !self.lock_pair(a, b)?.both_live() {
                    return Ok(Applied::Unchanged);
                }
                let answered = diesel::update(
                    follow_requests::table.filter(follow_requests::id.eq(DbUuid::from(*request)).and(follow_requests::status.eq(PENDING))),
                )
                .set((follow_requests::status.eq(RequestStatus::Accepted.as_str()), follow_requests::updated_at.eq(db_time(edge.created_at))))
                .execute(self)?;
                if answered == 0 {
                    return Ok(Applied::Unchanged);
                }
                let inserted = diesel::insert_into(follows::table)
                    .values(FollowRow::from(edge))
                    .on_conflict_do_nothing()
                    .execute(self)?;
                let mut events = vec![GraphEvent::RequestAccepted {
                    request: *request,
                    requester: edge.follower,
                    target: edge.followee,
                }];
                if inserted > 0 {
                    self.move_counts(a, b, 1)?;
                    events.push(GraphEvent::FollowCreated { follower: edge.follower, followee: edge.followee, at: edge.created_at });
                }
                self.write_fates(&[DbUuid::from(*request)], RequestFate::Accepted, db_time(edge.created_at))?;
                self.append_events(&events)?;
                Ok(Applied::Changed)
            }
            Transition::Decline { request, requester, target, at } => {
                self.lock_pair(DbUuid::from(*requester), DbUuid::from(*target))?;
                let answered = diesel::update(
                    follow_requests::table.filter(follow_requests::id.eq(DbUuid::from(*request)).and(follow_requests::status.eq(PENDING))),
                )
                .set((follow_requests::status.eq(RequestStatus::Declined.as_str()), follow_requests::updated_at.eq(db_time(*at))))
                .execute(self)?;
                if answered > 0 {
                    self.write_fates(&[DbUuid::from(*request)], RequestFate::Declined, db_time(*at))?;
                    self.append_events(&[GraphEvent::RequestDeclined { request: *request, requester: *requester, target: *target }])?;
                }
                Ok(changed(answered))
            }
            Transition::Cancel { requester, target, at, reason } => {
                let (a, b) = (DbUuid::from(*requester), DbUuid::from(*target));
                self.lock_pair(a, b)?;
                let cancelled = self.delete_pending_requests(&[(a, b)], *reason, db_time(*at))?;
                Ok(changed(cancelled))
            }
            Transition::Block { blocker, blocked, reason, at } => {
                let (a, b) = (DbUuid::from(*blocker), DbUuid::from(*blocked));
                if !self.lock_pair(a, b)?.both_live() {
                    return Ok(Applied::Unchanged);
                }
                let row = BlockRow { blocker_id: a, blocked_id: b, reason: reason.clone(), created_at: db_time(*at) };
                let inserted = diesel::insert_into(blocks::table).values(row).on_conflict_do_nothing().execute(self)?;
                if inserted == 0 {
                    return Ok(Applied::Unchanged);
                }
                let mut events = vec![GraphEvent::BlockCreated { blocker: *blocker, blocked: *blocked }];
                for ((follower, followee), (from, to)) in [((a, b), (*blocker, *blocked)), ((b, a), (*blocked, *blocker))] {
                    if diesel::delete(follows::table.find((follower, followee))).execute(self)? > 0 {
                        self.move_counts(follower, followee, -1)?;
                        events.push(GraphEvent::FollowDeleted { follower: from, followee: to, reason: EndReason::Block });
                    }
                }
                self.append_events(&events)?;
                // Pending requests are cancelled (with their events and fates); answered ones just go.
                self.delete_pending_requests(&[(a, b), (b, a)], EndReason::Block, db_time(*at))?;
                diesel::delete(follow_requests::table.filter(
                    follow_requests::requester_id.eq(a).and(follow_requests::target_id.eq(b))
                        .or(follow_requests::requester_id.eq(b).and(follow_requests::target_id.eq(a))),
                ))
                .execute(self)?;
                Ok(Applied::Changed)
            }
            Transition::Unblock { blocker, blocked } => {
                let deleted = diesel::delete(blocks::table.find((DbUuid::from(*blocker), DbUuid::from(*blocked)))).execute(self)?;
                if deleted > 0 {
                    self.append_events(&[GraphEvent::BlockDeleted { blocker: *blocker, blocked: *blocked }])?;
                }
                Ok(changed(deleted))
            }
            Transition::Unfollow { follower, followee, reason } => {
                let (a, b) = (DbUuid::from(*follower), DbUuid::from(*followee));
                self.lock_pair(a, b)?;
                let deleted = diesel::delete(follows::table.find((a, b))).execute(self)?;
                if deleted == 0 {
                    return Ok(Applied::Unchanged);
                }
                self.move_counts(a, b, -1)?;
                self.append_events(&[GraphEvent::FollowDeleted { follower: *follower, followee: *followee, reason: *reason }])?;
                // The accepted request that made the edge goes with it, so status reads none.
                self.delete_answered_requests(a, b)?;
                Ok(Applied::Changed)
            }
        }
    }

    fn accept_all_pending(&mut self, target: DbUuid, at: DbTime) -> QueryResult<Vec<Notification>> {
        let pending_to_target = follow_requests::target_id.eq(target).and(follow_requests::status.eq(PENDING));
        // The requesters' rows locked first (the caller holds the target's): a
        // requester's deletion, which takes its request without the target's lock, has
        // then committed or waits, so the requests read next are exactly those the
        // statements below accept, and the events say what they did. Read before the
        // locks, a request deleted meanwhile was announced accepted, with a follow that
        // was never made.
        let mut asking: Vec<DbUuid> =
            follow_requests::table.filter(pending_to_target).select(follow_requests::requester_id).load(self)?;
        if asking.is_empty() {
            return Ok(Vec::new());
        }
        asking.sort_unstable();
        asking.dedup();
        self.lock_accounts(&asking)?;
        let requests: Vec<FollowRequest> = follow_requests::table
            .filter(pending_to_target)
            .select(RequestRow::as_select())
            .load(self)?
            .into_iter()
            .map(RequestRow::into_domain)
            .collect();
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let requester_ids: Vec<DbUuid> = requests.iter().map(|r| DbUuid::from(r.requester)).collect();
        let followed_already: std::collections::HashSet<DbUuid> = follows::table
            .filter(follows::followee_id.eq(target).and(follows::follower_id.eq_any(&requester_ids)))
            .select(follows::follower_id)
            .load(self)?
            .into_iter()
            .collect();
        let requesters = follow_requests::table.filter(pending_to_target).select(follow_requests::requester_id);
        let already_following = follows::table.filter(follows::followee_id.eq(target)).select(follows::follower_id);
        // Counts first, while "pending and not yet following" still names exactly the
        // requesters whose edge the next statement creates.
        diesel::update(accounts::table.filter(accounts::id.eq_any(requesters).and(accounts::id.ne_all(already_following))))
            .set(accounts::following_count.eq(accounts::following_count + 1))
            .execute(self)?;
        let created = diesel::insert_into(follows::table)
            .values(follow_requests::table.filter(pending_to_target).select((
                follow_requests::requester_id,
                follow_requests::target_id,
                at.into_sql::<crate::sql_types::Instant>(),
            )))
            .into_columns((follows::follower_id, follows::followee_id, follows::created_at))
            .on_conflict_do_nothing()
            .execute(self)?;
        let created = i64::try_from(created).unwrap_or(i64::MAX);
        diesel::update(accounts::table.find(target))
            .set(accounts::followers_count.eq(accounts::followers_count + created))
            .execute(self)?;
        diesel::update(follow_requests::table.filter(pending_to_target))
            .set((follow_requests::status.eq(RequestStatus::Accepted.as_str()), follow_requests::updated_at.eq(at)))
            .execute(self)?;
        let ids: Vec<DbUuid> = requests.iter().map(|r| DbUuid::from(r.id)).collect();
        self.write_fates(&ids, RequestFate::Accepted, at)?;
        let mut events = Vec::with_capacity(requests.len() * 2);
        for r in &requests {
            events.push(GraphEvent::RequestAccepted { request: r.id, requester: r.requester, target: r.target });
            if !followed_already.contains(&DbUuid::from(r.requester)) {
                events.push(GraphEvent::FollowCreated { follower: r.requester, followee: r.target, at: at.0 });
            }
        }
        self.append_events(&events)?;
        let notes: Vec<Notification> = requests.iter().map(|r| Notification::request_accepted(r, at.0)).collect();
        let notes = self.audible(notes)?;
        self.insert_notifications(&notes)?;
        self.announce_notifications(&notes)?;
        Ok(notes)
    }

    fn move_counts(&mut self, follower: DbUuid, followee: DbUuid, delta: i64) -> QueryResult<()> {
        // One statement for both rows: a round trip less per change on PostgreSQL.
        diesel::update(accounts::table.filter(accounts::id.eq(followee).or(accounts::id.eq(follower))))
            .set((
                accounts::followers_count
                    .eq(accounts::followers_count + case_when(accounts::id.eq(followee), delta.into_sql::<BigInt>()).otherwise(0_i64.into_sql::<BigInt>())),
                accounts::following_count
                    .eq(accounts::following_count + case_when(accounts::id.eq(follower), delta.into_sql::<BigInt>()).otherwise(0_i64.into_sql::<BigInt>())),
            ))
            .execute(self)?;
        Ok(())
    }

    fn delete_answered_requests(&mut self, requester: DbUuid, target: DbUuid) -> QueryResult<usize> {
        diesel::delete(follow_requests::table.filter(
            follow_requests::requester_id.eq(requester)
                .and(follow_requests::target_id.eq(target))
                .and(follow_requests::status.ne(PENDING)),
        ))
        .execute(self)
    }

    fn insert_notifications(&mut self, notes: &[Notification]) -> QueryResult<()> {
        self.insert_notification_rows(notes.iter().map(NotificationRow::from).collect())
    }

    fn write_fates(&mut self, requests: &[DbUuid], fate: RequestFate, at: DbTime) -> QueryResult<()> {
        if requests.is_empty() {
            return Ok(());
        }
        let theirs = || notifications::table.filter(notifications::request_id.eq_any(requests));
        let unread: Vec<DbUuid> = theirs().filter(notifications::read_at.is_null()).select(notifications::recipient_id).load(self)?;
        diesel::update(theirs()).set(notifications::request_status.eq(fate.as_str())).execute(self)?;
        if unread.is_empty() {
            return Ok(());
        }
        diesel::update(theirs().filter(notifications::read_at.is_null())).set(notifications::read_at.eq(Some(at))).execute(self)?;
        for recipient in unread {
            let count = notifications::table
                .filter(notifications::recipient_id.eq(recipient).and(notifications::read_at.is_null()))
                .count()
                .get_result::<i64>(self)?;
            self.announce(&StoreEvent::Unread { recipient: AccountId::from_uuid(recipient.0), count })?;
        }
        Ok(())
    }

    fn delete_pending_requests(&mut self, pairs: &[(DbUuid, DbUuid)], reason: EndReason, at: DbTime) -> QueryResult<usize> {
        let mut events = Vec::new();
        let mut ids = Vec::new();
        for (requester, target) in pairs {
            let pending: Vec<DbUuid> = follow_requests::table
                .filter(
                    follow_requests::requester_id.eq(*requester)
                        .and(follow_requests::target_id.eq(*target))
                        .and(follow_requests::status.eq(PENDING)),
                )
                .select(follow_requests::id)
                .load(self)?;
            for id in pending {
                ids.push(id);
                events.push(GraphEvent::RequestCancelled {
                    request: RequestId::from_uuid(id.0),
                    requester: AccountId::from_uuid(requester.0),
                    target: AccountId::from_uuid(target.0),
                    reason,
                });
            }
        }
        if ids.is_empty() {
            return Ok(0);
        }
        let deleted = diesel::delete(follow_requests::table.filter(follow_requests::id.eq_any(&ids))).execute(self)?;
        self.write_fates(&ids, RequestFate::Cancelled, at)?;
        self.append_events(&events)?;
        Ok(deleted)
    }

    fn announce_notifications(&mut self, notes: &[Notification]) -> QueryResult<()> {
        let events: Vec<StoreEvent> =
            notes.iter().map(|note| StoreEvent::Notification { recipient: note.recipient, id: note.id }).collect();
        self.announce_all(&events)
    }
}
}
