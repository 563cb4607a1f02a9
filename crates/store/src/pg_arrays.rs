//! PostgreSQL statements over arrays: one statement text whatever the number of rows.
//!
//! A batch applies its follows as sets (see `follow_run`). Written as multi-row
//! `VALUES` lists, every batch size is a different statement text, which Diesel cannot
//! cache: it sends the text with each batch, and PostgreSQL parses, analyses and plans
//! it every time. Bound as arrays and spread with `unnest`, each statement has one
//! text, so Diesel prepares it once per connection and later batches only bind and run
//! it.
//!
//! Each statement is declared with `array_statement!`: its SQL in pieces with the
//! binds between them, in order, and the last piece after a `;`.

use diesel::pg::{Pg, PgConnection};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel::{QueryResult, RunQueryDsl};

use crate::sql_types::{DbTime, DbUuid, Instant, Uuid};

/// Declares a statement with a fixed text: a struct of its binds, the SQL pieces
/// around them, and (after `->`) the SQL type of the rows it returns, if it returns
/// any. Its query id is the struct's type, so Diesel caches the prepared statement.
macro_rules! array_statement {
    (
        $(#[$doc:meta])*
        $name:ident $(-> $row:ty)? {
            $($sql:literal, $field:ident: $sql_type:ty = $rust:ty),+;
            $last:literal
        }
    ) => {
        $(#[$doc])*
        pub(crate) struct $name {
            $(pub(crate) $field: $rust,)+
        }

        impl QueryId for $name {
            type QueryId = Self;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        impl QueryFragment<Pg> for $name {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
                $(
                    out.push_sql($sql);
                    out.push_bind_param::<$sql_type, _>(&self.$field)?;
                )+
                out.push_sql($last);
                Ok(())
            }
        }

        impl RunQueryDsl<PgConnection> for $name {}

        $(
            impl Query for $name {
                type SqlType = $row;
            }
        )?
    };
}

array_statement! {
    /// Inserts follow edges, skipping those that exist, and returns the pairs inserted.
    InsertEdges -> (Uuid, Uuid) {
        "INSERT INTO follows (follower_id, followee_id, created_at) SELECT * FROM unnest(",
        followers: Array<Uuid> = Vec<DbUuid>,
        ", ", followees: Array<Uuid> = Vec<DbUuid>,
        ", ", created_at: Array<Instant> = Vec<DbTime>;
        ") ON CONFLICT DO NOTHING RETURNING follower_id, followee_id"
    }
}

array_statement! {
    /// Moves the counts of several accounts, each by its own deltas, and stores the
    /// follow budget windows its spends changed: one statement, so storing the spends
    /// costs no round trip of its own. The ids of each part must be
    /// distinct: an `UPDATE ... FROM` that joins a row twice updates it once.
    AddToCounts {
        "WITH spent AS (INSERT INTO follow_quota (account_id, window_start, used) SELECT * FROM unnest(",
        window_ids: Array<Uuid> = Vec<DbUuid>,
        ", ", window_starts: Array<Instant> = Vec<DbTime>,
        ", ", window_used: Array<Integer> = Vec<i32>,
        ") ON CONFLICT (account_id) DO UPDATE SET window_start = EXCLUDED.window_start, used = EXCLUDED.used) \
         UPDATE accounts SET followers_count = accounts.followers_count + d.followers, \
         following_count = accounts.following_count + d.following FROM unnest(",
        ids: Array<Uuid> = Vec<DbUuid>,
        ", ", followers: Array<BigInt> = Vec<i64>,
        ", ", following: Array<BigInt> = Vec<i64>;
        ") AS d (id, followers, following) WHERE accounts.id = d.id"
    }
}

array_statement! {
    /// Stores new notifications (unread).
    InsertNotifications {
        "INSERT INTO notifications (id, recipient_id, actor_id, kind, created_at, request_id, request_status) \
         SELECT * FROM unnest(",
        ids: Array<Uuid> = Vec<DbUuid>,
        ", ", recipients: Array<Uuid> = Vec<DbUuid>,
        ", ", actors: Array<Uuid> = Vec<DbUuid>,
        ", ", kinds: Array<Text> = Vec<String>,
        ", ", created_at: Array<Instant> = Vec<DbTime>,
        ", ", request_ids: Array<Nullable<Uuid>> = Vec<Option<DbUuid>>,
        ", ", request_statuses: Array<Nullable<Text>> = Vec<Option<&'static str>>;
        ")"
    }
}

array_statement! {
    /// Sends each payload on `channel` with `pg_notify`, delivered if the transaction
    /// commits.
    Notify {
        "SELECT pg_notify(", channel: Text = &'static str,
        ", payload) FROM unnest(", payloads: Array<Text> = Vec<String>;
        ") AS payload"
    }
}

array_statement! {
    /// Stores the follow budgets' windows of several distinct accounts.
    StoreQuotaWindows {
        "INSERT INTO follow_quota (account_id, window_start, used) SELECT * FROM unnest(",
        ids: Array<Uuid> = Vec<DbUuid>,
        ", ", starts: Array<Instant> = Vec<DbTime>,
        ", ", used: Array<Integer> = Vec<i32>;
        ") ON CONFLICT (account_id) DO UPDATE SET window_start = EXCLUDED.window_start, used = EXCLUDED.used"
    }
}

array_statement! {
    /// Records, for each account (distinct, sorted so that two recorders lock rows in
    /// one order), that its lists changed at the current end of the WAL: replicas
    /// serve its reads once they have replayed that far (see `fences`).
    RecordFences {
        "INSERT INTO read_fences (account_id, lsn) \
         SELECT id, (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint FROM unnest(",
        ids: Array<Uuid> = Vec<DbUuid>;
        ") AS t (id) ORDER BY id \
         ON CONFLICT (account_id) DO UPDATE SET lsn = GREATEST(read_fences.lsn, EXCLUDED.lsn)"
    }
}

array_statement! {
    /// The highest fence of the accounts (0 when none has one).
    ReadFence -> BigInt {
        "SELECT coalesce(max(lsn), 0)::bigint FROM read_fences WHERE account_id = ANY(",
        ids: Array<Uuid> = Vec<DbUuid>;
        ")"
    }
}

array_statement! {
    /// Appends graph events; `seq` and `tx` take their defaults (the sequence, and the
    /// writing transaction's id).
    InsertEvents {
        "INSERT INTO events (id, kind, data, created_at) SELECT * FROM unnest(",
        ids: Array<Uuid> = Vec<DbUuid>,
        ", ", kinds: Array<Text> = Vec<String>,
        ", ", data: Array<Text> = Vec<String>,
        ", ", created_at: Array<Instant> = Vec<DbTime>;
        ")"
    }
}

array_statement! {
    /// Queues one endpoint's deliveries of a fan-out, skipping twins, each leased until
    /// its `leased_until` if it has one (its sender has it already); returns the ids
    /// inserted.
    InsertDeliveries -> Uuid {
        "INSERT INTO webhook_deliveries \
         (id, webhook_id, event_id, event_type, payload, status, attempts, next_attempt_at, leased_until, created_at) \
         SELECT d.id, ",
        webhook: Uuid = DbUuid,
        ", d.event_id, d.kind, d.payload, 'pending', 0, ", now: Instant = DbTime,
        ", d.leased_until, ", created_at: Instant = DbTime,
        " FROM unnest(", ids: Array<Uuid> = Vec<DbUuid>,
        ", ", event_ids: Array<Uuid> = Vec<DbUuid>,
        ", ", kinds: Array<Text> = Vec<String>,
        ", ", payloads: Array<Text> = Vec<String>,
        ", ", leased_until: Array<Nullable<Instant>> = Vec<Option<DbTime>>;
        ") AS d (id, event_id, kind, payload, leased_until) ON CONFLICT DO NOTHING RETURNING id"
    }
}

array_statement! {
    /// Takes up to `limit` due deliveries of enabled endpoints, skipping those another
    /// sender holds, and leases them until `until`: one statement.
    ClaimDeliveries -> (Uuid, Uuid, Text, Text, Uuid, Text, Integer) {
        "WITH due AS (SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.enabled \
         WHERE d.status = 'pending' AND d.next_attempt_at <= ", now: Instant = DbTime,
        " AND (d.leased_until IS NULL OR d.leased_until < ", now_again: Instant = DbTime,
        ") ORDER BY d.next_attempt_at LIMIT ", limit: BigInt = i64,
        " FOR UPDATE OF d SKIP LOCKED) \
         UPDATE webhook_deliveries d SET leased_until = ", until: Instant = DbTime;
        " FROM due, webhooks w WHERE d.id = due.id AND w.id = d.webhook_id \
         RETURNING d.id, d.webhook_id, w.url, w.secret, d.event_id, d.payload, d.attempts"
    }
}

array_statement! {
    /// Marks deliveries that landed, each with its status code, and starts their
    /// endpoints' count of failures in a row afresh: one statement.
    RecordDelivered {
        "WITH done AS (UPDATE webhook_deliveries SET attempts = webhook_deliveries.attempts + 1, \
         leased_until = NULL, status = 'delivered', last_status_code = d.code, last_error = NULL, \
         next_attempt_at = NULL, delivered_at = ", at: Instant = DbTime,
        " FROM unnest(", ids: Array<Uuid> = Vec<DbUuid>,
        ", ", codes: Array<Integer> = Vec<i32>;
        ") AS d (id, code) WHERE webhook_deliveries.id = d.id RETURNING webhook_deliveries.webhook_id) \
         UPDATE webhooks SET consecutive_failures = 0 \
         WHERE consecutive_failures <> 0 AND id IN (SELECT webhook_id FROM done)"
    }
}
