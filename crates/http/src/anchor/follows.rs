//! The three endpoints.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::service::FollowAction;
use rookery_domain::{Account, AccountId, Direction, ListQuery, PageRequest, Paging, SocialGraph};
use serde::Deserialize;
use serde_json::Value;

use super::answers::{ActionAnswer, CurrentUser, FollowStatus, ListPage, ListedUser, Pagination, TargetUser, ok};
use super::errors::{Anchor, AnchorError};
use crate::blocking::{run, run_anonymous};
use crate::dialect::{Authed, MaybeAuthed};
use crate::time::rfc3339;

/// The largest `limit` this seed allows.
const MAX_LIMIT: i64 = 50;

fn target_id(raw: &str) -> Result<AccountId, AnchorError> {
    raw.parse().map_err(|_| AnchorError::invalid_id())
}

/// Usernames are shown with the `@` prefix.
fn at(account: &Account) -> String {
    format!("@{}", account.username)
}

fn display_name(account: &Account) -> String {
    account.full_name.clone().unwrap_or_else(|| account.username.to_string())
}

fn action(body: &Value) -> Result<FollowAction, AnchorError> {
    match body.get("action").and_then(Value::as_str) {
        Some("follow") => Ok(FollowAction::Follow),
        Some("unfollow") => Ok(FollowAction::Unfollow),
        _ => Err(AnchorError::new(StatusCode::BAD_REQUEST, "INVALID_ACTION", "Action must be 'follow' or 'unfollow'")),
    }
}

/// `POST /users/{id}/follow` `{"action"}`: idempotent both ways; answers the state
/// after the action with both accounts' counts. A private account gets a request:
/// `isFollowing: false` with `followRequestStatus: "pending"`.
pub async fn act<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Anchor>,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, AnchorError> {
    let target = target_id(&path)?;
    let action = action(&body)?;
    let after = graph.act_and_count(&caller.identity, target, action).await?;
    let (target, me) = (&after.target, &after.actor);
    Ok(ok(ActionAnswer {
        is_following: after.following,
        target_user: TargetUser {
            id: target.id.to_string(),
            username: at(target),
            display_name: display_name(target),
            // `null` when the target hides its counts from the caller (docs/api.md).
            follower_count: after.target_followers(),
        },
        current_user: CurrentUser { following_count: me.following_count },
        follow_request_status: after.pending.then_some("pending"),
    }))
}

/// `GET /users/{id}/follow/status`.
pub async fn status<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Anchor>,
    path: web::Path<String>,
) -> Result<HttpResponse, AnchorError> {
    let target = target_id(&path)?;
    let relation = run(&graph, &caller.0, move |g, me| g.relation(me, target)).await?;
    Ok(ok(FollowStatus {
        is_following: relation.is_following,
        is_followed_by: relation.follows_viewer,
        is_mutual: relation.is_mutual(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    #[serde(rename = "type")]
    kind: Option<String>,
    page: Option<String>,
    limit: Option<String>,
}

impl ListParams {
    fn direction(&self) -> Result<Direction, AnchorError> {
        match self.kind.as_deref() {
            Some("followers") => Ok(Direction::Followers),
            Some("following") => Ok(Direction::Following),
            _ => Err(AnchorError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_TYPE",
                "Type must be 'followers' or 'following'",
            )),
        }
    }

    /// `page` from 1, `limit` 1..=50 (default 20); anything else is `INVALID_PAGINATION`.
    fn page(&self) -> Result<PageRequest, AnchorError> {
        let invalid = || {
            AnchorError::new(StatusCode::BAD_REQUEST, "INVALID_PAGINATION", "page must be at least 1 and limit 1 to 50")
        };
        let number = |raw: &Option<String>| raw.as_deref().map(str::parse::<i64>).transpose().map_err(|_| invalid());
        let (page, limit) = (number(&self.page)?, number(&self.limit)?);
        if limit.is_some_and(|l| !(1..=MAX_LIMIT).contains(&l)) {
            return Err(invalid());
        }
        PageRequest::new(page, limit).map_err(|_| invalid())
    }
}

/// `GET /users/{id}/follows?type=followers|following&page&limit`: authentication is
/// optional; without it `isFollowing` is always false.
pub async fn list<G: SocialGraph>(
    graph: web::Data<G>,
    caller: MaybeAuthed<Anchor>,
    path: web::Path<String>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, AnchorError> {
    let owner = target_id(&path)?;
    let direction = params.direction()?;
    let page = params.page()?;
    let query = ListQuery::paged(Paging::Offset(page));
    let listing = match caller.0 {
        Some(caller) => run(&graph, &caller, move |g, me| g.list(Some(me), owner, direction, &query)).await?,
        None => run_anonymous(&graph, move |g| g.list(None, owner, direction, &query)).await?,
    };
    let items = listing
        .items
        .iter()
        .map(|listed| {
            let account = &listed.item.account;
            ListedUser {
                id: account.id.to_string(),
                username: at(account),
                display_name: display_name(account),
                profile_picture: account.profile_image_url.clone(),
                bio: account.bio.clone().unwrap_or_default(),
                is_following: listed.item.relation.is_following,
                followed_at: rfc3339(listed.since),
            }
        })
        .collect();
    let limit = i64::from(page.page_size());
    // The seed's numbers; `null` when the owner hides its counts from the caller (a Go
    // client decoding into an int keeps its zero value, and learns nothing).
    let total_pages = listing.total.map(|total| (total + limit - 1) / limit);
    let pagination =
        Pagination { page: page.page(), limit, total: listing.total, total_pages, has_more: listing.has_more };
    Ok(ok(ListPage { data: items, pagination }))
}
