//! Accounts: lookups, inserts, profile updates.

use diesel::prelude::*;
use rookery_domain::pending::Pending;
use rookery_domain::ports::{AccountStore, Presence, StoreError};
use rookery_domain::relationship::Applied;
use rookery_domain::{Account, AccountId, NewAccount, Notification, ProfilePatch, Timestamp, Username};

use crate::connection::BackendSql;
use crate::database::Database;
use crate::push::PushQueries;
use crate::rows::{AccountRow, NewAccountRow, ProfileChangeset};
use crate::schema::{
    accounts, blocks, devices, follow_quota, follow_requests, follows, notifications, push_outbox,
    suggestion_dismissals,
};
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
        if !self.lock_pair(id, id)?.first.is_live() {
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
                    Ok(if inserted > 0 { Applied::Changed } else { Applied::Unchanged })
                })
            })
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
