//! The three endpoints.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{
    Account, AccountId, Direction, FollowOutcome, GraphError, ListQuery, PageRequest, Paging, SocialGraph,
    UnfollowScope,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::envelope::{Anchor, AnchorError, ok};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Follow,
    Unfollow,
}

fn action(body: &Value) -> Result<Action, AnchorError> {
    match body.get("action").and_then(Value::as_str) {
        Some("follow") => Ok(Action::Follow),
        Some("unfollow") => Ok(Action::Unfollow),
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
    let identity = &caller.0.identity;
    let (following, pending) = match action {
        Action::Follow => match graph.follow(identity, target).await {
            Ok(FollowOutcome::Followed | FollowOutcome::AlreadyFollowing) => (true, false),
            Ok(FollowOutcome::Requested(_)) | Err(GraphError::RequestAlreadyPending) => (false, true),
            Err(other) => return Err(other.into()),
        },
        Action::Unfollow if identity.id == target => return Err(GraphError::CannotFollowSelf.into()),
        Action::Unfollow => {
            graph.unfollow(identity, target, UnfollowScope::FollowOrRequest).await?;
            (false, false)
        }
    };
    // The counts after the action, as the seed answers them.
    let (target, me) = run(&graph, &caller.0, move |g, me| Ok((g.account(target)?, g.account(me)?))).await?;
    let mut data = json!({
        "isFollowing": following,
        "targetUser": {
            "id": target.id.to_string(),
            "username": at(&target),
            "displayName": display_name(&target),
            "followerCount": target.followers_count,
        },
        "currentUser": { "followingCount": me.following_count },
    });
    if pending && let Some(map) = data.as_object_mut() {
        map.insert("followRequestStatus".into(), "pending".into());
    }
    Ok(ok(data))
}

/// `GET /users/{id}/follow/status`.
pub async fn status<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Anchor>,
    path: web::Path<String>,
) -> Result<HttpResponse, AnchorError> {
    let target = target_id(&path)?;
    let relation = run(&graph, &caller.0, move |g, me| g.relation(me, target)).await?;
    Ok(ok(json!({
        "isFollowing": relation.is_following,
        "isFollowedBy": relation.follows_viewer,
        "isMutual": relation.is_mutual(),
    })))
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
    let items: Vec<Value> = listing
        .items
        .iter()
        .map(|listed| {
            let account = &listed.item.account;
            json!({
                "id": account.id.to_string(),
                "username": at(account),
                "displayName": display_name(account),
                "profilePicture": account.profile_image_url,
                "bio": account.bio.clone().unwrap_or_default(),
                "isFollowing": listed.item.relation.is_following,
                "followedAt": rfc3339(listed.since),
            })
        })
        .collect();
    let limit = i64::from(page.page_size());
    let total_pages = (listing.total + limit - 1) / limit;
    Ok(ok(json!({
        "data": items,
        "pagination": {
            "page": page.page(),
            "limit": limit,
            "total": listing.total,
            "totalPages": total_pages,
            "hasMore": listing.has_more,
        },
    })))
}
