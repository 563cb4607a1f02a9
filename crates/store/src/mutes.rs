//! Mutes: stored per pair, read with an expiry compared against the caller's now,
//! and the in-transaction filter that keeps silenced notifications from being stored,
//! announced or pushed.

use std::collections::HashMap;

use diesel::prelude::*;
use rookery_domain::ports::StoreError;
use rookery_domain::{
    AccountId, GraphEvent, Mute, MuteState, MutedAccount, Notification, Page, PageRequest, Timestamp,
};

use crate::database::Database;
use crate::event_log::EventWrites;
use crate::rows::AccountRow;
use crate::schema::{accounts, mutes};
use crate::sql_types::{DbTime, DbUuid, db_time};

/// A row of `mutes`.
#[derive(Debug, Clone, Copy, Queryable, Selectable, Insertable)]
#[diesel(table_name = mutes)]
struct MuteRow {
    muter_id: DbUuid,
    muted_id: DbUuid,
    notifications: bool,
    expires_at: Option<DbTime>,
    created_at: DbTime,
}

impl MuteRow {
    fn into_domain(self) -> Mute {
        Mute {
            muter: AccountId::from_uuid(self.muter_id.0),
            muted: AccountId::from_uuid(self.muted_id.0),
            notifications: self.notifications,
            expires_at: self.expires_at.map(|t| t.0),
            created_at: self.created_at.0,
        }
    }
}

/// Mutes in force at `$now`: the SQL twin of [`MuteState::in_force`].
macro_rules! in_force {
    ($now:expr) => {
        mutes::expires_at.is_null().or(mutes::expires_at.gt(db_time($now)))
    };
}

/// Mute reads and writes, written once for both backends.
pub(crate) trait MuteQueries {
    fn upsert_mute(&mut self, mute: &Mute) -> QueryResult<bool>;
    fn mute_page(&mut self, muter: DbUuid, now: Timestamp, page: PageRequest) -> QueryResult<Page<MutedAccount>>;
    fn muted_of(&mut self, muter: DbUuid, candidates: &[DbUuid], now: Timestamp) -> QueryResult<Vec<DbUuid>>;
    /// The viewer's stored mutes of `ids`, expired or not (the service drops the expired).
    fn mutes_by(&mut self, viewer: DbUuid, ids: &[DbUuid]) -> QueryResult<HashMap<DbUuid, MuteState>>;
    /// `notes` without those their recipient's mute silences at their time
    /// ([`MuteState::silences_notifications`]): one read for the whole set.
    fn audible(&mut self, notes: Vec<Notification>) -> QueryResult<Vec<Notification>>;
}

for_each_backend! {
impl MuteQueries {
    fn upsert_mute(&mut self, mute: &Mute) -> QueryResult<bool> {
        let pair = [DbUuid::from(mute.muter), DbUuid::from(mute.muted)];
        let live: i64 = accounts::table
            .filter(accounts::id.eq_any(pair).and(accounts::deleted_at.is_null()))
            .count()
            .get_result(self)?;
        if live < 2 {
            return Ok(false);
        }
        let row = MuteRow {
            muter_id: pair[0],
            muted_id: pair[1],
            notifications: mute.notifications,
            expires_at: mute.expires_at.map(db_time),
            created_at: db_time(mute.created_at),
        };
        diesel::insert_into(mutes::table)
            .values(row)
            .on_conflict((mutes::muter_id, mutes::muted_id))
            .do_update()
            .set((
                mutes::notifications.eq(row.notifications),
                mutes::expires_at.eq(row.expires_at),
                mutes::created_at.eq(row.created_at),
            ))
            .execute(self)?;
        Ok(true)
    }

    fn mute_page(&mut self, muter: DbUuid, now: Timestamp, page: PageRequest) -> QueryResult<Page<MutedAccount>> {
        let mine = || {
            mutes::table
                .inner_join(accounts::table.on(accounts::id.eq(mutes::muted_id)))
                .filter(mutes::muter_id.eq(muter).and(accounts::deleted_at.is_null()))
                .filter(in_force!(now))
        };
        let total = mine().count().get_result::<i64>(self)?;
        let items = mine()
            .order((mutes::created_at.desc(), mutes::muted_id.desc()))
            .limit(page.limit())
            .offset(page.offset())
            .select((MuteRow::as_select(), AccountRow::as_select()))
            .load::<(MuteRow, AccountRow)>(self)?
            .into_iter()
            .map(|(mute, account)| MutedAccount { account: account.into_domain(), mute: mute.into_domain() })
            .collect();
        Ok(Page { items, total, request: page })
    }

    fn muted_of(&mut self, muter: DbUuid, candidates: &[DbUuid], now: Timestamp) -> QueryResult<Vec<DbUuid>> {
        mutes::table
            .filter(mutes::muter_id.eq(muter).and(mutes::muted_id.eq_any(candidates)))
            .filter(in_force!(now))
            .select(mutes::muted_id)
            .load(self)
    }

    fn mutes_by(&mut self, viewer: DbUuid, ids: &[DbUuid]) -> QueryResult<HashMap<DbUuid, MuteState>> {
        Ok(mutes::table
            .filter(mutes::muter_id.eq(viewer).and(mutes::muted_id.eq_any(ids)))
            .select(MuteRow::as_select())
            .load::<MuteRow>(self)?
            .into_iter()
            .map(|row| (row.muted_id, row.into_domain().state()))
            .collect())
    }

    fn audible(&mut self, notes: Vec<Notification>) -> QueryResult<Vec<Notification>> {
        if notes.is_empty() {
            return Ok(notes);
        }
        let mut recipients: Vec<DbUuid> = notes.iter().map(|n| DbUuid::from(n.recipient)).collect();
        recipients.sort_unstable();
        recipients.dedup();
        // Few accounts mute anyone: the recipients' mutes with notifications are a
        // short read on the primary key's leading column.
        let muting: HashMap<(DbUuid, DbUuid), MuteState> = mutes::table
            .filter(mutes::muter_id.eq_any(&recipients).and(mutes::notifications.eq(true)))
            .select(MuteRow::as_select())
            .load::<MuteRow>(self)?
            .into_iter()
            .map(|row| ((row.muter_id, row.muted_id), row.into_domain().state()))
            .collect();
        if muting.is_empty() {
            return Ok(notes);
        }
        Ok(notes
            .into_iter()
            .filter(|n| {
                muting
                    .get(&(DbUuid::from(n.recipient), DbUuid::from(n.actor)))
                    .is_none_or(|mute| !mute.silences_notifications(n.created_at))
            })
            .collect())
    }
}
}

impl Database {
    // A mute shows in the muter's reads (its mute list, relationships, profiles): the
    // muter's fence moves, so a replica behind it is not read for them (`fences`).
    pub(crate) fn store_mute(&self, mute: &Mute) -> Result<bool, StoreError> {
        let event = GraphEvent::MuteCreated {
            muter: mute.muter,
            muted: mute.muted,
            notifications: mute.notifications,
            expires_at: mute.expires_at,
        };
        let stored = self.write(|conn| {
            write_tx!(conn, |c| {
                let stored = c.upsert_mute(mute)?;
                if stored {
                    c.append_events(std::slice::from_ref(&event))?;
                }
                Ok(stored)
            })
        })?;
        self.record_fences([mute.muter]);
        Ok(stored)
    }

    pub(crate) fn delete_mute(&self, muter: AccountId, muted: AccountId) -> Result<bool, StoreError> {
        let key = (DbUuid::from(muter), DbUuid::from(muted));
        let event = GraphEvent::MuteDeleted { muter, muted };
        let deleted = self.write(|conn| {
            write_tx!(conn, |c| {
                let deleted = diesel::delete(mutes::table.find(key)).execute(c)? > 0;
                if deleted {
                    c.append_events(std::slice::from_ref(&event))?;
                }
                Ok(deleted)
            })
        })?;
        self.record_fences([muter]);
        Ok(deleted)
    }

    pub(crate) fn mutes_of(
        &self,
        muter: AccountId,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<MutedAccount>, StoreError> {
        self.read_list([muter], |conn| with_conn!(conn, |c| c.transaction(|c| c.mute_page(muter.into(), now, page))))
    }

    pub(crate) fn muted_among_ids(
        &self,
        muter: AccountId,
        candidates: &[AccountId],
        now: Timestamp,
    ) -> Result<Vec<AccountId>, StoreError> {
        let ids: Vec<DbUuid> = candidates.iter().copied().map(DbUuid::from).collect();
        let muted = self.read(|conn| with_conn!(conn, |c| c.muted_of(muter.into(), &ids, now)))?;
        Ok(muted.into_iter().map(|id| AccountId::from_uuid(id.0)).collect())
    }
}
