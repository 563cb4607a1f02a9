//! Filtered list pages driven from a small set: `followed_by_me` keeps the members of
//! the caller's following list, and is answered from that list when it is no larger
//! than the one paged. (The mutual lists have a table of their own, `mutual_follows`.)
//!
//! Scanning a million followers newest first for the 1 in 1,000 the caller follows
//! reads ~20,000 index entries and probes as many edges for a page of 20; walking the
//! caller's 5,000 followings instead probes 5,000 edges by primary key, whatever the
//! page. The edges found are few (at most the set's size), so they are ordered, cut by
//! the window and paged here, and the total is their number: exact, and free. Pages
//! with a search, or whose set is not much smaller than the list, take the plain query
//! (`lists::edge_page!`).

use diesel::prelude::*;
use rookery_domain::{Account, AccountId, Cursor, Direction, ListFilter, ListPage, ListQuery, Listed, Paging};

use crate::rows::AccountRow;
use crate::schema::{accounts, follows};
use crate::sql_types::{DbTime, DbUuid, Instant, Uuid};

/// Most accounts a set may hold for a page to be driven from it.
const DRIVE_LIMIT: i64 = 20_000;

/// A set is used when it is at most this fraction (1 / n) of the list paged. Any set
/// no larger than the list wins: the plain page must count its total too, and that
/// count walks the smaller of the same two lists (`filtered_total`), so the driven
/// page's one walk of the set is never more work than the plain page's scan plus it.
const DRIVE_RATIO: i64 = 1;

/// Driven pages, written once for both backends.
pub(crate) trait DrivenPages {
    /// The page, when its filter's set is small enough to drive it; `None` otherwise.
    fn driven_page(
        &mut self,
        owner: &AccountRow,
        direction: Direction,
        query: &ListQuery,
    ) -> QueryResult<Option<ListPage<Account>>>;
}

fn list_size(owner: &AccountRow, direction: Direction) -> i64 {
    match direction {
        Direction::Followers => owner.followers_count,
        Direction::Following => owner.following_count,
    }
}

/// Orders `(id, at)` newest first, ties by id (descending), as every list is ordered,
/// and cuts the page the query asks for: the items, whether more follow, and the cursor
/// of the last item when they do.
fn cut(mut edges: Vec<(DbUuid, DbTime)>, paging: Paging) -> (Vec<(DbUuid, DbTime)>, bool) {
    edges.sort_by_key(|edge| std::cmp::Reverse((edge.1, edge.0)));
    let (skip, size) = match paging {
        Paging::Offset(page) => (usize::try_from(page.offset()).unwrap_or(usize::MAX), page.page_size()),
        Paging::Keyset { after, limit } => {
            let skip = after.map_or(0, |Cursor { at, id }| {
                let key = (DbTime(at), DbUuid::from(id));
                edges.partition_point(|(other, when)| (*when, *other) >= key)
            });
            (skip, limit)
        }
    };
    let size = usize::try_from(size).unwrap_or(0);
    let rest: Vec<_> = edges.into_iter().skip(skip).collect();
    let has_more = rest.len() > size;
    (rest.into_iter().take(size).collect(), has_more)
}

/// The edges with the owner of the viewer's followings, `(following, followed_at)`, in
/// one statement that probes each following's edge by primary key inside the
/// database (loading the 5,000 ids and sending them back as binds cost ~10 ms). Its
/// shape is the one thing here that differs by backend.
trait MembersEdges {
    fn members_edges(
        &mut self,
        viewer: DbUuid,
        owner: DbUuid,
        direction: Direction,
    ) -> QueryResult<Vec<(DbUuid, DbTime)>>;
}

/// A join: SQLite runs it as a loop over the followings with a primary-key probe
/// each, and returns only the hits (half the time of a scalar subquery per
/// following, which SQLite sets up anew for every row).
impl MembersEdges for diesel::sqlite::SqliteConnection {
    fn members_edges(
        &mut self,
        viewer: DbUuid,
        owner: DbUuid,
        direction: Direction,
    ) -> QueryResult<Vec<(DbUuid, DbTime)>> {
        let (member, edge) = diesel::alias!(follows as member, follows as edge);
        let members = member.filter(member.field(follows::follower_id).eq(viewer));
        let listed = member.field(follows::followee_id);
        // The listed account's edge with the owner, `$follower -> $followee`.
        macro_rules! joined {
            ($follower:expr, $followee:expr) => {
                members
                    .inner_join(
                        edge.on(edge
                            .field(follows::follower_id)
                            .eq($follower)
                            .and(edge.field(follows::followee_id).eq($followee))),
                    )
                    .select((listed, edge.field(follows::created_at)))
                    .load(self)
            };
        }
        match direction {
            Direction::Followers => joined!(listed, owner),
            Direction::Following => joined!(owner, listed),
        }
    }
}

/// A scalar subquery per following, which PostgreSQL never turns into a join: as a
/// join it hashed all of a star's million followers (0.5 s) instead of probing 5,000
/// edges (`planned.rs`). Only the hits come back: the misses are filtered out in the
/// statement, behind an `OFFSET 0` that keeps the subquery whole (pulled up, the
/// filter would run each probe a second time), instead of 4,000 NULLs of 5,000 rows
/// sent to be dropped here.
impl MembersEdges for diesel::pg::PgConnection {
    fn members_edges(
        &mut self,
        viewer: DbUuid,
        owner: DbUuid,
        direction: Direction,
    ) -> QueryResult<Vec<(DbUuid, DbTime)>> {
        // The listed account's edge with the owner, `$follower -> $followee`.
        let edge = match direction {
            Direction::Followers => "edge.follower_id = member.followee_id AND edge.followee_id = $2",
            Direction::Following => "edge.follower_id = $2 AND edge.followee_id = member.followee_id",
        };
        let statement = format!(
            "SELECT listed, at FROM (
                 SELECT member.followee_id AS listed,
                        (SELECT edge.created_at FROM follows edge WHERE {edge}) AS at
                 FROM follows member WHERE member.follower_id = $1 OFFSET 0
             ) probed WHERE at IS NOT NULL"
        );
        let hits: Vec<MemberEdge> =
            diesel::sql_query(statement).bind::<Uuid, _>(viewer).bind::<Uuid, _>(owner).load(self)?;
        Ok(hits.into_iter().map(|hit| (hit.listed, hit.at)).collect())
    }
}

/// A hit of the PostgreSQL probe.
#[derive(QueryableByName)]
struct MemberEdge {
    #[diesel(sql_type = Uuid)]
    listed: DbUuid,
    #[diesel(sql_type = Instant)]
    at: DbTime,
}

for_each_backend! {
impl DrivenPages {
    fn driven_page(
        &mut self,
        owner: &AccountRow,
        direction: Direction,
        query: &ListQuery,
    ) -> QueryResult<Option<ListPage<Account>>> {
        if query.search.is_some() {
            return Ok(None);
        }
        let Some(ListFilter::FollowedBy(viewer)) = query.filter else {
            return Ok(None);
        };
        let viewer = DbUuid::from(viewer);
        let size = accounts::table.find(viewer).select(accounts::following_count).first::<i64>(self).optional()?;
        let size = size.unwrap_or(0);
        if size > DRIVE_LIMIT || size.saturating_mul(DRIVE_RATIO) > list_size(owner, direction) {
            return Ok(None);
        }
        let mut edges = self.members_edges(viewer, owner.id, direction)?;
        let window = query.window;
        edges.retain(|(_, at)| {
            window.since.is_none_or(|since| at.0 > since) && window.until.is_none_or(|until| at.0 <= until)
        });
        let total = i64::try_from(edges.len()).unwrap_or(i64::MAX);
        let (page, has_more) = cut(edges, query.paging);
        let ids: Vec<DbUuid> = page.iter().map(|(id, _)| *id).collect();
        let mut rows: std::collections::HashMap<DbUuid, AccountRow> = accounts::table
            .filter(accounts::id.eq_any(&ids).and(accounts::deleted_at.is_null()))
            .select(AccountRow::as_select())
            .load::<AccountRow>(self)?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        let items: Vec<Listed<Account>> = page
            .iter()
            .filter_map(|(id, at)| rows.remove(id).map(|row| Listed { item: row.into_domain(), since: at.0 }))
            .collect();
        let next_cursor = if has_more {
            page.last().map(|(id, at)| Cursor { at: at.0, id: AccountId::from_uuid(id.0) })
        } else {
            None
        };
        Ok(Some(ListPage { items, total: Some(total), paging: query.paging, has_more, next_cursor }))
    }
}
}
