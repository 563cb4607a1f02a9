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
use crate::sql_types::{DbTime, DbUuid};

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
        // Each member's edge with the owner, probed by primary key in one statement:
        // the probes run inside the database, not as thousands of bound ids (loading
        // the set and sending it back cost ~10 ms at 5,000). The probe is a scalar
        // subquery, which PostgreSQL never turns into a join: as a join it hashed all
        // of a star's million followers (0.5 s) instead of probing 5,000 edges.
        let member = diesel::alias!(follows as member);
        let probed: Vec<(DbUuid, Option<DbTime>)> = match direction {
            Direction::Followers => member
                .filter(member.field(follows::follower_id).eq(viewer))
                .select((
                    member.field(follows::followee_id),
                    follows::table
                        .filter(follows::follower_id.eq(member.field(follows::followee_id)))
                        .filter(follows::followee_id.eq(owner.id))
                        .select(follows::created_at)
                        .single_value(),
                ))
                .load(self)?,
            Direction::Following => member
                .filter(member.field(follows::follower_id).eq(viewer))
                .select((
                    member.field(follows::followee_id),
                    follows::table
                        .filter(follows::follower_id.eq(owner.id))
                        .filter(follows::followee_id.eq(member.field(follows::followee_id)))
                        .select(follows::created_at)
                        .single_value(),
                ))
                .load(self)?,
        };
        let mut edges: Vec<(DbUuid, DbTime)> =
            probed.into_iter().filter_map(|(id, at)| at.map(|at| (id, at))).collect();
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
