//! Suggested accounts: two hops out from the viewer, ranked by how many of the
//! viewer's followings follow each; dismissals; and the reads a bulk follow and a
//! profile need (pair states, pending request counts).
//!
//! Exact while the viewer follows at most [`SAMPLED_FOLLOWINGS`] accounts. Beyond
//! that, the candidates are gathered from the viewer's newest [`SAMPLED_FOLLOWINGS`]
//! followings only (a sample: the two-hop walk then reads at most that many follow
//! lists), the best [`CANDIDATE_FACTOR`] × `limit` of them are re-counted exactly
//! against all of the viewer's followings, and re-ranked on those exact counts. The
//! reason a suggestion gives is always the exact count.

use std::collections::HashMap;

use diesel::dsl::{count_star, exists, not};
use diesel::prelude::*;
use rookery_domain::{RequestCounts, Suggestion, SuggestionReason, Username};

use crate::rows::AccountRow;
use crate::schema::{accounts, blocks, follow_requests, follows, mutes, suggestion_dismissals};
use crate::sql_types::{DbTime, DbUuid};

/// Followings of the viewer the two-hop walk reads at most.
pub(crate) const SAMPLED_FOLLOWINGS: i64 = 200;

/// Sampled candidates re-counted exactly, per suggestion asked for.
const CANDIDATE_FACTOR: i64 = 3;

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
    fn dismiss(&mut self, viewer: DbUuid, target: DbUuid, at: DbTime) -> QueryResult<()>;
    fn pending_counts(&mut self, account: DbUuid) -> QueryResult<RequestCounts>;
}

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
        let sampled = following.unwrap_or(0) > SAMPLED_FOLLOWINGS;
        let via = diesel::alias!(follows as via);
        let mut hops = via
            .filter(via.field(follows::follower_id).eq(viewer))
            .order((via.field(follows::created_at).desc(), via.field(follows::followee_id).desc()))
            .select(via.field(follows::followee_id))
            .into_boxed();
        if sampled {
            hops = hops.limit(SAMPLED_FOLLOWINGS);
        }
        let wanted = if sampled { limit * CANDIDATE_FACTOR } else { limit };
        // Two hops: the followings (`follows.follower_id`) of the viewer's followings.
        let candidates: Vec<(AccountRow, i64)> = follows::table
            .inner_join(accounts::table.on(accounts::id.eq(follows::followee_id)))
            .filter(follows::follower_id.eq_any(hops))
            .filter(suggestable!(viewer, now))
            .group_by(accounts::id)
            .order((count_star().desc(), accounts::followers_count.desc(), accounts::id.asc()))
            .limit(wanted)
            .select((AccountRow::as_select(), count_star()))
            .load(self)?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        // The viewer's followings who follow each candidate, with their usernames:
        // the exact counts, and the names a reason shows (most-followed first).
        let ids: Vec<DbUuid> = candidates.iter().map(|(row, _)| row.id).collect();
        let knowing = diesel::alias!(accounts as knowing);
        let mine = diesel::alias!(follows as mine);
        let mut rows: Vec<(DbUuid, String, i64, DbUuid)> = mine
            .inner_join(follows::table.on(follows::follower_id.eq(mine.field(follows::followee_id))))
            .inner_join(knowing.on(knowing.field(accounts::id).eq(mine.field(follows::followee_id))))
            .filter(mine.field(follows::follower_id).eq(viewer))
            .filter(follows::followee_id.eq_any(&ids))
            .select((
                follows::followee_id,
                knowing.field(accounts::username),
                knowing.field(accounts::followers_count),
                knowing.field(accounts::id),
            ))
            .load(self)?;
        rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.3.cmp(&b.3)));
        let mut known: HashMap<DbUuid, (i64, Vec<String>)> = HashMap::new();
        for (candidate, username, _, _) in rows {
            let entry = known.entry(candidate).or_default();
            entry.0 += 1;
            if entry.1.len() < Suggestion::SAMPLE {
                entry.1.push(username);
            }
        }
        let mut ranked: Vec<(AccountRow, i64)> = candidates
            .into_iter()
            .map(|(row, counted)| {
                let exact = known.get(&row.id).map_or(counted, |(n, _)| *n);
                (row, exact)
            })
            .collect();
        ranked.sort_by(rank);
        ranked.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(ranked
            .into_iter()
            .map(|(row, count)| {
                let sample = known
                    .remove(&row.id)
                    .map(|(_, names)| names.iter().filter_map(|n| Username::parse(n).ok()).collect())
                    .unwrap_or_default();
                Suggestion { item: row.into_domain(), reason: SuggestionReason::FollowedBy { count, sample } }
            })
            .collect())
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
