//! Kept answers for `Idempotency-Key` (the domain's [`ReplayStore`]): one row per
//! account and key, claimed in a write transaction so two concurrent claims of one
//! key cannot both be fresh (the primary key decides on PostgreSQL, `BEGIN
//! IMMEDIATE` on SQLite).

use diesel::prelude::*;
use rookery_domain::replay::{ABANDONED_AFTER, Claim, KEPT_FOR, KeptAnswer, ReplayKey, ReplayStore, RequestPrint};
use rookery_domain::{StoreError, Timestamp};

use crate::database::Database;
use crate::schema::idempotency_keys;
use crate::sql_types::{DbTime, DbUuid, db_time};

/// A row of `idempotency_keys`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
struct KeptRow {
    account_id: DbUuid,
    key: String,
    method: String,
    path: String,
    body_hash: String,
    status: Option<i32>,
    body: Option<Vec<u8>>,
    created_at: DbTime,
}

/// Replay reads and writes, written once for both backends.
trait ReplayQueries {
    fn claim_key(&mut self, key: &ReplayKey, request: &RequestPrint, now: Timestamp) -> QueryResult<Claim>;
}

for_each_backend! {
impl ReplayQueries {
    fn claim_key(&mut self, key: &ReplayKey, request: &RequestPrint, now: Timestamp) -> QueryResult<Claim> {
        let id = (DbUuid::from(key.account), key.key.clone());
        let row = KeptRow {
            account_id: id.0,
            key: id.1.clone(),
            method: request.method.clone(),
            path: request.path.clone(),
            body_hash: request.body_hash.clone(),
            status: None,
            body: None,
            created_at: db_time(now),
        };
        // Two rounds at most: a stale record is removed, then the key is claimed.
        for _ in 0..2 {
            let inserted = diesel::insert_into(idempotency_keys::table).values(&row).on_conflict_do_nothing().execute(self)?;
            if inserted > 0 {
                return Ok(Claim::Fresh);
            }
            let Some(found) = idempotency_keys::table
                .find((id.0, id.1.clone()))
                .select(KeptRow::as_select())
                .first::<KeptRow>(self)
                .optional()?
            else {
                continue;
            };
            let age = now - found.created_at.0;
            let abandoned = found.status.is_none() && age > ABANDONED_AFTER;
            if age > KEPT_FOR || abandoned {
                diesel::delete(idempotency_keys::table.find((id.0, id.1.clone()))).execute(self)?;
                continue;
            }
            if found.method != request.method || found.path != request.path || found.body_hash != request.body_hash {
                return Ok(Claim::Mismatch);
            }
            return Ok(match (found.status, found.body) {
                (Some(status), body) => Claim::Replay(KeptAnswer {
                    status: u16::try_from(status).unwrap_or(500),
                    body: body.unwrap_or_default(),
                }),
                (None, _) => Claim::InProgress,
            });
        }
        Ok(Claim::InProgress)
    }
}
}

impl ReplayStore for Database {
    fn claim(&self, key: &ReplayKey, request: &RequestPrint, now: Timestamp) -> Result<Claim, StoreError> {
        self.write(|conn| write_tx!(conn, |c| c.claim_key(key, request, now)))
    }

    fn keep(&self, key: &ReplayKey, answer: &KeptAnswer) -> Result<(), StoreError> {
        let id = (DbUuid::from(key.account), key.key.clone());
        let status = i32::from(answer.status);
        self.write(|conn| {
            write_tx!(conn, |c| diesel::update(idempotency_keys::table.find((id.0, id.1.clone())))
                .set((idempotency_keys::status.eq(Some(status)), idempotency_keys::body.eq(Some(answer.body.clone()))))
                .execute(c)
                .map(|_| ()))
        })
    }

    fn release(&self, key: &ReplayKey) -> Result<(), StoreError> {
        let id = (DbUuid::from(key.account), key.key.clone());
        self.write(|conn| {
            write_tx!(conn, |c| diesel::delete(
                idempotency_keys::table.find((id.0, id.1.clone())).filter(idempotency_keys::status.is_null())
            )
            .execute(c)
            .map(|_| ()))
        })
    }
}

impl Database {
    /// Deletes kept answers older than a day (claims already ignore them; this keeps
    /// the table small). Returns how many went.
    ///
    /// # Errors
    /// Store errors.
    pub fn forget_kept_answers(&self, now: Timestamp) -> Result<usize, StoreError> {
        let before = db_time(now - KEPT_FOR);
        self.write(|conn| {
            write_tx!(conn, |c| diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before)))
                .execute(c))
        })
    }
}
