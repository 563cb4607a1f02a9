//! `GET /api/v1/admin/events`: the pull feed.

use actix_web::{HttpResponse, web};
use rookery_domain::EventCursor;
use rookery_domain::service::FeedQuery;
use serde::Deserialize;

use super::objects::{EventObject, EventPage};
use rookery_domain::SocialGraph;

use super::{Events, offload};
use crate::admin::Admin;
use crate::community::errors::ApiError;

/// Events per page when `limit` is left out.
const DEFAULT_LIMIT: usize = 100;

/// The feed's query string.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// A `next_cursor` from an earlier page (or an SSE `id`); from the oldest event kept
    /// when left out.
    pub after: Option<String>,
    /// 1..=1000; 100 when left out.
    pub limit: Option<String>,
    /// Comma-separated event types; every type when left out.
    pub types: Option<String>,
}

/// Reads the query into what the use case takes.
pub(super) fn feed_query(params: &FeedParams, default_limit: usize) -> Result<FeedQuery, ApiError> {
    let after = params
        .after
        .as_deref()
        .filter(|a| !a.trim().is_empty())
        .map(|a| a.parse::<EventCursor>().map_err(|_| ApiError::bad_request("Invalid cursor")))
        .transpose()?;
    let limit = match params.limit.as_deref() {
        None => default_limit,
        Some(raw) => {
            raw.trim().parse::<usize>().map_err(|_| ApiError::bad_request("limit must be between 1 and 1000"))?
        }
    };
    let types = params
        .types
        .as_deref()
        .map(|t| t.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(FeedQuery { after, limit, types })
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/events",
    tag = "events",
    operation_id = "admin_events",
    summary = "Page through the event feed",
    description = "Every committed change of the graph, in one order: a reader that pages with `next_cursor` sees each event exactly once. Events are kept `ROOKERY_EVENTS_RETENTION` (7 days by default).",
    params(FeedParams),
    responses(
        (status = 200, description = "A page of events.", body = EventPage),
        (status = 400, description = "`Invalid cursor`, `limit must be between 1 and 1000`, `unknown event type: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AdminRequired),
        (status = 410, description = "The cursor is older than the retention: events after it were pruned.", body = crate::community::errors::ErrorEnvelope),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn events<G: SocialGraph>(
    events: Events,
    _admin: Admin<G>,
    params: web::Query<FeedParams>,
) -> Result<HttpResponse, ApiError> {
    let query = feed_query(&params, DEFAULT_LIMIT)?;
    let page = offload(&events, move |e| e.events(&query)).await?;
    Ok(HttpResponse::Ok().json(EventPage {
        next_cursor: page.next_cursor.to_string(),
        events: page.events.into_iter().map(EventObject::from).collect(),
    }))
}
