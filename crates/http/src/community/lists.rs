//! `GET /users/{user_id}/followers` and `/following`, and `GET /relationships`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{
    Direction, ListQuery, PageRequest, Paging, ProfilePage, RequestStatus, SearchPrefix, SocialGraph,
};
use serde::Deserialize;
use serde_json::json;

use super::envelope::{self, ApiError};
use super::ids::user_id;
use super::profile_object::listed_object;
use crate::auth::Caller;
use crate::blocking::run;

/// Offset paging (`page`, `page_size`) unless a `cursor` or `limit` asks for keyset
/// paging; `search_query` filters by username or display-name prefix.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    page: Option<i64>,
    page_size: Option<i64>,
    cursor: Option<String>,
    limit: Option<i64>,
    search_query: Option<String>,
}

impl ListParams {
    fn parse(&self) -> Result<ListQuery, ApiError> {
        let paging = if self.cursor.is_some() || self.limit.is_some() {
            Paging::keyset(self.cursor.as_deref(), self.limit)?
        } else {
            Paging::Offset(PageRequest::new(self.page, self.page_size)?)
        };
        let search = self.search_query.as_deref().map(SearchPrefix::parse).transpose()?.flatten();
        Ok(ListQuery { paging, search })
    }
}

fn list_answer(page: &ProfilePage) -> HttpResponse {
    let users: Vec<_> = page.items.iter().map(|l| listed_object(l, "followed_at")).collect();
    let (number, size) = match page.paging {
        Paging::Offset(p) => (Some(p.page()), p.page_size()),
        Paging::Keyset { limit, .. } => (None, limit),
    };
    let data = json!({
        "users": users,
        "total": page.total,
        "page": number,
        "page_size": size,
        "has_more": page.has_more,
        "next_cursor": page.next_cursor.map(|c| c.encode()),
    });
    envelope::ok(StatusCode::OK, "Users retrieved successfully", data)
}

async fn list<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
    params: web::Query<ListParams>,
    direction: Direction,
) -> Result<HttpResponse, ApiError> {
    let owner = user_id(&path)?;
    let query = params.parse()?;
    let page = run(&graph, &caller, move |g, me| g.list(Some(me), owner, direction, &query)).await?;
    Ok(list_answer(&page))
}

pub async fn followers<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    list(graph, caller, path, params, Direction::Followers).await
}

pub async fn following<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    list(graph, caller, path, params, Direction::Following).await
}

#[derive(Debug, Deserialize)]
pub struct RelationshipParams {
    ids: Option<String>,
}

/// `?ids=a,b,c`: at most 100 account ids; unknown ones are left out of the answer.
pub async fn relationships<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    params: web::Query<RelationshipParams>,
) -> Result<HttpResponse, ApiError> {
    let raw = params.ids.as_deref().unwrap_or_default();
    let ids = raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(user_id).collect::<Result<Vec<_>, _>>()?;
    let relations = run(&graph, &caller, move |g, me| g.relationships(me, &ids)).await?;
    let status = |s: Option<RequestStatus>| s.map(RequestStatus::as_str);
    let items: Vec<_> = relations
        .iter()
        .map(|(id, r)| {
            json!({
                "user_id": id.to_string(),
                "is_self": r.is_self,
                "is_following": r.is_following,
                "is_followed_by": r.follows_viewer,
                "is_mutual": r.is_mutual(),
                "follow_request_status": status(r.request_status),
                "incoming_request_status": status(r.incoming_request_status),
                "is_blocking": r.is_blocking,
                "is_blocked_by": r.is_blocked_by,
            })
        })
        .collect();
    Ok(envelope::ok(StatusCode::OK, "Relationships retrieved successfully", json!({ "relationships": items })))
}
