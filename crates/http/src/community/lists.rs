//! `GET /users/{user_id}/followers` and `/following`, and `GET /relationships`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{
    AccountId, Direction, ListFilter, ListQuery, PageRequest, Paging, ProfilePage, SearchPrefix, SocialGraph,
    Timestamp, Window,
};
use serde::Deserialize;

use super::answers::{self, FollowedProfile, Relationship, Relationships, UserPage};
use super::errors::ApiError;
use super::errors::Community;
use super::input::user_id;
use crate::blocking::run;
use crate::dialect::Authed;

/// Offset paging (`page`, `page_size`) unless a `cursor` or `limit` asks for keyset
/// paging; `search_query` filters by username or display-name prefix.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Offset paging: the page, from 1.
    #[param(minimum = 1, maximum = 4294967295_i64, default = 1)]
    page: Option<i64>,
    /// Offset paging: items per page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    page_size: Option<i64>,
    /// Keyset paging: the previous page's `next_cursor` (opaque); empty means the first page.
    #[param(pattern = "^([0-9a-fA-F]{48})?$")]
    cursor: Option<String>,
    /// Keyset paging: items per page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<i64>,
    /// Keeps accounts whose username or display name starts with this, case-insensitively
    /// (trimmed; `%` and `_` are literal).
    #[param(max_length = 100)]
    search_query: Option<String>,
    /// Keeps accounts by relationship. Each list takes its own filters, so each
    /// operation declares this parameter itself, with the values that list takes.
    #[param(ignore)]
    filter: Option<String>,
    /// Keeps edges made after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    since: Option<String>,
    /// Keeps edges made at or before this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    until: Option<String>,
}

/// An RFC 3339 instant of the query string.
fn instant(field: &str, raw: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    raw.map(|text| {
        chrono::DateTime::parse_from_rfc3339(text.trim())
            .map(|at| at.with_timezone(&chrono::Utc))
            .map_err(|_| ApiError::bad_request(format!("{field} must be an RFC 3339 date-time")))
    })
    .transpose()
}

impl ListParams {
    fn parse(&self, direction: Direction, caller: AccountId) -> Result<ListQuery, ApiError> {
        let paging = if self.cursor.is_some() || self.limit.is_some() {
            // Offset fields beside a cursor are not used, but still held to their
            // documented range: a request the document calls invalid is refused.
            PageRequest::new(self.page, self.page_size)?;
            Paging::keyset(self.cursor.as_deref(), self.limit)?
        } else {
            Paging::Offset(PageRequest::new(self.page, self.page_size)?)
        };
        let search = self.search_query.as_deref().map(SearchPrefix::parse).transpose()?.flatten();
        let filter = self.filter.as_deref().map(|name| ListFilter::parse(name, direction, Some(caller))).transpose()?;
        let window =
            Window { since: instant("since", self.since.as_deref())?, until: instant("until", self.until.as_deref())? };
        Ok(ListQuery { paging, search, filter, window })
    }
}

fn list_answer(page: &ProfilePage) -> HttpResponse {
    let (number, size) = match page.paging {
        Paging::Offset(p) => (Some(p.page()), p.page_size()),
        Paging::Keyset { limit, .. } => (None, limit),
    };
    let data = UserPage {
        users: page.items.iter().map(FollowedProfile::from).collect(),
        total: page.total,
        page: number,
        page_size: size,
        has_more: page.has_more,
        next_cursor: page.next_cursor.map(|c| c.encode()),
    };
    answers::ok(StatusCode::OK, "Users retrieved successfully", data)
}

async fn list<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
    params: web::Query<ListParams>,
    direction: Direction,
) -> Result<HttpResponse, ApiError> {
    let owner = user_id(&path)?;
    let query = params.parse(direction, caller.identity.id)?;
    let page = run(&graph, &caller, move |g, me| g.list(Some(me), owner, direction, &query)).await?;
    Ok(list_answer(&page))
}

#[utoipa::path(
    get,
    path = "/api/v1/community/users/{user_id}/followers",
    tag = "lists",
    operation_id = "followers",
    summary = "The accounts that follow an account, newest first",
    description = "Ordered by `followed_at` descending (newest first), ties by account id descending. Two ways to page: `page` + `page_size` (offset), or `limit` + `cursor` (keyset; any `cursor` or `limit` selects it, and `page` is then null). `next_cursor` is given in both modes when more items follow. A private account's lists are visible to itself and its accepted followers only. `filter` keeps accounts by relationship and `since`/`until` keep edges made in a window (`since < followed_at <= until`); both work with either paging, and `total` is then the exact size of what is kept.",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400."),
        ListParams,
        ("filter" = Option<String>, Query, pattern = "^(mutual|not_followed_back|followed_by_me)$",
            description = "Keeps followers by relationship: `mutual` (the owner follows them back), `not_followed_back` (it does not), `followed_by_me` (the caller follows them). Anything else is 400, `not_following_back` included."),
    ),
    responses(
        (status = 200, description = "A page of profile objects with `followed_at`.", body = crate::community::answers::Envelope<crate::community::answers::UserPage>),
        (status = 400, description = "`Invalid user ID: must be a UUID`, `page must be 1 or more`, `page_size must be between 1 and 100`, `limit must be between 1 and 100`, `invalid cursor`, `search_query must be at most 100 characters`, `filter must be one of ...`, `filter=X does not apply to the ... list`, `since must be an RFC 3339 date-time`, `until must be an RFC 3339 date-time`, `Invalid query string: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, description = "`This account is private`: the caller neither is the account nor follows it. `This account has been deleted`: the caller's account was deleted.", body = crate::community::errors::ErrorEnvelope),
        (status = 404, description = "`User not found`: no live account with that id.", body = crate::community::errors::ErrorEnvelope),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn followers<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    list(graph, caller, path, params, Direction::Followers).await
}

#[utoipa::path(
    get,
    path = "/api/v1/community/users/{user_id}/following",
    tag = "lists",
    operation_id = "following",
    summary = "The accounts an account follows, newest first",
    description = "Ordered by `followed_at` descending (newest first), ties by account id descending. Two ways to page: `page` + `page_size` (offset), or `limit` + `cursor` (keyset; any `cursor` or `limit` selects it, and `page` is then null). `next_cursor` is given in both modes when more items follow. A private account's lists are visible to itself and its accepted followers only. `filter` keeps accounts by relationship and `since`/`until` keep edges made in a window (`since < followed_at <= until`); both work with either paging, and `total` is then the exact size of what is kept.",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400."),
        ListParams,
        ("filter" = Option<String>, Query, pattern = "^(mutual|not_following_back)$",
            description = "Keeps followings by relationship: `mutual` (they follow the owner back), `not_following_back` (they do not). Anything else is 400, `not_followed_back` and `followed_by_me` included."),
    ),
    responses(
        (status = 200, description = "A page of profile objects with `followed_at`.", body = crate::community::answers::Envelope<crate::community::answers::UserPage>),
        (status = 400, description = "`Invalid user ID: must be a UUID`, `page must be 1 or more`, `page_size must be between 1 and 100`, `limit must be between 1 and 100`, `invalid cursor`, `search_query must be at most 100 characters`, `filter must be one of ...`, `filter=X does not apply to the ... list`, `since must be an RFC 3339 date-time`, `until must be an RFC 3339 date-time`, `Invalid query string: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, description = "`This account is private`: the caller neither is the account nor follows it. `This account has been deleted`: the caller's account was deleted.", body = crate::community::errors::ErrorEnvelope),
        (status = 404, description = "`User not found`: no live account with that id.", body = crate::community::errors::ErrorEnvelope),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn following<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    list(graph, caller, path, params, Direction::Following).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RelationshipParams {
    /// Account ids, comma-separated (`ids=a,b,c`).
    #[param(value_type = Vec<uuid::Uuid>, style = Form, explode = false, required = true, min_items = 1, max_items = 100)]
    ids: Option<String>,
}

/// `?ids=a,b,c`: at most 100 account ids; unknown ones are left out of the answer.
#[utoipa::path(
    get,
    path = "/api/v1/community/relationships",
    tag = "lists",
    operation_id = "relationships",
    summary = "The caller's relation to up to 100 accounts at once",
    params(RelationshipParams),
    responses(
        (status = 200, description = "One item per live account asked about, in the order given; unknown ids are left out.", body = crate::community::answers::Envelope<crate::community::answers::Relationships>),
        (status = 400, description = "`Invalid user ID: must be a UUID`, `ids must name 1 to 100 accounts`, `Invalid query string: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn relationships<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    params: web::Query<RelationshipParams>,
) -> Result<HttpResponse, ApiError> {
    let raw = params.ids.as_deref().unwrap_or_default();
    let ids = raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(user_id).collect::<Result<Vec<_>, _>>()?;
    let relations = run(&graph, &caller, move |g, me| g.relationships(me, &ids)).await?;
    let relationships = relations.iter().map(|(id, r)| Relationship::of(id, r)).collect();
    Ok(answers::ok(StatusCode::OK, "Relationships retrieved successfully", Relationships { relationships }))
}
