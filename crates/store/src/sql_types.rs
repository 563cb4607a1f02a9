//! Column types that differ between the backends, mapped by hand because Diesel's
//! built-in `Uuid` and `Timestamptz` types exist on PostgreSQL only.
//!
//! - [`Uuid`]: native `uuid` on PostgreSQL, a 16-byte BLOB on SQLite.
//! - [`Instant`]: `timestamptz` on PostgreSQL, BIGINT microseconds since the Unix
//!   epoch on SQLite (compact, and it sorts as a number in the indexes).

use chrono::{DateTime, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{BigInt, Binary, Timestamptz};
use diesel::sqlite::{Sqlite, SqliteValue};
use std::io::Write;

/// A UUID column.
#[derive(Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(oid = 2950, array_oid = 2951))]
#[diesel(sqlite_type(name = "Binary"))]
pub struct Uuid;

/// A point in time.
#[derive(Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Long"))]
pub struct Instant;

/// A UUID as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Uuid)]
pub struct DbUuid(pub uuid::Uuid);

/// An instant as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = Instant)]
pub struct DbTime(pub DateTime<Utc>);

impl ToSql<Uuid, Pg> for DbUuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.0.as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<Uuid, Pg> for DbUuid {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(Self(uuid::Uuid::from_slice(value.as_bytes())?))
    }
}

impl ToSql<Uuid, Sqlite> for DbUuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.as_bytes().as_slice());
        Ok(IsNull::No)
    }
}

impl FromSql<Uuid, Sqlite> for DbUuid {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let bytes = <Vec<u8> as FromSql<Binary, Sqlite>>::from_sql(value)?;
        Ok(Self(uuid::Uuid::from_slice(&bytes)?))
    }
}

impl ToSql<Instant, Pg> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<Timestamptz, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<Instant, Pg> for DbTime {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        <DateTime<Utc> as FromSql<Timestamptz, Pg>>::from_sql(value).map(Self)
    }
}

impl ToSql<Instant, Sqlite> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.timestamp_micros());
        Ok(IsNull::No)
    }
}

impl FromSql<Instant, Sqlite> for DbTime {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let micros = <i64 as FromSql<BigInt, Sqlite>>::from_sql(value)?;
        DateTime::from_timestamp_micros(micros).map(Self).ok_or_else(|| "instant out of range".into())
    }
}

impl From<rookery_domain::AccountId> for DbUuid {
    fn from(id: rookery_domain::AccountId) -> Self {
        Self(id.as_uuid())
    }
}

impl From<rookery_domain::RequestId> for DbUuid {
    fn from(id: rookery_domain::RequestId) -> Self {
        Self(id.as_uuid())
    }
}

impl From<rookery_domain::NotificationId> for DbUuid {
    fn from(id: rookery_domain::NotificationId) -> Self {
        Self(id.as_uuid())
    }
}

/// Stored instants keep microseconds; values are truncated to them on the way in so
/// what is returned equals what was written on both backends.
pub fn db_time(at: DateTime<Utc>) -> DbTime {
    DbTime(DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at))
}
