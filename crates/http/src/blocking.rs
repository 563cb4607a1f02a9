//! Running a use case off the async executor.
//!
//! Diesel is synchronous, so every use case — the pool checkout included — runs in
//! one closure on actix's blocking pool: a slow database never stalls a worker's
//! event loop. The exception is the write-first try of a follow or an unfollow
//! ([`follow`], [`unfollow`]): it only queues its transition for the store's group
//! commit and awaits the answer, so it is awaited here, and only what needs reads goes
//! to the blocking pool.

use actix_web::web;
use rookery_domain::ports::StoreError;
use rookery_domain::{AccountId, FollowOutcome, GraphError, SocialGraph, UnfollowOutcome};

use crate::auth::Caller;

/// Provisions the caller's account if needed, then runs `use_case` with the graph and
/// the caller's account id, on the blocking pool.
///
/// # Errors
/// The use case's error; [`GraphError::AccountDeleted`] for a deleted caller;
/// "unavailable" when the blocking pool is gone (shutdown).
pub async fn run<G, T, F>(graph: &web::Data<G>, caller: &Caller, use_case: F) -> Result<T, GraphError>
where
    G: SocialGraph,
    T: Send + 'static,
    F: FnOnce(&G, rookery_domain::AccountId) -> Result<T, GraphError> + Send + 'static,
{
    let identity = caller.identity.clone();
    offload(graph, move |graph| {
        graph.ensure_account(&identity)?;
        use_case(graph, identity.id)
    })
    .await
}

/// The caller follows `target` ([`rookery_domain::service::Follows::follow`]).
///
/// # Errors
/// As [`run`].
pub async fn follow<G: SocialGraph>(
    graph: &web::Data<G>,
    caller: &Caller,
    target: AccountId,
) -> Result<FollowOutcome, GraphError> {
    let tried = graph.try_follow(caller.identity.id, target);
    awaited_or_run(graph, caller, tried, move |g, me| g.follow_read_first(me, target)).await
}

/// The caller unfollows `target` ([`rookery_domain::service::Follows::unfollow`]).
///
/// # Errors
/// As [`run`].
pub async fn unfollow<G: SocialGraph>(
    graph: &web::Data<G>,
    caller: &Caller,
    target: AccountId,
) -> Result<UnfollowOutcome, GraphError> {
    let tried = graph.try_unfollow(caller.identity.id, target);
    awaited_or_run(graph, caller, tried, move |g, me| g.unfollow_read_first(me, target)).await
}

/// The answer of an awaited write-first try, or, when it had none, the rest of the use
/// case on the blocking pool.
async fn awaited_or_run<G, T, F>(
    graph: &web::Data<G>,
    caller: &Caller,
    tried: impl Future<Output = Result<Option<T>, GraphError>>,
    rest: F,
) -> Result<T, GraphError>
where
    G: SocialGraph,
    T: Send + 'static,
    F: FnOnce(&G, AccountId) -> Result<T, GraphError> + Send + 'static,
{
    match tried.await? {
        Some(answer) => Ok(answer),
        None => run(graph, caller, rest).await,
    }
}

/// Runs a use case for an anonymous caller (endpoints where authentication is
/// optional) on the blocking pool.
///
/// # Errors
/// As [`run`].
pub async fn run_anonymous<G, T, F>(graph: &web::Data<G>, use_case: F) -> Result<T, GraphError>
where
    G: SocialGraph,
    T: Send + 'static,
    F: FnOnce(&G) -> Result<T, GraphError> + Send + 'static,
{
    offload(graph, use_case).await
}

async fn offload<G, T, F>(graph: &web::Data<G>, work: F) -> Result<T, GraphError>
where
    G: SocialGraph,
    T: Send + 'static,
    F: FnOnce(&G) -> Result<T, GraphError> + Send + 'static,
{
    let graph = graph.clone();
    // Carry the request's span onto the blocking thread, so store logs keep its id.
    let span = tracing::Span::current();
    web::block(move || span.in_scope(|| work(&graph)))
        .await
        .map_err(|_| GraphError::Store(StoreError::Unavailable("the server is shutting down".into())))?
}
