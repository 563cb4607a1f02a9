//! Accounts: lookups, inserts, profile updates.

use diesel::prelude::*;
use rookery_domain::pending::Pending;
use rookery_domain::ports::{AccountStore, Presence, StoreError};
use rookery_domain::relationship::Applied;
use rookery_domain::{
    Account, AccountId, EndReason, GraphEvent, NewAccount, Notification, ProfilePatch, RequestId, Timestamp, Username,
};

use crate::connection::BackendSql;
use crate::database::Database;
use crate::event_log::EventWrites;
use crate::push::PushQueries;
use crate::rows::{AccountRow, NewAccountRow, ProfileChangeset};
use crate::schema::{
    accounts, blocks, devices, follow_quota, follow_requests, follows, mutes, notifications, push_outbox,
    suggestion_dismissals,
};
use crate::search::NameWords;
use crate::sql_types::{DbTime, DbUuid, db_time};
use crate::transitions::TransitionWrites;

/// Account reads and writes, written once for both backends.
pub(crate) trait AccountQueries {
    fn live_account(&mut self, id: DbUuid) -> QueryResult<Option<Account>>;
    fn update_live_profile(
        &mut self,
        id: DbUuid,
        patch: &ProfilePatch,
        at: Timestamp,
    ) -> QueryResult<Option<(Account, Vec<Notification>)>>;
    fn soft_delete_live(&mut self, id: DbUuid, at: DbTime) -> QueryResult<Applied>;
    /// The events of deleting `id`: every edge, pending request and block it had goes,
    /// then the account.
    fn append_deletion_events(&mut self, id: DbUuid) -> QueryResult<()>;
}

/// The API names of the profile fields that differ.
fn changed_fields(before: &Account, after: &Account) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut check = |name: &'static str, differs: bool| {
        if differs {
            fields.push(name);
        }
    };
    check("username", before.username.as_str() != after.username.as_str());
    check("full_name", before.full_name != after.full_name);
    check("bio", before.bio != after.bio);
    check("profile_image_url", before.profile_image_url != after.profile_image_url);
    check("banner_image_url", before.banner_image_url != after.banner_image_url);
    check("is_private", before.is_private != after.is_private);
    check("is_verified", before.is_verified != after.is_verified);
    check("posts_count", before.posts_count != after.posts_count);
    check("followers_visibility", before.privacy.followers != after.privacy.followers);
    check("following_visibility", before.privacy.following != after.privacy.following);
    check("counts_visible", before.privacy.counts_visible != after.privacy.counts_visible);
    fields
}

fn account_id(id: DbUuid) -> AccountId {
    AccountId::from_uuid(id.0)
}

for_each_backend! {
impl AccountQueries {
    fn live_account(&mut self, id: DbUuid) -> QueryResult<Option<Account>> {
        accounts::table
            .filter(accounts::id.eq(id).and(accounts::deleted_at.is_null()))
            .select(AccountRow::as_select())
            .first(self)
            .optional()
            .map(|row| row.map(AccountRow::into_domain))
    }

    fn update_live_profile(&mut self, id: DbUuid, patch: &ProfilePatch, at: Timestamp) -> QueryResult<Option<(Account, Vec<Notification>)>> {
        // Holding the account's row lock for the whole transaction keeps every
        // transition touching its requests (they lock it too) out of the way while
        // pending requests are accepted.
        self.lock_pair(id, id)?;
        let Some(before) = self.live_account(id)? else {
            return Ok(None);
        };
        diesel::update(accounts::table.find(id)).set(ProfileChangeset::new(patch, before.privacy, at)).execute(self)?;
        if let Some(full_name) = &patch.full_name {
            self.store_name_words(id, full_name.as_deref())?;
        }
        // The update's event first, then the acceptances going public brought.
        let after = self.live_account(id)?;
        if let Some(after) = &after {
            let fields = changed_fields(&before, after);
            if !fields.is_empty() {
                self.append_events(&[GraphEvent::AccountUpdated { account: after.id, fields, is_private: after.is_private }])?;
            }
        }
        let accepted = if before.is_private && patch.is_private == Some(false) {
            self.accept_all_pending(id, db_time(at))?
        } else {
            Vec::new()
        };
        Ok(self.live_account(id)?.map(|account| (account, accepted)))
    }

    fn append_deletion_events(&mut self, id: DbUuid) -> QueryResult<()> {
        let events = self.deletion_events(id)?;
        self.append_events(&events)
    }

    fn soft_delete_live(&mut self, id: DbUuid, at: DbTime) -> QueryResult<Applied> {
        if !self.lock_pair(id, id)?.first.is_live() {
            return Ok(Applied::Unchanged);
        }
        self.append_deletion_events(id)?;
        // Counterparts first, while the edges still say whose counts move.
        let followers = follows::table.filter(follows::followee_id.eq(id)).select(follows::follower_id);
        diesel::update(accounts::table.filter(accounts::id.eq_any(followers)))
            .set(accounts::following_count.eq(accounts::following_count - 1))
            .execute(self)?;
        let followees = follows::table.filter(follows::follower_id.eq(id)).select(follows::followee_id);
        diesel::update(accounts::table.filter(accounts::id.eq_any(followees)))
            .set(accounts::followers_count.eq(accounts::followers_count - 1))
            .execute(self)?;
        diesel::delete(follows::table.filter(follows::follower_id.eq(id).or(follows::followee_id.eq(id)))).execute(self)?;
        diesel::delete(follow_requests::table.filter(follow_requests::requester_id.eq(id).or(follow_requests::target_id.eq(id))))
            .execute(self)?;
        diesel::delete(blocks::table.filter(blocks::blocker_id.eq(id).or(blocks::blocked_id.eq(id)))).execute(self)?;
        diesel::delete(notifications::table.filter(notifications::recipient_id.eq(id).or(notifications::actor_id.eq(id))))
            .execute(self)?;
        diesel::delete(follow_quota::table.find(id)).execute(self)?;
        diesel::delete(mutes::table.filter(mutes::muter_id.eq(id).or(mutes::muted_id.eq(id)))).execute(self)?;
        self.store_name_words(id, None)?;
        diesel::delete(suggestion_dismissals::table.filter(
            suggestion_dismissals::viewer_id.eq(id).or(suggestion_dismissals::dismissed_id.eq(id)),
        ))
        .execute(self)?;
        let tokens = devices::table.filter(devices::account_id.eq(id)).select(devices::token);
        diesel::delete(push_outbox::table.filter(push_outbox::device_token.eq_any(tokens))).execute(self)?;
        diesel::delete(devices::table.filter(devices::account_id.eq(id))).execute(self)?;
        diesel::update(accounts::table.find(id))
            .set((
                accounts::deleted_at.eq(Some(at)),
                accounts::updated_at.eq(at),
                accounts::followers_count.eq(0),
                accounts::following_count.eq(0),
            ))
            .execute(self)?;
        Ok(Applied::Changed)
    }
}
}

for_each_backend! {
impl DeletionEvents {
    fn deletion_events(&mut self, id: DbUuid) -> QueryResult<Vec<GraphEvent>> {
        let deleted = EndReason::AccountDeleted;
        let edges: Vec<(DbUuid, DbUuid)> = follows::table
            .filter(follows::follower_id.eq(id).or(follows::followee_id.eq(id)))
            .select((follows::follower_id, follows::followee_id))
            .load(self)?;
        let pending: Vec<(DbUuid, DbUuid, DbUuid)> = follow_requests::table
            .filter(follow_requests::status.eq("pending").and(follow_requests::requester_id.eq(id).or(follow_requests::target_id.eq(id))))
            .select((follow_requests::id, follow_requests::requester_id, follow_requests::target_id))
            .load(self)?;
        let blocked: Vec<(DbUuid, DbUuid)> = blocks::table
            .filter(blocks::blocker_id.eq(id).or(blocks::blocked_id.eq(id)))
            .select((blocks::blocker_id, blocks::blocked_id))
            .load(self)?;
        let mut events: Vec<GraphEvent> = edges
            .into_iter()
            .map(|(a, b)| GraphEvent::FollowDeleted { follower: account_id(a), followee: account_id(b), reason: deleted })
            .collect();
        events.extend(pending.into_iter().map(|(request, a, b)| GraphEvent::RequestCancelled {
            request: RequestId::from_uuid(request.0),
            requester: account_id(a),
            target: account_id(b),
            reason: deleted,
        }));
        events.extend(blocked.into_iter().map(|(a, b)| GraphEvent::BlockDeleted { blocker: account_id(a), blocked: account_id(b) }));
        events.push(GraphEvent::AccountDeleted { account: account_id(id) });
        Ok(events)
    }
}
}

/// Reading what an account's deletion removes, written once for both backends.
trait DeletionEvents {
    fn deletion_events(&mut self, id: DbUuid) -> QueryResult<Vec<GraphEvent>>;
}

impl AccountStore for Database {
    fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        self.read(|conn| with_conn!(conn, |c| c.live_account(id.into())))
    }

    fn account_by_username(&self, username: &Username) -> Result<Option<Account>, StoreError> {
        let key = username.key();
        self.read(|conn| {
            with_conn!(conn, |c| accounts::table
                .filter(accounts::username_key.eq(&key).and(accounts::deleted_at.is_null()))
                .select(AccountRow::as_select())
                .first(c)
                .optional()
                .map(|row| row.map(AccountRow::into_domain)))
        })
    }

    fn presence(&self, id: AccountId) -> Pending<Presence> {
        self.offload(move |conns| {
            let found: Option<Option<DbTime>> = conns.read(|conn| {
                with_conn!(conn, |c| accounts::table
                    .find(DbUuid::from(id))
                    .select(accounts::deleted_at)
                    .first::<Option<DbTime>>(c)
                    .optional())
            })?;
            Ok(match found {
                None => Presence::Missing,
                Some(None) => Presence::Live,
                Some(Some(_)) => Presence::Deleted,
            })
        })
    }

    fn accounts_later(&self, ids: Vec<AccountId>) -> Pending<Vec<Account>> {
        self.offload(move |conns| {
            let mut found = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(account) = conns.read(|conn| with_conn!(conn, |c| c.live_account(id.into())))? {
                    found.push(account);
                }
            }
            Ok(found)
        })
    }

    fn insert_account(&self, account: NewAccount) -> Pending<Applied> {
        self.offload(move |conns| {
            let row = NewAccountRow::from(&account);
            conns.write(|conn| {
                write_tx!(conn, |c| {
                    // A conflict on the id is a racing twin (no-op); one on the username
                    // index is a real error the caller maps to "username taken".
                    let inserted = diesel::insert_into(accounts::table)
                        .values(&row)
                        .on_conflict(accounts::id)
                        .do_nothing()
                        .execute(c)?;
                    if inserted == 0 {
                        return Ok(Applied::Unchanged);
                    }
                    c.store_name_words(row.id, row.full_name.as_deref())?;
                    c.append_events(&[GraphEvent::AccountCreated {
                        account: account.id,
                        username: account.username.as_str().to_owned(),
                        is_private: account.is_private,
                    }])?;
                    Ok(Applied::Changed)
                })
            })
        })
    }

    fn search(
        &self,
        viewer: AccountId,
        query: &rookery_domain::search::SearchQuery,
    ) -> Result<Vec<rookery_domain::search::Ranked>, StoreError> {
        self.search_accounts(viewer, query)
    }

    fn soft_delete(&self, id: AccountId, at: Timestamp) -> Result<Applied, StoreError> {
        let applied = self.write(|conn| write_tx!(conn, |c| c.soft_delete_live(id.into(), db_time(at))))?;
        self.record_fences([id]);
        Ok(applied)
    }

    fn update_profile(
        &self,
        id: AccountId,
        patch: &ProfilePatch,
        at: Timestamp,
    ) -> Result<Option<(Account, Vec<Notification>)>, StoreError> {
        let push = self.push_outbox();
        let updated = self.write(|conn| {
            write_tx!(conn, |c| {
                let updated = c.update_live_profile(id.into(), patch, at)?;
                if push && let Some((_, accepted)) = &updated {
                    c.enqueue_pushes(accepted)?;
                }
                Ok(updated)
            })
        })?;
        // Who may read the account's lists, and (going public) the requesters it
        // accepted: their reads must not come from a replica behind this change.
        if let Some((_, accepted)) = &updated {
            self.record_fences(std::iter::once(id).chain(accepted.iter().map(|n| n.recipient)));
        }
        Ok(updated)
    }
}
