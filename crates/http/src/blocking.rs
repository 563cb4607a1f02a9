//! Running a use case off the async executor.
//!
//! Diesel is synchronous, so every synchronous use case — the pool checkout included —
//! runs in one closure on actix's blocking pool: a slow database never stalls a
//! worker's event loop. The asynchronous ones (follow, unfollow, and making sure the
//! caller has an account) are awaited by the handler directly: the store does their
//! blocking behind its port.

use actix_web::web;
use rookery_domain::ports::StoreError;
use rookery_domain::{AccountId, GraphError, SocialGraph};

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
    F: FnOnce(&G, AccountId) -> Result<T, GraphError> + Send + 'static,
{
    graph.ensure_account(&caller.identity).await?;
    let me = caller.identity.id;
    offload(graph, move |graph| use_case(graph, me)).await
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
