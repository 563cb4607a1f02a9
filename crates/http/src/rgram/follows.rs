//! `POST|DELETE /api/follow/{user_id}`, `GET /api/followers/{user_id}` and
//! `GET /api/following/{user_id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{Direction, FollowOutcome, ListQuery, Paging, SocialGraph, UnfollowOutcome, UnfollowScope};
use serde_json::{Value, json};

use super::envelope::{Rgram, RgramError, ok};
use super::input::{PageParams, path_user_id};
use super::objects::{UserFields, pagination, user};
use super::requests::populated;
use crate::blocking::{run, run_anonymous};
use crate::dialect::{Authed, MaybeAuthed};

/// What a follow did.
enum Followed {
    Now,
    Already,
    Requested(Value),
}

/// `POST /api/follow/{user_id}`: a public account is followed at once; a private one
/// gets a request (answered with it, populated). Already following is a 200 with its
/// own message; a request already pending is 400, as `send` answers it.
pub async fn follow<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Rgram>,
    path: web::Path<String>,
) -> Result<HttpResponse, RgramError> {
    let target = path_user_id(&path)?;
    let followed = match graph.follow(&caller.0.identity, target).await? {
        FollowOutcome::Followed => Followed::Now,
        FollowOutcome::AlreadyFollowing => Followed::Already,
        FollowOutcome::Requested(pending) => {
            Followed::Requested(run(&graph, &caller.0, move |g, _| populated(g, pending)).await?)
        }
    };
    Ok(match followed {
        Followed::Now => ok::<Value>(StatusCode::OK, "Successfully followed user", None),
        Followed::Already => ok::<Value>(StatusCode::OK, "Already following this user", None),
        Followed::Requested(data) => {
            ok(StatusCode::OK, "Follow request sent successfully (private account)", Some(data))
        }
    })
}

/// `DELETE /api/follow/{user_id}`: only an accepted follow is undone
/// ([`UnfollowScope::FollowOnly`]). Without one it is 400 "You are not following this
/// user", and a pending request is left alone (cancel is for that).
pub async fn unfollow<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Rgram>,
    path: web::Path<String>,
) -> Result<HttpResponse, RgramError> {
    let target = path_user_id(&path)?;
    let outcome = graph.unfollow(&caller.0.identity, target, UnfollowScope::FollowOnly).await?;
    if outcome == UnfollowOutcome::Unfollowed {
        Ok(ok::<Value>(StatusCode::OK, "Successfully unfollowed user", None))
    } else {
        Err(RgramError::bad_request("You are not following this user"))
    }
}

async fn list<G: SocialGraph>(
    graph: web::Data<G>,
    caller: MaybeAuthed<Rgram>,
    path: web::Path<String>,
    params: web::Query<PageParams>,
    direction: Direction,
) -> Result<HttpResponse, RgramError> {
    let owner = path_user_id(&path)?;
    let page = params.parse()?;
    let query = ListQuery::paged(Paging::Offset(page));
    let authenticated = caller.0.is_some();
    let listing = match caller.0 {
        Some(caller) => run(&graph, &caller, move |g, me| g.list(Some(me), owner, direction, &query)).await,
        None => run_anonymous(&graph, move |g| g.list(None, owner, direction, &query)).await,
    }
    .map_err(|e| RgramError::listing(e, authenticated))?;
    let users: Vec<Value> = listing.items.iter().map(|l| user(&l.item.account, UserFields::WithBio)).collect();
    let (key, message) = match direction {
        Direction::Followers => ("followers", "Followers retrieved"),
        Direction::Following => ("following", "Following retrieved"),
    };
    let data = json!({ key: users, "pagination": pagination(page, listing.total) });
    Ok(ok(StatusCode::OK, message, Some(data)))
}

/// `GET /api/followers/{user_id}?page&limit`: a public account's followers need no
/// token; a private account's answer only to itself and its accepted followers.
pub async fn followers<G: SocialGraph>(
    graph: web::Data<G>,
    caller: MaybeAuthed<Rgram>,
    path: web::Path<String>,
    params: web::Query<PageParams>,
) -> Result<HttpResponse, RgramError> {
    list(graph, caller, path, params, Direction::Followers).await
}

/// `GET /api/following/{user_id}?page&limit`, as [`followers`].
pub async fn following<G: SocialGraph>(
    graph: web::Data<G>,
    caller: MaybeAuthed<Rgram>,
    path: web::Path<String>,
    params: web::Query<PageParams>,
) -> Result<HttpResponse, RgramError> {
    list(graph, caller, path, params, Direction::Following).await
}
