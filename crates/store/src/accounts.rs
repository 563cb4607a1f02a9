//! Accounts: lookups, inserts, profile updates.

use diesel::prelude::*;
use rookery_domain::ports::{AccountStore, Presence, QuotaDecision, StoreError};
use rookery_domain::relationship::Applied;
use rookery_domain::{Account, AccountId, NewAccount, Notification, ProfilePatch, Timestamp, Username};

use crate::connection::BackendSql;
use crate::database::Database;
use crate::push::PushQueries;
use crate::rows::{AccountRow, NewAccountRow, ProfileChangeset};
use crate::schema::{accounts, blocks, devices, follow_quota, follow_requests, follows, notifications, push_outbox};
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
    fn take_quota(
        &mut self,
        account: DbUuid,
        limit: i32,
        window_start_after: DbTime,
        at: DbTime,
    ) -> QueryResult<Option<DbTime>>;
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
        diesel::update(accounts::table.find(id)).set(ProfileChangeset::new(patch, at)).execute(self)?;
        let accepted = if before.is_private && patch.is_private == Some(false) {
            self.accept_all_pending(id, db_time(at))?
        } else {
            Vec::new()
        };
        Ok(self.live_account(id)?.map(|account| (account, accepted)))
    }

    fn soft_delete_live(&mut self, id: DbUuid, at: DbTime) -> QueryResult<Applied> {
        if self.lock_pair(id, id)?.first.is_none() {
            return Ok(Applied::Unchanged);
        }
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

    /// Each step is one atomic statement, so concurrent takers (on any instance) can
    /// never both take the last unit: use the current window if it has room, else
    /// start a new one if the current one is over, else report when it ends.
    fn take_quota(&mut self, account: DbUuid, limit: i32, window_start_after: DbTime, at: DbTime)
    -> QueryResult<Option<DbTime>> {
        diesel::insert_into(follow_quota::table)
            .values((follow_quota::account_id.eq(account), follow_quota::window_start.eq(at), follow_quota::used.eq(0)))
            .on_conflict_do_nothing()
            .execute(self)?;
        let within = diesel::update(follow_quota::table.find(account))
            .filter(follow_quota::window_start.gt(window_start_after).and(follow_quota::used.lt(limit)))
            .set(follow_quota::used.eq(follow_quota::used + 1))
            .execute(self)?;
        if within > 0 {
            return Ok(None);
        }
        let renewed = diesel::update(follow_quota::table.find(account))
            .filter(follow_quota::window_start.le(window_start_after))
            .set((follow_quota::used.eq(1), follow_quota::window_start.eq(at)))
            .execute(self)?;
        if renewed > 0 {
            return Ok(None);
        }
        follow_quota::table.find(account).select(follow_quota::window_start).first::<DbTime>(self).map(Some)
    }
}
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

    fn presence(&self, id: AccountId) -> Result<Presence, StoreError> {
        let found: Option<Option<DbTime>> = self.read(|conn| {
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
    }

    fn insert_account(&self, account: &NewAccount) -> Result<Applied, StoreError> {
        let row = NewAccountRow::from(account);
        self.write(|conn| {
            write_tx!(conn, |c| {
                // A conflict on the id is a racing twin (no-op); one on the username
                // index is a real error the caller maps to "username taken".
                let inserted = diesel::insert_into(accounts::table)
                    .values(&row)
                    .on_conflict(accounts::id)
                    .do_nothing()
                    .execute(c)?;
                Ok(if inserted > 0 { Applied::Changed } else { Applied::Unchanged })
            })
        })
    }

    fn take_follow_quota(
        &self,
        account: AccountId,
        limit: u32,
        window: chrono::Duration,
        at: Timestamp,
    ) -> Result<QuotaDecision, StoreError> {
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let (now, window_start_after) = (db_time(at), db_time(at - window));
        let started =
            self.write(|conn| write_tx!(conn, |c| c.take_quota(account.into(), limit, window_start_after, now)))?;
        Ok(match started {
            None => QuotaDecision::Granted,
            Some(start) => QuotaDecision::Exhausted { retry_after: (start.0 + window) - at },
        })
    }

    fn soft_delete(&self, id: AccountId, at: Timestamp) -> Result<Applied, StoreError> {
        self.write(|conn| write_tx!(conn, |c| c.soft_delete_live(id.into(), db_time(at))))
    }

    fn update_profile(
        &self,
        id: AccountId,
        patch: &ProfilePatch,
        at: Timestamp,
    ) -> Result<Option<(Account, Vec<Notification>)>, StoreError> {
        let push = self.push_outbox();
        self.write(|conn| {
            write_tx!(conn, |c| {
                let updated = c.update_live_profile(id.into(), patch, at)?;
                if push && let Some((_, accepted)) = &updated {
                    c.enqueue_pushes(accepted)?;
                }
                Ok(updated)
            })
        })
    }
}
