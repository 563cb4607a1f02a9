//! The data the scenarios need, written straight into the store with its bulk import
//! (a statement per batch), then the stored counts recomputed once.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DurationRound, TimeDelta, Utc};
use rookery_domain::{AccountId, Cursor, Timestamp, Username};
use rookery_store::Database;
use rookery_store::maintenance::{AccountRecord, FollowRecord};

/// Records per import transaction.
const BATCH: usize = 5_000;

/// How much of everything to seed.
pub struct Plan {
    /// Write connections (and ceiling threads) of the follow scenarios.
    pub connections: usize,
    /// Accounts that the distinct-pairs follows (HTTP, ceiling, raw, sweep) target.
    pub targets: usize,
    /// Follows one worker may make in a distinct-pairs phase.
    pub follow_per_worker: usize,
    /// Follows of the hot account one worker may make in a phase.
    pub hot_per_worker: usize,
    /// Threads of the raw SQL ceiling, and follows each may make.
    pub raw_threads: usize,
    pub raw_per_worker: usize,
    /// The connection sweep: (connections, follows one worker may make) per point.
    pub sweep: Vec<(usize, usize)>,
    /// Accounts that hold the idle streams, and the accounts that follow them.
    pub stream_accounts: usize,
    pub fans: usize,
    /// Followers of the big account.
    pub followers: usize,
}

/// Distinct follow pairs for a number of workers: worker `w` owns its own followers,
/// each following every target once, and walks the shared targets from an offset of
/// its own, so that workers running side by side touch different account rows.
#[derive(Clone)]
pub struct Pairs {
    followers: Vec<AccountId>,
    targets: Arc<Vec<AccountId>>,
    workers: usize,
    per_worker: usize,
}

impl Pairs {
    /// Worker `w`'s `i`-th pair as (the follower's index in [`Self::followers`],
    /// follower, target); `None` when its budget is spent.
    pub fn get(&self, w: usize, i: usize) -> Option<(usize, AccountId, AccountId)> {
        let t = self.targets.len();
        let round = i.checked_div(t)?;
        if round >= self.per_worker {
            return None;
        }
        let index = w.checked_mul(self.per_worker)?.checked_add(round)?;
        let follower = *self.followers.get(index)?;
        let offset = w.checked_mul(t)?.checked_div(self.workers)?;
        let target = *self.targets.get(i.checked_add(offset)?.checked_rem(t)?)?;
        Some((index, follower, target))
    }

    /// The workers these pairs are for.
    pub const fn workers(&self) -> usize {
        self.workers
    }

    /// Every follower, indexed as [`Self::get`] says.
    pub fn followers(&self) -> &[AccountId] {
        &self.followers
    }
}

/// Who is who in the seeded database.
pub struct Seeded {
    /// Write connections (and ceiling threads).
    pub connections: usize,
    /// The distinct-pairs follows over HTTP, and in the ceiling phase.
    pub follow_http: Pairs,
    pub follow_ceiling: Pairs,
    /// The raw SQL ceiling's follows.
    pub raw: Pairs,
    /// One set of pairs per point of the connection sweep.
    pub sweep: Vec<(usize, Pairs)>,
    /// One churning follower per HTTP connection.
    pub churn_http: Vec<AccountId>,
    /// One churning follower per ceiling thread.
    pub churn_ceiling: Vec<AccountId>,
    /// The account each worker churns on.
    pub churn_targets: Vec<AccountId>,
    /// The hot account.
    pub hot: AccountId,
    /// The account that follows past its limit, and the accounts it spends its budget
    /// on first (more than any limit the bench sets).
    pub past_limit: AccountId,
    pub past_limit_spent_on: Vec<AccountId>,
    /// Followers of the hot account over HTTP: `i * connections + w` for worker `w`.
    pub hot_http: Vec<AccountId>,
    /// Followers of the hot account in the ceiling phase.
    pub hot_ceiling: Vec<AccountId>,
    /// The account with many followers.
    pub big: AccountId,
    /// Who reads the lists, relationships and profiles.
    pub viewer: AccountId,
    /// The cursor of the 21st-oldest follower of `big`: the page after it is the last.
    pub tail_cursor: Cursor,
    /// 100 followers of `big`, spread over the list; the viewer follows every other one.
    pub relationship_ids: Vec<AccountId>,
    /// Accounts that hold the idle streams.
    pub stream_accounts: Vec<AccountId>,
    /// Accounts that follow them to measure delivery, one each.
    pub fans: Vec<AccountId>,
    /// Accounts stored.
    pub accounts: u64,
    /// Edges stored.
    pub edges: u64,
}

pub struct Importer<'a> {
    db: &'a Database,
    next_name: u64,
    created_at: Timestamp,
    pub accounts: u64,
    pub edges: u64,
}

impl<'a> Importer<'a> {
    /// An importer whose accounts are created at `created_at`.
    pub const fn new(db: &'a Database, created_at: Timestamp) -> Self {
        Self { db, next_name: 0, created_at, accounts: 0, edges: 0 }
    }

    /// `n` new public accounts, imported in batches.
    pub fn accounts(&mut self, n: usize) -> anyhow::Result<Vec<AccountId>> {
        let mut ids = Vec::with_capacity(n);
        let mut batch = Vec::with_capacity(BATCH.min(n));
        for _ in 0..n {
            let id = AccountId::from_uuid(uuid::Uuid::now_v7());
            self.next_name += 1;
            batch.push(AccountRecord {
                id,
                username: Username::parse(&format!("bench{}", self.next_name))?,
                full_name: Some(format!("Bench Account {}", self.next_name)),
                bio: None,
                profile_image_url: None,
                banner_image_url: None,
                is_private: false,
                is_verified: false,
                privacy: rookery_domain::GraphPrivacy::default(),
                posts_count: 0,
                created_at: self.created_at,
                updated_at: self.created_at,
                deleted_at: None,
            });
            ids.push(id);
            if batch.len() == BATCH {
                self.flush_accounts(&mut batch)?;
            }
        }
        self.flush_accounts(&mut batch)?;
        Ok(ids)
    }

    fn flush_accounts(&mut self, batch: &mut Vec<AccountRecord>) -> anyhow::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let outcome = self.db.import_accounts(batch).context("importing accounts")?;
        if !outcome.skipped.is_empty() {
            anyhow::bail!("{} accounts were skipped by the import", outcome.skipped.len());
        }
        self.accounts += outcome.inserted;
        batch.clear();
        Ok(())
    }

    /// Followers enough for `workers` workers to make `per_worker` distinct follows
    /// each over `targets`.
    pub fn pairs(&mut self, targets: &Arc<Vec<AccountId>>, workers: usize, per_worker: usize) -> anyhow::Result<Pairs> {
        let rounds = per_worker.div_ceil(targets.len().max(1)).max(1);
        let followers = self.accounts(workers.checked_mul(rounds).context("too many followers")?)?;
        Ok(Pairs { followers, targets: Arc::clone(targets), workers: workers.max(1), per_worker: rounds })
    }

    pub fn follows(&mut self, batch: &[FollowRecord]) -> anyhow::Result<()> {
        for chunk in batch.chunks(BATCH) {
            let outcome = self.db.import_follows(chunk).context("importing follows")?;
            if !outcome.skipped.is_empty() {
                anyhow::bail!("{} edges were skipped by the import", outcome.skipped.len());
            }
            self.edges += outcome.inserted;
        }
        Ok(())
    }
}

/// Follows the past-the-limit account makes before it is measured: more than the
/// default limit (100 an hour), so its budget is used up.
pub const PAST_LIMIT_SPENDS: usize = 101;

/// Seeds the accounts of every scenario and the `followers` edges of the big account.
pub fn seed(db: &Database, plan: &Plan) -> anyhow::Result<Seeded> {
    let (connections, followers) = (plan.connections, plan.followers);
    // Edges of the big list are a millisecond apart, ending a day ago.
    let now = Utc::now().duration_trunc(TimeDelta::seconds(1))?;
    let list_start = now - TimeDelta::days(1) - TimeDelta::milliseconds(i64::try_from(followers)?);
    let mut importer =
        Importer { db, next_name: 0, created_at: list_start - TimeDelta::days(1), accounts: 0, edges: 0 };

    let targets = Arc::new(importer.accounts(plan.targets.max(1))?);
    let follow_http = importer.pairs(&targets, connections, plan.follow_per_worker)?;
    let follow_ceiling = importer.pairs(&targets, connections, plan.follow_per_worker)?;
    let raw = importer.pairs(&targets, plan.raw_threads, plan.raw_per_worker)?;
    let sweep = plan
        .sweep
        .iter()
        .map(|&(conns, per_worker)| Ok((conns, importer.pairs(&targets, conns, per_worker)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let churn_http = importer.accounts(connections)?;
    let churn_ceiling = importer.accounts(connections)?;
    let churn_targets = importer.accounts(connections)?;
    let hot_pool = connections.checked_mul(plan.hot_per_worker).context("too many hot followers")?;
    let hot_http = importer.accounts(hot_pool)?;
    let hot_ceiling = importer.accounts(hot_pool)?;
    let stream_accounts = importer.accounts(plan.stream_accounts)?;
    let fans = importer.accounts(plan.fans)?;
    let past_limit_spent_on = importer.accounts(PAST_LIMIT_SPENDS)?;
    let singles = importer.accounts(4)?;
    let (hot, big, viewer, past_limit) = match singles.as_slice() {
        [hot, big, viewer, past_limit] => (*hot, *big, *viewer, *past_limit),
        _ => anyhow::bail!("four accounts were asked for"),
    };

    // The big list: accounts and edges a batch at a time, keeping only the few ids the
    // scenarios name.
    let spacing = (followers / 100).max(1);
    let mut relationship_ids = Vec::with_capacity(100);
    let mut tail_cursor = None;
    let mut done = 0usize;
    while done < followers {
        let n = BATCH.min(followers - done);
        let ids = importer.accounts(n)?;
        let mut edges = Vec::with_capacity(n);
        for (offset, id) in ids.into_iter().enumerate() {
            let index = done + offset;
            let created_at = list_start + TimeDelta::milliseconds(i64::try_from(index)?);
            edges.push(FollowRecord { follower_id: id, followee_id: big, created_at });
            if index == 20 {
                tail_cursor = Some(Cursor { at: created_at, id });
            }
            if index % spacing == 0 && relationship_ids.len() < 100 {
                if relationship_ids.len() % 2 == 0 {
                    edges.push(FollowRecord { follower_id: viewer, followee_id: id, created_at });
                }
                relationship_ids.push(id);
            }
        }
        importer.follows(&edges)?;
        done += n;
    }
    let tail_cursor = tail_cursor.context("the big list needs more than 20 followers")?;
    db.recompute_counts().context("recomputing counts")?;

    Ok(Seeded {
        connections,
        follow_http,
        follow_ceiling,
        raw,
        sweep,
        churn_http,
        churn_ceiling,
        churn_targets,
        hot,
        past_limit,
        past_limit_spent_on,
        hot_http,
        hot_ceiling,
        big,
        viewer,
        tail_cursor,
        relationship_ids,
        stream_accounts,
        fans,
        accounts: importer.accounts,
        edges: importer.edges,
    })
}
