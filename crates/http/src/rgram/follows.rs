//! `POST|DELETE /api/follow/{user_id}`, `GET /api/followers/{user_id}` and
//! `GET /api/following/{user_id}`.

use super::answers::{Followers, Following, Pagination, User, UserFields, done, ok};
use super::errors::{Rgram, RgramError};
use super::input::{PageParams, path_user_id};
use super::requests::populated;
use crate::blocking::{run, run_anonymous};
use crate::dialect::{Authed, MaybeAuthed};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::service::FollowShown;
use rookery_domain::{Direction, ListQuery, Paging, SocialGraph, UnfollowOutcome, UnfollowScope};

/// `POST /api/follow/{user_id}`: a public account is followed at once; a private one
/// gets a request (answered with it, populated). Already following is a 200 with its
/// own message; a request already pending is 400, as `send` answers it.
pub async fn follow<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Rgram>,
    path: web::Path<String>,
) -> Result<HttpResponse, RgramError> {
    let target = path_user_id(&path)?;
    Ok(match graph.follow_showing_request(&caller.identity, target).await? {
        FollowShown::Followed => done("Successfully followed user"),
        FollowShown::AlreadyFollowing => done("Already following this user"),
        FollowShown::Requested(shown) => {
            ok(StatusCode::OK, "Follow request sent successfully (private account)", Some(populated(&shown)))
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
        Ok(done("Successfully unfollowed user"))
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
    let users = listing.items.iter().map(|l| User::of(&l.item.account, UserFields::WithBio)).collect();
    let pagination = match listing.total {
        Some(total) => Pagination::of(page, total),
        None => Pagination::hidden(page, listing.has_more),
    };
    Ok(match direction {
        Direction::Followers => {
            ok(StatusCode::OK, "Followers retrieved", Some(Followers { followers: users, pagination }))
        }
        Direction::Following => {
            ok(StatusCode::OK, "Following retrieved", Some(Following { following: users, pagination }))
        }
    })
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
