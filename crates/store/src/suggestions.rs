//! Suggested accounts: two hops out from the viewer, ranked by how many of the
//! viewer's followings follow each; dismissals; and the reads a bulk follow and a
//! profile need (pair states, pending request counts).
//!
//! The two-hop walk reads a bounded sample: the follow lists of the viewer's newest
//! followings (at most [`SAMPLED_FOLLOWINGS`] looked at), taken newest first while their
//! sizes (`following_count`) fit in [`SAMPLED_EDGES`]; a following whose list does not
//! fit what is left is passed over. When none fits, the sample is the newest
//! [`SAMPLED_EDGES`] edges of the newest following. When the sample holds every
//! following's whole list (at most 2,000 followings, 25,000 edges between them), the
//! answer is exact. Otherwise the best `limit` × 3/2 candidates of the sample (ranked as
//! the answer is, on their sampled counts) are re-counted exactly against all of the
//! viewer's followings and re-ranked on those counts: a suggestion's reason always
//! gives the exact count, and the sample only decides which accounts are looked at.
//! Whole lists beat a few edges of many lists for the same budget: an account most
//! followings follow shows up in nearly every list read.

use std::collections::HashMap;

use diesel::dsl::{count_star, exists, not};
use diesel::prelude::*;
use rookery_domain::{RequestCounts, Suggestion, SuggestionReason, Username};

use crate::lists::ListQueries;
use crate::planned::{Avoid, Avoiding};
use crate::rows::AccountRow;
use crate::schema::{accounts, blocks, follow_requests, follows, mutes, suggestion_dismissals};
use crate::sql_types::{DbTime, DbUuid};

/// Newest followings of the viewer the sample is drawn from: enough that a viewer of
/// a small graph (its followings' lists fitting in [`SAMPLED_EDGES`] together) gets the
/// exact answer, as long as its followings list is no longer than this. Reading their
/// sizes costs a row each (~1 ms for 2,000).
pub(crate) const SAMPLED_FOLLOWINGS: i64 = 2_000;

/// Edges the two-hop walk reads at most (the sizes of the lists it reads, summed).
pub(crate) const SAMPLED_EDGES: i64 = 25_000;

/// Names a reason shows are looked for first among this many of the viewer's
/// most-followed followings (all of them for a candidate not found enough there).
const NAME_POOL: i64 = 64;

/// Whether `accounts.id` may be suggested to `$viewer`: the one place every exclusion
/// lives (the viewer itself, deleted accounts, accounts it follows or has a pending
/// request to, blocks either way, dismissals). Exclusions added later (accounts the
/// viewer mutes) belong here too.
macro_rules! suggestable {
    ($viewer:expr, $now:expr) => {{
        let viewer: DbUuid = $viewer;
        let now: DbTime = $now;
        let followed = diesel::alias!(follows as already_followed);
        accounts::id
            .ne(viewer)
            .and(accounts::deleted_at.is_null())
            .and(not(exists(
                followed
                    .filter(followed.field(follows::follower_id).eq(viewer))
                    .filter(followed.field(follows::followee_id).eq(accounts::id)),
            )))
            .and(not(exists(
                follow_requests::table
                    .filter(follow_requests::requester_id.eq(viewer))
                    .filter(follow_requests::target_id.eq(accounts::id))
                    .filter(follow_requests::status.eq("pending")),
            )))
            .and(not(exists(
                blocks::table.filter(blocks::blocker_id.eq(viewer)).filter(blocks::blocked_id.eq(accounts::id)),
            )))
            .and(not(exists(
                blocks::table.filter(blocks::blocked_id.eq(viewer)).filter(blocks::blocker_id.eq(accounts::id)),
            )))
            .and(not(exists(
                suggestion_dismissals::table
                    .filter(suggestion_dismissals::viewer_id.eq(viewer))
                    .filter(suggestion_dismissals::dismissed_id.eq(accounts::id)),
            )))
            // A mute in force (`MuteState::in_force`: until its `expires_at`, exclusive).
            .and(not(exists(
                mutes::table
                    .filter(mutes::muter_id.eq(viewer))
                    .filter(mutes::muted_id.eq(accounts::id))
                    .filter(mutes::expires_at.is_null().or(mutes::expires_at.gt(now))),
            )))
    }};
}

/// Suggestion and bulk reads, written once for both backends.
pub(crate) trait SuggestionQueries {
    fn suggested(&mut self, viewer: DbUuid, limit: u32, now: DbTime) -> QueryResult<Vec<Suggestion>>;
    /// Up to [`Suggestion::SAMPLE`] names for each ranked candidate: the viewer's
    /// followings who follow it, most-followed first.
    fn reason_names(
        &mut self,
        viewer: DbUuid,
        ranked: &[(AccountRow, i64)],
    ) -> QueryResult<HashMap<DbUuid, Vec<Username>>>;
    fn dismiss(&mut self, viewer: DbUuid, target: DbUuid, at: DbTime) -> QueryResult<()>;
    fn pending_counts(&mut self, account: DbUuid) -> QueryResult<RequestCounts>;
}

/// The followings whose lists the walk reads, from the viewer's newest followings and
/// their list sizes: each whose list fits what is left of [`SAMPLED_EDGES`]. When none
/// fits, the newest alone, cut to its newest [`SAMPLED_EDGES`] edges (`true`).
fn pick_sample(newest: &[(DbUuid, i64)]) -> (Vec<DbUuid>, bool) {
    let mut left = SAMPLED_EDGES;
    let picked: Vec<DbUuid> = newest
        .iter()
        .filter(|(_, size)| {
            let fits = *size <= left;
            if fits {
                left -= size;
            }
            fits
        })
        .map(|(id, _)| *id)
        .collect();
    match newest.first() {
        Some((id, _)) if picked.is_empty() => (vec![*id], true),
        _ => (picked, false),
    }
}

/// A candidate and how many of the viewer's followings follow it.
type Candidate = (AccountRow, i64);

/// Ranks candidates: more of the viewer's followings first, then more followers,
/// then the smaller id.
fn rank(a: &(AccountRow, i64), b: &(AccountRow, i64)) -> std::cmp::Ordering {
    b.1.cmp(&a.1).then(b.0.followers_count.cmp(&a.0.followers_count)).then(a.0.id.cmp(&b.0.id))
}

for_each_backend! {
impl SuggestionQueries {
    fn suggested(&mut self, viewer: DbUuid, limit: u32, now: DbTime) -> QueryResult<Vec<Suggestion>> {
        let following = accounts::table.find(viewer).select(accounts::following_count).first::<i64>(self).optional()?;
        let limit = i64::from(limit);
        if following.unwrap_or(0) == 0 {
            let popular = accounts::table
                .filter(suggestable!(viewer, now))
                .order((accounts::followers_count.desc(), accounts::id.asc()))
                .limit(limit)
                .select(AccountRow::as_select())
                .load::<AccountRow>(self)?;
            return Ok(popular
                .into_iter()
                .map(|row| Suggestion { item: row.into_domain(), reason: SuggestionReason::Popular })
                .collect());
        }
        let following = following.unwrap_or(0);
        let newest: Vec<(DbUuid, i64)> = follows::table
            .inner_join(accounts::table.on(accounts::id.eq(follows::followee_id)))
            .filter(follows::follower_id.eq(viewer))
            .order((follows::created_at.desc(), follows::followee_id.desc()))
            .limit(SAMPLED_FOLLOWINGS)
            .select((accounts::id, accounts::following_count))
            .load(self)?;
        let (walked, cut) = pick_sample(&newest);
        let sampled = cut || i64::try_from(walked.len()).unwrap_or(i64::MAX) < following;
        // A cut list is read from its newest edge down to its budget-th newest.
        let since = match walked.first() {
            Some(hub) if cut => follows::table
                .filter(follows::follower_id.eq(*hub))
                .order(follows::created_at.desc())
                .offset(SAMPLED_EDGES - 1)
                .select(follows::created_at)
                .first::<DbTime>(self)
                .optional()?,
            _ => None,
        }
        .unwrap_or(DbTime(chrono::DateTime::UNIX_EPOCH));
        // Sampled: this many are re-counted exactly; exact: the answer itself.
        let wanted = if sampled { limit + (limit + 1) / 2 } else { limit };
        // Two hops: the walked lists' edges, counted here (reading 25,000 index entries
        // costs ~1 ms; grouping them in SQLite's temporary B-tree ~15 ms), best first.
        let mut groups: HashMap<DbUuid, i64> = HashMap::new();
        for followee in follows::table
            .filter(follows::follower_id.eq_any(&walked))
            .filter(follows::created_at.ge(since))
            .select(follows::followee_id)
            .load::<DbUuid>(self)?
        {
            *groups.entry(followee).or_default() += 1;
        }
        let mut groups: Vec<(DbUuid, i64)> = groups.into_iter().collect();
        groups.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        // The best groups are checked against every exclusion and ranked with their
        // accounts, a slice at a time: more while the exclusions leave too few, or
        // (exact) while a tie at the cut could hide a better-ranked account.
        let wanted_items = usize::try_from(wanted).unwrap_or(0);
        let mut ranked: Vec<(AccountRow, i64)> = Vec::new();
        let mut checked = 0;
        let mut slice = wanted_items.saturating_mul(2).max(16);
        while checked < groups.len() {
            let batch = groups.get(checked..groups.len().min(checked + slice)).unwrap_or_default();
            checked += batch.len();
            let counts: HashMap<DbUuid, i64> = batch.iter().copied().collect();
            let ids: Vec<DbUuid> = batch.iter().map(|(id, _)| *id).collect();
            ranked.extend(
                accounts::table
                    .filter(accounts::id.eq_any(&ids))
                    .filter(suggestable!(viewer, now))
                    .select(AccountRow::as_select())
                    .load::<AccountRow>(self)?
                    .into_iter()
                    .map(|row| {
                        let n = counts.get(&row.id).copied().unwrap_or(0);
                        (row, n)
                    }),
            );
            ranked.sort_by(rank);
            let last_checked = batch.last().map_or(0, |(_, n)| *n);
            let settled = wanted_items.checked_sub(1).and_then(|i| ranked.get(i)).is_some_and(|(_, n)| sampled || *n > last_checked);
            if settled {
                break;
            }
            slice = slice.saturating_mul(4);
        }
        ranked.truncate(wanted_items);
        if ranked.is_empty() {
            return Ok(Vec::new());
        }
        if sampled {
            // The viewer's followings among each candidate's followers, counted in the
            // database: the exact counts the answer is re-ranked on. Candidates with
            // fewer followers than the viewer has followings in one statement, which
            // reads their followers (the most-followed would read millions); the others
            // each from the viewer's followings (`known_count`).
            let (fewer, more): (Vec<&Candidate>, Vec<&Candidate>) =
                ranked.iter().partition(|(row, _)| row.followers_count <= following);
            let ids: Vec<DbUuid> = fewer.iter().map(|(row, _)| row.id).collect();
            let mine = diesel::alias!(follows as mine);
            let mut exact: HashMap<DbUuid, i64> = self
                .avoiding(Avoid::NestedLoops, |c| {
                    follows::table
                        .filter(follows::followee_id.eq_any(&ids))
                        .filter(follows::follower_id.eq_any(
                            mine.filter(mine.field(follows::follower_id).eq(viewer)).select(mine.field(follows::followee_id)),
                        ))
                        .group_by(follows::followee_id)
                        .select((follows::followee_id, count_star()))
                        .load::<(DbUuid, i64)>(c)
                })?
                .into_iter()
                .collect();
            for (row, _) in more {
                exact.insert(row.id, self.known_count(row, viewer)?);
            }
            for (row, n) in &mut ranked {
                *n = exact.get(&row.id).copied().unwrap_or(0);
            }
            ranked.sort_by(rank);
            ranked.truncate(usize::try_from(limit).unwrap_or(0));
        }
        let mut names = self.reason_names(viewer, &ranked)?;
        Ok(ranked
            .into_iter()
            .map(|(row, count)| {
                let sample = names.remove(&row.id).unwrap_or_default();
                Suggestion { item: row.into_domain(), reason: SuggestionReason::FollowedBy { count, sample } }
            })
            .collect())
    }

    fn reason_names(&mut self, viewer: DbUuid, ranked: &[(AccountRow, i64)]) -> QueryResult<HashMap<DbUuid, Vec<Username>>> {
        // The viewer's most-followed followings, best first: a candidate's names are the
        // first of them who follow it, so a few probes each find them.
        let pool: Vec<(DbUuid, String)> = follows::table
            .inner_join(accounts::table.on(accounts::id.eq(follows::followee_id)))
            .filter(follows::follower_id.eq(viewer))
            .order((accounts::followers_count.desc(), accounts::id.asc()))
            .limit(NAME_POOL)
            .select((accounts::id, accounts::username))
            .load(self)?;
        let pool_ids: Vec<DbUuid> = pool.iter().map(|(id, _)| *id).collect();
        let ids: Vec<DbUuid> = ranked.iter().map(|(row, _)| row.id).collect();
        let found: std::collections::HashSet<(DbUuid, DbUuid)> = follows::table
            .filter(follows::followee_id.eq_any(&ids))
            .filter(follows::follower_id.eq_any(&pool_ids))
            .select((follows::follower_id, follows::followee_id))
            .load::<(DbUuid, DbUuid)>(self)?
            .into_iter()
            .collect();
        let whole_pool = i64::try_from(pool.len()).unwrap_or(i64::MAX) < NAME_POOL;
        let mut names = HashMap::new();
        for (row, count) in ranked {
            let mut picked: Vec<String> = pool
                .iter()
                .filter(|(id, _)| found.contains(&(*id, row.id)))
                .take(Suggestion::SAMPLE)
                .map(|(_, name)| name.clone())
                .collect();
            let shown = i64::try_from(picked.len()).unwrap_or(i64::MAX);
            if !whole_pool && picked.len() < Suggestion::SAMPLE && shown < *count {
                // Followed mostly by less-followed accounts: ranked among all of them.
                let knowing = diesel::alias!(accounts as knowing);
                let mine = diesel::alias!(follows as mine);
                picked = mine
                    .inner_join(follows::table.on(follows::follower_id.eq(mine.field(follows::followee_id))))
                    .inner_join(knowing.on(knowing.field(accounts::id).eq(mine.field(follows::followee_id))))
                    .filter(mine.field(follows::follower_id).eq(viewer))
                    .filter(follows::followee_id.eq(row.id))
                    .order((knowing.field(accounts::followers_count).desc(), knowing.field(accounts::id).asc()))
                    .limit(i64::try_from(Suggestion::SAMPLE).unwrap_or(3))
                    .select(knowing.field(accounts::username))
                    .load(self)?;
            }
            names.insert(row.id, picked.iter().filter_map(|n| Username::parse(n).ok()).collect());
        }
        Ok(names)
    }

    fn dismiss(&mut self, viewer: DbUuid, target: DbUuid, at: DbTime) -> QueryResult<()> {
        diesel::insert_into(suggestion_dismissals::table)
            .values((
                suggestion_dismissals::viewer_id.eq(viewer),
                suggestion_dismissals::dismissed_id.eq(target),
                suggestion_dismissals::created_at.eq(at),
            ))
            .on_conflict_do_nothing()
            .execute(self)
            .map(|_| ())
    }

    fn pending_counts(&mut self, account: DbUuid) -> QueryResult<RequestCounts> {
        let received = follow_requests::table
            .inner_join(accounts::table.on(accounts::id.eq(follow_requests::requester_id)))
            .filter(follow_requests::target_id.eq(account))
            .filter(follow_requests::status.eq("pending"))
            .filter(accounts::deleted_at.is_null())
            .count()
            .get_result(self)?;
        let sent = follow_requests::table
            .inner_join(accounts::table.on(accounts::id.eq(follow_requests::target_id)))
            .filter(follow_requests::requester_id.eq(account))
            .filter(follow_requests::status.eq("pending"))
            .filter(accounts::deleted_at.is_null())
            .count()
            .get_result(self)?;
        Ok(RequestCounts { received, sent })
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> DbUuid {
        DbUuid(uuid::Uuid::from_bytes([n; 16]))
    }

    #[test]
    fn the_sample_takes_the_newest_lists_that_fit_and_passes_over_the_others() {
        let newest = [(id(1), 10_000), (id(2), 20_000), (id(3), 15_000), (id(4), 0), (id(5), 1)];
        // 10,000 + 15,000 fill the budget; the empty list costs nothing; the last does not fit.
        assert_eq!(pick_sample(&newest), (vec![id(1), id(3), id(4)], false));
    }

    #[test]
    fn lists_that_all_fit_are_all_read() {
        let newest = [(id(1), 3), (id(2), 4)];
        assert_eq!(pick_sample(&newest), (vec![id(1), id(2)], false));
    }

    #[test]
    fn when_no_list_fits_the_newest_is_cut() {
        let newest = [(id(1), SAMPLED_EDGES + 1), (id(2), SAMPLED_EDGES * 2)];
        assert_eq!(pick_sample(&newest), (vec![id(1)], true));
        assert_eq!(pick_sample(&[]), (vec![], false));
    }
}
