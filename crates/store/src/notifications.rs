//! Stored notifications as recipients read them.

use diesel::prelude::*;
use rookery_domain::ports::{NotificationStore, StoreError};
use rookery_domain::{
    AccountId, Device, DeviceToken, KindFilter, Notification, NotificationId, NotificationKind, NotificationView,
    RequestFate, RequestId, Timestamp,
};

use crate::connection::BackendSql;
use crate::database::Database;
use crate::events::StoreEvent;
use crate::rows::AccountRow;
use crate::schema::{accounts, notifications};
use crate::sql_types::{DbTime, DbUuid, db_time};

/// A row of `notifications`.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = notifications)]
struct StoredNotification {
    id: DbUuid,
    recipient_id: DbUuid,
    actor_id: DbUuid,
    kind: String,
    created_at: DbTime,
    read_at: Option<DbTime>,
    request_id: Option<DbUuid>,
    request_status: Option<String>,
}

fn view((row, actor): (StoredNotification, AccountRow)) -> Option<NotificationView> {
    // The CHECK constraint admits only known kinds.
    let kind = NotificationKind::parse(&row.kind)?;
    Some(NotificationView {
        notification: Notification {
            id: NotificationId::from_uuid(row.id.0),
            recipient: AccountId::from_uuid(row.recipient_id.0),
            actor: AccountId::from_uuid(row.actor_id.0),
            kind,
            created_at: row.created_at.0,
            request: row.request_id.map(|id| RequestId::from_uuid(id.0)),
        },
        actor: actor.into_domain(),
        is_read: row.read_at.is_some(),
        request_status: row.request_status.as_deref().and_then(RequestFate::parse),
    })
}

fn kinds(filter: KindFilter) -> Option<Vec<&'static str>> {
    match filter {
        KindFilter::All => None,
        KindFilter::Kinds(kinds) => Some(kinds.iter().map(|k| k.as_str()).collect()),
        KindFilter::Nothing => Some(Vec::new()),
    }
}

/// Notification reads and writes, written once for both backends.
pub(crate) trait NotificationQueries {
    fn inbox_page(
        &mut self,
        recipient: DbUuid,
        filter: KindFilter,
        limit: i64,
        offset: i64,
    ) -> QueryResult<(Vec<NotificationView>, i64)>;
    fn unread(&mut self, recipient: DbUuid) -> QueryResult<i64>;
    fn mark_read_and_count(&mut self, recipient: AccountId, ids: Option<&[DbUuid]>, at: DbTime) -> QueryResult<i64>;
    fn after(&mut self, recipient: DbUuid, after: DbUuid, limit: i64) -> QueryResult<Vec<NotificationView>>;
    fn by_ids(&mut self, ids: &[DbUuid]) -> QueryResult<Vec<NotificationView>>;
}

/// Notifications joined to their live actors.
macro_rules! with_actors {
    () => {
        notifications::table
            .inner_join(accounts::table.on(accounts::id.eq(notifications::actor_id)))
            .filter(accounts::deleted_at.is_null())
    };
}

for_each_backend! {
impl NotificationQueries {
    fn inbox_page(&mut self, recipient: DbUuid, filter: KindFilter, limit: i64, offset: i64)
    -> QueryResult<(Vec<NotificationView>, i64)> {
        let query = || {
            let mut query = with_actors!().filter(notifications::recipient_id.eq(recipient)).into_boxed();
            if let Some(kinds) = kinds(filter) {
                query = query.filter(notifications::kind.eq_any(kinds));
            }
            query
        };
        let total = query().count().get_result::<i64>(self)?;
        let rows = query()
            .order(notifications::id.desc())
            .limit(limit)
            .offset(offset)
            .select((StoredNotification::as_select(), AccountRow::as_select()))
            .load(self)?;
        Ok((rows.into_iter().filter_map(view).collect(), total))
    }

    fn unread(&mut self, recipient: DbUuid) -> QueryResult<i64> {
        notifications::table
            .filter(notifications::recipient_id.eq(recipient).and(notifications::read_at.is_null()))
            .count()
            .get_result(self)
    }

    fn mark_read_and_count(&mut self, recipient: AccountId, ids: Option<&[DbUuid]>, at: DbTime) -> QueryResult<i64> {
        let mine = notifications::recipient_id.eq(DbUuid::from(recipient)).and(notifications::read_at.is_null());
        let mut update = diesel::update(notifications::table).filter(mine).into_boxed();
        if let Some(ids) = ids {
            update = update.filter(notifications::id.eq_any(ids));
        }
        update.set(notifications::read_at.eq(Some(at))).execute(self)?;
        let count = self.unread(recipient.into())?;
        self.announce(&StoreEvent::Unread { recipient, count })?;
        Ok(count)
    }

    fn after(&mut self, recipient: DbUuid, after: DbUuid, limit: i64) -> QueryResult<Vec<NotificationView>> {
        let rows = with_actors!()
            .filter(notifications::recipient_id.eq(recipient).and(notifications::id.gt(after)))
            .order(notifications::id.asc())
            .limit(limit)
            .select((StoredNotification::as_select(), AccountRow::as_select()))
            .load(self)?;
        Ok(rows.into_iter().filter_map(view).collect())
    }

    fn by_ids(&mut self, ids: &[DbUuid]) -> QueryResult<Vec<NotificationView>> {
        let rows = with_actors!()
            .filter(notifications::id.eq_any(ids))
            .order(notifications::id.asc())
            .select((StoredNotification::as_select(), AccountRow::as_select()))
            .load(self)?;
        Ok(rows.into_iter().filter_map(view).collect())
    }
}
}

impl NotificationStore for Database {
    fn notifications(
        &self,
        recipient: AccountId,
        filter: KindFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<NotificationView>, i64), StoreError> {
        self.read_list([recipient], |conn| {
            with_conn!(conn, |c| c.transaction(|c| c.inbox_page(recipient.into(), filter, limit, offset)))
        })
    }

    fn unread_count(&self, recipient: AccountId) -> Result<i64, StoreError> {
        self.read(|conn| with_conn!(conn, |c| c.unread(recipient.into())))
    }

    fn mark_read(
        &self,
        recipient: AccountId,
        ids: Option<Vec<NotificationId>>,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let ids: Option<Vec<DbUuid>> = ids.map(|ids| ids.into_iter().map(DbUuid::from).collect());
        let unread =
            self.write(|conn| write_tx!(conn, |c| c.mark_read_and_count(recipient, ids.as_deref(), db_time(at))))?;
        self.record_fences([recipient]);
        Ok(unread)
    }

    fn notifications_after(
        &self,
        recipient: AccountId,
        after: NotificationId,
        limit: i64,
    ) -> Result<Vec<NotificationView>, StoreError> {
        self.read(|conn| with_conn!(conn, |c| c.after(recipient.into(), after.into(), limit)))
    }

    fn notification_views(&self, ids: &[NotificationId]) -> Result<Vec<NotificationView>, StoreError> {
        let ids: Vec<DbUuid> = ids.iter().copied().map(DbUuid::from).collect();
        self.read(|conn| with_conn!(conn, |c| c.by_ids(&ids)))
    }

    fn register_device(&self, account: AccountId, device: &Device, at: Timestamp) -> Result<(), StoreError> {
        self.register(account, device, at)
    }

    fn remove_device(&self, account: AccountId, token: &DeviceToken) -> Result<bool, StoreError> {
        self.unregister(account, token)
    }
}
