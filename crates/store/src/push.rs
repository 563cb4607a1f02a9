//! Push targets and the push outbox: filled in the transaction that stores a
//! notification, drained by the server's dispatcher.

use diesel::prelude::*;
use diesel::sql_types::Integer;
use rookery_domain::ports::StoreError;
use rookery_domain::{AccountId, Device, DeviceToken, Notification, NotificationId, NotificationView, Timestamp};

use crate::connection::BackendSql;
use crate::database::Database;
use crate::notifications::NotificationQueries;
use crate::schema::{devices, push_outbox};
use crate::sql_types::{DbTime, DbUuid, Instant, Uuid, db_time};

/// A push waiting to be sent: one notification to one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPush {
    /// What to tell, ready to show.
    pub notification: NotificationView,
    /// Where.
    pub token: String,
    /// Earlier attempts that failed.
    pub attempts: i32,
}

/// Outbox and device statements, written once for both backends.
pub(crate) trait PushQueries {
    fn enqueue_pushes(&mut self, notes: &[Notification]) -> QueryResult<()>;
    fn upsert_device(&mut self, account: DbUuid, device: &Device, at: DbTime) -> QueryResult<()>;
    fn delete_device(&mut self, account: Option<DbUuid>, token: &str) -> QueryResult<bool>;
}

for_each_backend! {
impl PushQueries {
    fn enqueue_pushes(&mut self, notes: &[Notification]) -> QueryResult<()> {
        for note in notes {
            let at = db_time(note.created_at);
            diesel::insert_into(push_outbox::table)
                .values(
                    devices::table.filter(devices::account_id.eq(DbUuid::from(note.recipient))).select((
                        DbUuid::from(note.id).into_sql::<Uuid>(),
                        devices::token,
                        0.into_sql::<Integer>(),
                        at.into_sql::<Instant>(),
                        at.into_sql::<Instant>(),
                    )),
                )
                .into_columns((
                    push_outbox::notification_id,
                    push_outbox::device_token,
                    push_outbox::attempts,
                    push_outbox::next_attempt_at,
                    push_outbox::created_at,
                ))
                .on_conflict_do_nothing()
                .execute(self)?;
        }
        Ok(())
    }

    fn upsert_device(&mut self, account: DbUuid, device: &Device, at: DbTime) -> QueryResult<()> {
        diesel::insert_into(devices::table)
            .values((
                devices::token.eq(device.token.as_str()),
                devices::account_id.eq(account),
                devices::platform.eq(device.platform.as_str()),
                devices::created_at.eq(at),
                devices::updated_at.eq(at),
            ))
            .on_conflict(devices::token)
            .do_update()
            .set((
                devices::account_id.eq(account),
                devices::platform.eq(device.platform.as_str()),
                devices::updated_at.eq(at),
            ))
            .execute(self)?;
        Ok(())
    }

    fn delete_device(&mut self, account: Option<DbUuid>, token: &str) -> QueryResult<bool> {
        let mut query = diesel::delete(devices::table).filter(devices::token.eq(token)).into_boxed();
        if let Some(account) = account {
            query = query.filter(devices::account_id.eq(account));
        }
        let deleted = query.execute(self)?;
        if deleted > 0 {
            diesel::delete(push_outbox::table.filter(push_outbox::device_token.eq(token))).execute(self)?;
        }
        Ok(deleted > 0)
    }
}
}

impl Database {
    /// Registers a device (see `NotificationStore::register_device`).
    pub(crate) fn register(&self, account: AccountId, device: &Device, at: Timestamp) -> Result<(), StoreError> {
        self.write(|conn| write_tx!(conn, |c| c.upsert_device(account.into(), device, db_time(at))))
    }

    /// Removes an account's device.
    pub(crate) fn unregister(&self, account: AccountId, token: &DeviceToken) -> Result<bool, StoreError> {
        self.write(|conn| write_tx!(conn, |c| c.delete_device(Some(account.into()), token.as_str())))
    }

    /// Takes up to `limit` pushes that are due and hides them from other dispatchers
    /// for `lease` (on PostgreSQL the claim skips rows another instance holds). A push
    /// whose notification is gone is dropped here.
    ///
    /// # Errors
    /// Store errors.
    pub fn claim_pushes(
        &self,
        now: Timestamp,
        limit: i64,
        lease: chrono::Duration,
    ) -> Result<Vec<PendingPush>, StoreError> {
        let (now, until) = (db_time(now), db_time(now + lease));
        self.write(|conn| {
            write_tx!(conn, |c| {
                let due = c.claim_due_pushes(now, until, limit)?;
                let ids: Vec<DbUuid> = due.iter().map(|(id, _, _)| *id).collect();
                let views = c.by_ids(&ids)?;
                let mut pending = Vec::with_capacity(due.len());
                for (id, token, attempts) in due {
                    match views.iter().find(|v| DbUuid::from(v.notification.id) == id) {
                        Some(view) => pending.push(PendingPush { notification: view.clone(), token, attempts }),
                        None => {
                            diesel::delete(push_outbox::table.find((id, &token))).execute(c)?;
                        }
                    }
                }
                Ok(pending)
            })
        })
    }

    /// The push was accepted by the gateway, or will never be: forget it.
    ///
    /// # Errors
    /// Store errors.
    pub fn forget_push(&self, notification: NotificationId, token: &str) -> Result<(), StoreError> {
        let id = DbUuid::from(notification);
        self.write(|conn| {
            write_tx!(conn, |c| diesel::delete(push_outbox::table.find((id, token))).execute(c).map(|_| ()))
        })
    }

    /// The push failed for now: try again at `next`.
    ///
    /// # Errors
    /// Store errors.
    pub fn retry_push(&self, notification: NotificationId, token: &str, next: Timestamp) -> Result<(), StoreError> {
        let id = DbUuid::from(notification);
        self.write(|conn| {
            write_tx!(conn, |c| diesel::update(push_outbox::table.find((id, token)))
                .set((
                    push_outbox::attempts.eq(push_outbox::attempts + 1),
                    push_outbox::next_attempt_at.eq(db_time(next))
                ))
                .execute(c)
                .map(|_| ()))
        })
    }

    /// The gateway reported the token dead (unregistered): remove the device and its
    /// queued pushes.
    ///
    /// # Errors
    /// Store errors.
    pub fn drop_device(&self, token: &str) -> Result<(), StoreError> {
        self.write(|conn| write_tx!(conn, |c| c.delete_device(None, token).map(|_| ())))
    }
}
