//! `GET /users/search?q=&limit=&cursor=`: accounts by username or display-name prefix.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::SocialGraph;
use rookery_domain::search::SearchQuery;
use serde::{Deserialize, Serialize};

use super::answers;
use super::errors::ApiError;
use super::profile_object::ProfileObject;
use crate::blocking::run;
use crate::community::errors::Community;
use crate::dialect::Authed;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// A prefix of the username (a leading `@` is dropped) or of any word of the
    /// display name, case-insensitively; 1 to 64 characters.
    #[param(min_length = 1, max_length = 64, required = true)]
    q: Option<String>,
    /// Matches per page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<i64>,
    /// The previous page's `next_cursor` (opaque).
    cursor: Option<String>,
}

/// A page of matches, best first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    /// Profile objects: the exact username first, then accounts the caller follows,
    /// then the rest, each by followers (most first).
    pub users: Vec<ProfileObject>,
    /// Whether more matches follow.
    pub has_more: bool,
    /// Where the next page starts; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/community/users/search",
    tag = "lists",
    operation_id = "search_users",
    summary = "Find accounts by username or display-name prefix",
    description = "Never deleted accounts or accounts that block the caller. Cursor paged: pass `next_cursor` back as `cursor`.",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of profile objects.", body = crate::community::answers::Envelope<crate::community::search::SearchResults>),
        (status = 400, description = "`q must be 1 to 64 characters`, `limit must be between 1 and 100`, `invalid cursor`, `Invalid query string: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn search<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let query = SearchQuery::parse(params.q.as_deref(), params.limit, params.cursor.as_deref())?;
    let page = run(&graph, &caller, move |g, me| g.search_accounts(me, &query)).await?;
    let data = SearchResults {
        users: page.items.iter().map(ProfileObject::from).collect(),
        has_more: page.next_cursor.is_some(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    };
    Ok(answers::ok(StatusCode::OK, "Users retrieved successfully", data))
}
