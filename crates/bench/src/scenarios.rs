//! The scenarios measured over HTTP against the in-process server, each followed by
//! its ceiling: the same use case on the `GraphService`, run as its HTTP handler runs
//! it, from as many threads (or, for follows and unfollows, executor tasks) as there
//! were connections, over the same database.

use std::sync::Arc;
use std::time::Duration;

use rookery_domain::service::{Accounts, Follows, Lists, Profiles};
use rookery_domain::{AccountId, Direction, GraphError, Identity, ListQuery, PageRequest, Paging, UnfollowScope};

use crate::Graph;
use crate::in_process::InProcess;
use crate::phase::{Call, Progress, Signer, alternating, ceiling_phase, http_phase, tasks_phase};
use crate::report::{Kind, Row};
use crate::seed::Seeded;

/// A read as the HTTP handler runs it (`rookery_http::blocking::run`): the caller's
/// account is made sure of (provisioned on first sight; here on the ceiling's thread,
/// which blocks anyway), then the use case runs. The ceiling does both, so
/// HTTP/ceiling measures what HTTP adds and nothing else.
fn as_caller<T>(
    graph: &Graph,
    caller: AccountId,
    use_case: impl FnOnce(&Graph) -> Result<T, GraphError>,
) -> anyhow::Result<()> {
    futures::executor::block_on(graph.ensure_account(&Identity { id: caller, username: None, name: None }))?;
    use_case(graph).map(drop).map_err(Into::into)
}

/// A follow as every handler runs it: the one use case, awaited on the executor.
async fn follow_as_handler(graph: Arc<Graph>, actor: AccountId, target: AccountId) -> anyhow::Result<()> {
    graph.follow(&Identity { id: actor, username: None, name: None }, target).await?;
    Ok(())
}

/// An unfollow as every handler runs it.
async fn unfollow_as_handler(graph: Arc<Graph>, actor: AccountId, target: AccountId) -> anyhow::Result<()> {
    let caller = Identity { id: actor, username: None, name: None };
    graph.unfollow(&caller, target, UnfollowScope::FollowOrRequest).await?;
    Ok(())
}

/// A follow by an account past its limit, as every handler runs it: refused with
/// `RateLimited`, which is the expected answer here.
async fn follow_past_limit_as_handler(graph: Arc<Graph>, actor: AccountId, target: AccountId) -> anyhow::Result<()> {
    match graph.follow(&Identity { id: actor, username: None, name: None }, target).await {
        Err(GraphError::RateLimited { .. }) => Ok(()),
        other => anyhow::bail!("expected RateLimited, got {other:?}"),
    }
}

/// Page size of the follower pages.
const PAGE_SIZE: u32 = 20;

/// What the scenarios run with.
pub struct Env<'a> {
    /// The ceiling's executor (and the in-process server's home).
    pub runtime: &'a tokio::runtime::Runtime,
    /// The HTTP client's executor: one thread.
    pub client: &'a tokio::runtime::Runtime,
    /// `http://127.0.0.1:PORT/api/v1/community` of the server users run: the follow
    /// limit on, high enough never to trip.
    pub base: &'a str,
    /// Starts another in-process server on the same database with this follow limit
    /// (0: none), once the server at `base` is stopped.
    pub serve: &'a dyn Fn(u32) -> anyhow::Result<InProcess>,
    /// The service of each, for the ceilings.
    pub graph: &'a Arc<Graph>,
    pub graph_no_limit: &'a Arc<Graph>,
    pub graph_default_limit: &'a Arc<Graph>,
    pub signer: &'a Signer,
    pub seeded: &'a Arc<Seeded>,
    pub duration: Duration,
    pub connections: usize,
    pub read_connections: usize,
    pub followers: usize,
    /// The deep offset page (the 5,000).
    pub deep_page: u32,
    /// Also measure the last page, when it differs from the deep one.
    pub last_page: bool,
}

fn row(
    kind: Kind,
    scenario: String,
    connections: usize,
    http: crate::phase::Stats,
    ceiling: crate::phase::Stats,
) -> Row {
    Row { kind, scenario, connections, http, ceiling }
}

/// Where the distinct-pairs follows stand: (HTTP, ceiling).
pub type FollowProgress = (Progress, Progress);

/// Runs every scenario on the server at `cx.base`, HTTP phase then ceiling phase.
pub fn run(cx: &Env<'_>) -> anyhow::Result<(Vec<Row>, FollowProgress)> {
    let (follow, follow_progress) = follow_distinct(cx)?;
    let mut rows = vec![follow];
    rows.push(churn(cx)?);
    rows.push(hot(cx)?);
    rows.extend(followers_pages(cx)?);
    rows.extend(relationships(cx)?);
    rows.push(profiles(cx)?);
    Ok((rows, follow_progress))
}

/// The follow rows beside the configuration users run, each on a server of its own
/// (started and stopped here, once the main server is stopped): follows with no limit,
/// taking up the seeded pairs where the limit-on row left them (`progress`), and an
/// account past the default limit.
pub fn limit_variants(cx: &Env<'_>, progress: &FollowProgress) -> anyhow::Result<Vec<Row>> {
    let server = (cx.serve)(0)?;
    let no_limit = follow_distinct_on(
        cx,
        Kind::FollowNoLimit,
        "follow, distinct pairs, no follow limit",
        &server.base,
        cx.graph_no_limit,
        progress,
    );
    server.stop(cx.runtime)?;
    let server = (cx.serve)(crate::limits::DEFAULT_LIMIT)?;
    let past = past_the_limit(cx, &server.base);
    server.stop(cx.runtime)?;
    Ok(vec![no_limit?, past?])
}

/// Rounds of each write scenario (see [`alternating`]), each half the phase duration.
const WRITE_ROUNDS: usize = 3;

/// A write scenario's HTTP and ceiling phases, in alternating rounds, on the server
/// users run.
fn write_rounds(
    cx: &Env<'_>,
    http: impl Fn(usize, Progress) -> Option<Call> + Clone + Send + Sync + 'static,
    ceiling: impl Fn(usize, Progress) -> Option<BoxedCall> + Clone + Send + Sync + 'static,
) -> anyhow::Result<(crate::phase::Stats, crate::phase::Stats)> {
    let progress = (Progress::new(cx.connections), Progress::new(cx.connections));
    write_rounds_on(cx, cx.base, &progress, http, ceiling)
}

/// As [`write_rounds`], against `base`, taking the seeded work up where `progress`
/// (HTTP, ceiling) left it.
fn write_rounds_on(
    cx: &Env<'_>,
    base: &str,
    progress: &(Progress, Progress),
    http: impl Fn(usize, Progress) -> Option<Call> + Clone + Send + Sync + 'static,
    ceiling: impl Fn(usize, Progress) -> Option<BoxedCall> + Clone + Send + Sync + 'static,
) -> anyhow::Result<(crate::phase::Stats, crate::phase::Stats)> {
    let conns = cx.connections;
    let (http_progress, ceiling_progress) = progress.clone();
    alternating(
        WRITE_ROUNDS,
        cx.duration / 2,
        |round| {
            let (op, progress) = (http.clone(), http_progress.clone());
            cx.client.block_on(http_phase(base, conns, round, move |w, _| op(w, progress.clone())))
        },
        |round| {
            let (op, progress) = (ceiling.clone(), ceiling_progress.clone());
            tasks_phase(cx.runtime, conns, round, move |w, _| op(w, progress.clone()))
        },
    )
}

/// One ceiling call, boxed so the scenarios' different use cases share a type.
type BoxedCall = std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

/// 1. Follow writes on distinct pairs, with the limit on (never tripping).
fn follow_distinct(cx: &Env<'_>) -> anyhow::Result<(Row, FollowProgress)> {
    let progress = (Progress::new(cx.connections), Progress::new(cx.connections));
    let row = follow_distinct_on(cx, Kind::Follow, "follow, distinct pairs", cx.base, cx.graph, &progress)?;
    Ok((row, progress))
}

/// Follow writes on distinct pairs against `base` and `graph`, taking up the seeded
/// pairs where `progress` left them.
fn follow_distinct_on(
    cx: &Env<'_>,
    kind: Kind,
    name: &str,
    base: &str,
    graph: &Arc<Graph>,
    progress: &FollowProgress,
) -> anyhow::Result<Row> {
    let (seeded, conns) = (cx.seeded, cx.connections);
    eprintln!("  {name}");
    let tokens = cx.signer.tokens(seeded.follow_http.followers())?;
    let (s, c, g) = (Arc::clone(seeded), Arc::clone(seeded), Arc::clone(graph));
    let (http, ceiling) = write_rounds_on(
        cx,
        base,
        progress,
        move |w, progress| {
            let (index, _, target) = s.follow_http.get(w, progress.next(w)?)?;
            Some(Call::follow(Arc::clone(tokens.get(index)?), target))
        },
        move |w, progress| {
            let (_, actor, target) = c.follow_ceiling.get(w, progress.next(w)?)?;
            Some(Box::pin(follow_as_handler(Arc::clone(&g), actor, target)))
        },
    )?;
    Ok(row(kind, name.into(), conns, http, ceiling))
}

/// 1b. One account past its limit (the default, 100 an hour) hammering follows of
///     accounts it does not follow: every answer is 429, and writes nothing.
fn past_the_limit(cx: &Env<'_>, base: &str) -> anyhow::Result<Row> {
    let (seeded, conns) = (cx.seeded, cx.connections);
    let name = "follow past the limit (429), one account";
    eprintln!("  {name}");
    let hammer = cx.seeded.past_limit;
    // Use up its budget first: the first follows pass, the rest are refused.
    let caller = Identity { id: hammer, username: None, name: None };
    let spent = cx.runtime.block_on(async {
        let mut refused = 0;
        for target in &seeded.past_limit_spent_on {
            match cx.graph_default_limit.follow(&caller, *target).await {
                Err(GraphError::RateLimited { .. }) => refused += 1,
                other => drop(other?),
            }
        }
        anyhow::Ok(refused)
    })?;
    anyhow::ensure!(spent > 0, "the account past the limit was never refused");
    let token = cx.signer.token(hammer)?;
    let (s, c, g) = (Arc::clone(seeded), Arc::clone(seeded), Arc::clone(cx.graph_default_limit));
    let progress = (Progress::new(conns), Progress::new(conns));
    let (http, ceiling) = write_rounds_on(
        cx,
        base,
        &progress,
        move |w, progress| {
            let (_, _, target) = s.follow_http.get(w, progress.next(w)?)?;
            Some(Call::follow_past_limit(Arc::clone(&token), target))
        },
        move |w, progress| {
            let (_, _, target) = c.follow_ceiling.get(w, progress.next(w)?)?;
            Some(Box::pin(follow_past_limit_as_handler(Arc::clone(&g), hammer, target)))
        },
    )?;
    Ok(row(Kind::FollowPastLimit, name.into(), conns, http, ceiling))
}

/// 2. Churn: each worker follows and unfollows the same pair, alternately.
fn churn(cx: &Env<'_>) -> anyhow::Result<Row> {
    let (seeded, graph, conns) = (cx.seeded, cx.graph, cx.connections);
    let name = "follow/unfollow churn, same pairs";
    eprintln!("  {name}");
    let tokens = cx.signer.tokens(&seeded.churn_http)?;
    let (s, c, g) = (Arc::clone(seeded), Arc::clone(seeded), Arc::clone(graph));
    let (http, ceiling) = write_rounds(
        cx,
        move |w, progress| {
            let target = *s.churn_targets.get(w)?;
            let token = Arc::clone(tokens.get(w)?);
            Some(if progress.next(w)? % 2 == 0 {
                Call::follow(token, target)
            } else {
                Call {
                    method: reqwest::Method::DELETE,
                    path: format!("/follow/{target}"),
                    token,
                    body: None,
                    expect: None,
                }
            })
        },
        move |w, progress| {
            let (actor, target, g) = (*c.churn_ceiling.get(w)?, *c.churn_targets.get(w)?, Arc::clone(&g));
            Some(if progress.next(w)? % 2 == 0 {
                Box::pin(follow_as_handler(g, actor, target))
            } else {
                Box::pin(unfollow_as_handler(g, actor, target))
            })
        },
    )?;
    Ok(row(Kind::Churn, name.into(), conns, http, ceiling))
}

/// 3. One hot account: distinct followers, all following the same account.
fn hot(cx: &Env<'_>) -> anyhow::Result<Row> {
    let (seeded, graph, conns) = (cx.seeded, cx.graph, cx.connections);
    let name = "follow, one hot account";
    eprintln!("  {name}");
    let tokens = cx.signer.tokens(&seeded.hot_http)?;
    let (s, c, g) = (Arc::clone(seeded), Arc::clone(seeded), Arc::clone(graph));
    let (http, ceiling) = write_rounds(
        cx,
        move |w, progress| {
            let token = Arc::clone(tokens.get(progress.next(w)?.checked_mul(s.connections)?.checked_add(w)?)?);
            Some(Call::follow(token, s.hot))
        },
        move |w, progress| {
            let actor = *c.hot_ceiling.get(progress.next(w)?.checked_mul(c.connections)?.checked_add(w)?)?;
            Some(Box::pin(follow_as_handler(Arc::clone(&g), actor, c.hot)))
        },
    )?;
    Ok(row(Kind::Hot, name.into(), conns, http, ceiling))
}

/// 4. The followers list of the account with many followers, as the viewer sees it.
fn followers_pages(cx: &Env<'_>) -> anyhow::Result<Vec<Row>> {
    let (seeded, graph, conns, followers) = (cx.seeded, cx.graph, cx.read_connections, cx.followers);
    let viewer_token = cx.signer.token(seeded.viewer)?;
    let last_page = u32::try_from(followers.div_ceil(usize::try_from(PAGE_SIZE)?)).unwrap_or(u32::MAX).max(1);
    let offset = |page: u32| -> anyhow::Result<Paging> {
        Ok(Paging::Offset(PageRequest::new(Some(i64::from(page)), Some(i64::from(PAGE_SIZE)))?))
    };
    let mut pages: Vec<(Kind, String, String, Paging)> = vec![
        (
            Kind::CursorHead,
            "followers, cursor head".into(),
            format!("limit={PAGE_SIZE}"),
            Paging::Keyset { after: None, limit: PAGE_SIZE },
        ),
        (
            Kind::CursorTail,
            "followers, cursor tail".into(),
            format!("limit={PAGE_SIZE}&cursor={}", seeded.tail_cursor.encode()),
            Paging::Keyset { after: Some(seeded.tail_cursor), limit: PAGE_SIZE },
        ),
        (Kind::OffsetFirst, "followers, offset page 1".into(), format!("page=1&page_size={PAGE_SIZE}"), offset(1)?),
        (
            Kind::OffsetDeep,
            format!("followers, offset page {}", cx.deep_page),
            format!("page={}&page_size={PAGE_SIZE}", cx.deep_page),
            offset(cx.deep_page)?,
        ),
    ];
    if cx.last_page && last_page != cx.deep_page {
        pages.push((
            Kind::OffsetLast,
            format!("followers, offset last page ({last_page})"),
            format!("page={last_page}&page_size={PAGE_SIZE}"),
            offset(last_page)?,
        ));
    }
    let mut rows = Vec::with_capacity(pages.len());
    for (kind, name, query, paging) in pages {
        eprintln!("  {name}");
        let list = ListQuery::paged(paging);
        let page = graph.list(Some(seeded.viewer), seeded.big, Direction::Followers, &list)?;
        if page.items.is_empty() {
            eprintln!("    warning: {name} returns no items");
        }
        let path = format!("/users/{}/followers?{query}", seeded.big);
        let token = Arc::clone(&viewer_token);
        let http = cx.client.block_on(http_phase(cx.base, conns, cx.duration, move |_, _| {
            Some(Call::get(Arc::clone(&token), path.clone()))
        }))?;
        let ceiling = ceiling_phase(conns, cx.duration, |_, _| {
            Some(as_caller(graph, seeded.viewer, |g| {
                g.list(Some(seeded.viewer), seeded.big, Direction::Followers, &list)
            }))
        })?;
        rows.push(row(kind, format!("{name} ({followers} followers)"), conns, http, ceiling));
    }
    Ok(rows)
}

/// 5. Relationships with 100 accounts (the viewer follows half of them): at the read
///    concurrency, then on one connection (latency without queueing).
fn relationships(cx: &Env<'_>) -> anyhow::Result<Vec<Row>> {
    let (seeded, graph) = (cx.seeded, cx.graph);
    let viewer_token = cx.signer.token(seeded.viewer)?;
    let ids = seeded.relationship_ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    let mut rows = Vec::new();
    for (kind, connections) in [(Kind::Relationships, cx.read_connections), (Kind::Relationships1, 1)] {
        let name = "relationships, 100 ids";
        eprintln!("  {name}, {connections} connection(s)");
        let path = format!("/relationships?ids={ids}");
        let token = Arc::clone(&viewer_token);
        let http = cx.client.block_on(http_phase(cx.base, connections, cx.duration, move |_, _| {
            Some(Call::get(Arc::clone(&token), path.clone()))
        }))?;
        let ceiling = ceiling_phase(connections, cx.duration, |_, _| {
            Some(as_caller(graph, seeded.viewer, |g| g.relationships(seeded.viewer, &seeded.relationship_ids)))
        })?;
        rows.push(row(kind, name.into(), connections, http, ceiling));
    }
    Ok(rows)
}

/// 6. Profile reads: the viewer reads the profiles of 100 accounts in turn.
fn profiles(cx: &Env<'_>) -> anyhow::Result<Row> {
    let (seeded, graph, conns) = (cx.seeded, cx.graph, cx.read_connections);
    let name = "profile reads";
    eprintln!("  {name}");
    let viewer_token = cx.signer.token(seeded.viewer)?;
    let s = Arc::clone(seeded);
    let n = seeded.relationship_ids.len().max(1);
    let http = cx.client.block_on(http_phase(cx.base, conns, cx.duration, move |w, i| {
        let target = s.relationship_ids.get((w + i) % n)?;
        Some(Call::get(Arc::clone(&viewer_token), format!("/profiles/{target}")))
    }))?;
    let ceiling = ceiling_phase(conns, cx.duration, |w, i| {
        let target = *seeded.relationship_ids.get((w + i) % n)?;
        Some(as_caller(graph, seeded.viewer, |g| g.profile(seeded.viewer, target)))
    })?;
    Ok(row(Kind::Profiles, name.into(), conns, http, ceiling))
}
