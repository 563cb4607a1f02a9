//! Account search over two indexes: the usernames' (`username_key`) and the words of
//! display names (`account_words`, kept in the transaction that changes a name).
//! Matches are gathered by prefix on each index, ranked (exact username, followed by
//! the viewer, the rest; each by followers), and one page is read after the cursor.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use rookery_domain::search::{Ranked, SearchCursor, SearchQuery, Tier, name_words};
use rookery_domain::{AccountId, StoreError};

use crate::database::Database;
use crate::rows::AccountRow;
use crate::schema::{account_words, accounts};
use crate::sql_types::{DbUuid, Uuid};

/// A ranked match as the ranking query reads it.
#[derive(Debug, QueryableByName)]
struct RankedRow {
    #[diesel(sql_type = Uuid)]
    id: DbUuid,
    #[diesel(sql_type = BigInt)]
    tier: i64,
    #[diesel(sql_type = BigInt)]
    followers_count: i64,
}

/// `LIKE` pattern for a prefix, with the wildcards in it escaped.
fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The ranking, after the candidates (`cand`, one `id` column) were gathered; binds:
/// the exact key, the viewer (twice), the cursor's tier, followers, id (each twice
/// where compared), the limit. Both backends read it alike.
const RANKING: &str = "
    SELECT id, tier, followers_count FROM (
        SELECT a.id AS id, a.followers_count AS followers_count,
            CAST(CASE WHEN a.username_key = $2 THEN 0
                 WHEN EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $3 AND f.followee_id = a.id) THEN 1
                 ELSE 2 END AS BIGINT) AS tier
        FROM cand JOIN accounts a ON a.id = cand.id
        WHERE a.deleted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = a.id AND b.blocked_id = $4)
    ) ranked
    WHERE tier > $5 OR (tier = $6 AND (followers_count < $7 OR (followers_count = $8 AND id > $9)))
    ORDER BY tier, followers_count DESC, id
    LIMIT $10";

/// Gathers candidates by prefix on each index: `LIKE` on PostgreSQL (the
/// `text_pattern_ops` indexes serve it whatever the collation), a range on SQLite
/// (whose `LIKE` ignores case and so cannot use an index).
fn candidates_pg() -> String {
    "WITH cand AS (
        SELECT id FROM accounts WHERE deleted_at IS NULL AND username_key LIKE $1 ESCAPE '\\'
        UNION
        SELECT account_id FROM account_words WHERE word LIKE $1 ESCAPE '\\'
    )"
    .to_owned()
}

fn candidates_sqlite() -> String {
    "WITH cand AS (
        SELECT id FROM accounts WHERE deleted_at IS NULL AND username_key >= $1 AND username_key < $11
        UNION
        SELECT account_id FROM account_words WHERE word >= $1 AND word < $11
    )"
    .to_owned()
}

/// Where the first page starts: before every tier.
const START: (i64, i64, uuid::Uuid) = (-1, i64::MAX, uuid::Uuid::nil());

impl Database {
    pub(crate) fn search_accounts(&self, viewer: AccountId, query: &SearchQuery) -> Result<Vec<Ranked>, StoreError> {
        let (tier, followers, after) = query.after.map_or(START, |c| (c.tier.number(), c.followers, c.id.as_uuid()));
        let limit = i64::from(query.limit) + 1;
        let me = DbUuid::from(viewer);
        let after = DbUuid(after);
        let key = query.prefix.clone();
        let ranked: Vec<RankedRow> = self.read(|conn| match conn {
            crate::connection::DbConnection::Postgres(c) => diesel::sql_query(candidates_pg() + RANKING)
                .bind::<Text, _>(like_prefix(&key))
                .bind::<Text, _>(&key)
                .bind::<Uuid, _>(me)
                .bind::<Uuid, _>(me)
                .bind::<BigInt, _>(tier)
                .bind::<BigInt, _>(tier)
                .bind::<BigInt, _>(followers)
                .bind::<BigInt, _>(followers)
                .bind::<Uuid, _>(after)
                .bind::<BigInt, _>(limit)
                .load(c),
            crate::connection::DbConnection::Sqlite(c) => {
                // Every string with the prefix sorts at or after it and before it
                // followed by the highest character.
                let upper = format!("{key}{}", char::MAX);
                // `?NNN` binds by number on SQLite (`$NNN` would be a name, numbered by
                // first appearance).
                diesel::sql_query((candidates_sqlite() + RANKING).replace('$', "?"))
                    .bind::<Text, _>(&key)
                    .bind::<Text, _>(&key)
                    .bind::<Uuid, _>(me)
                    .bind::<Uuid, _>(me)
                    .bind::<BigInt, _>(tier)
                    .bind::<BigInt, _>(tier)
                    .bind::<BigInt, _>(followers)
                    .bind::<BigInt, _>(followers)
                    .bind::<Uuid, _>(after)
                    .bind::<BigInt, _>(limit)
                    .bind::<Text, _>(upper)
                    .load(c)
            }
        })?;
        if ranked.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<DbUuid> = ranked.iter().map(|r| r.id).collect();
        let mut found: std::collections::HashMap<DbUuid, AccountRow> = self
            .read(|conn| {
                with_conn!(conn, |c| accounts::table
                    .filter(accounts::id.eq_any(&ids))
                    .select(AccountRow::as_select())
                    .load::<AccountRow>(c))
            })?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        Ok(ranked
            .into_iter()
            .filter_map(|r| {
                let account = found.remove(&r.id)?.into_domain();
                let position = SearchCursor {
                    tier: Tier::from_number(r.tier).unwrap_or(Tier::Other),
                    followers: r.followers_count,
                    id: account.id,
                };
                Some(Ranked { account, position })
            })
            .collect())
    }
}

/// Replaces the stored name words of `account` with those of `full_name`; inside the
/// caller's write transaction.
pub(crate) trait NameWords {
    fn store_name_words(&mut self, account: DbUuid, full_name: Option<&str>) -> QueryResult<()>;
}

for_each_backend! {
impl NameWords {
    fn store_name_words(&mut self, account: DbUuid, full_name: Option<&str>) -> QueryResult<()> {
        diesel::delete(account_words::table.filter(account_words::account_id.eq(account))).execute(self)?;
        for word in name_words(full_name) {
            diesel::insert_into(account_words::table)
                .values((account_words::word.eq(word), account_words::account_id.eq(account)))
                .on_conflict_do_nothing()
                .execute(self)?;
        }
        Ok(())
    }
}
}
