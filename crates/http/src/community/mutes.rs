//! `POST /mute`, `DELETE /mute/{user_id}` and `GET /mutes`. A mute is private to the
//! muter: nothing the muted account can read changes.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{MuteRequest, MuteState, SocialGraph};
use serde::{Deserialize, Serialize};

use super::answers;
use super::errors::ApiError;
use super::input::user_id;
use super::profile_object::ProfileObject;
use super::requests::PageQuery;
use crate::blocking::run;
use crate::community::errors::Community;
use crate::dialect::Authed;
use crate::time::rfc3339;

/// What `POST /mute` takes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MuteBody {
    /// The account to mute.
    #[schema(format = Uuid)]
    user_id: String,
    /// How long, in seconds (1 to 31536000, one year); absent or `null`: until unmuted.
    #[schema(minimum = 1, maximum = 31_536_000)]
    duration_secs: Option<i64>,
    /// Whether to silence its notifications too (default true).
    notifications: Option<bool>,
}

/// Where the caller's mute of an account stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MuteAnswer {
    /// Whether the caller mutes the account now.
    pub is_muting: bool,
    /// Whether the mute silences the account's notifications (left out after unmuting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muting_notifications: Option<bool>,
    /// When the mute ends; `null` for a mute until unmuted (left out after unmuting).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub mute_expires_at: Option<Option<String>>,
}

impl From<MuteState> for MuteAnswer {
    fn from(state: MuteState) -> Self {
        Self {
            is_muting: true,
            muting_notifications: Some(state.notifications),
            mute_expires_at: Some(state.expires_at.map(rfc3339)),
        }
    }
}

/// A muted account: its profile object (which carries `mute_expires_at`) and when
/// it was muted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MutedObject {
    #[serde(flatten)]
    pub profile: ProfileObject,
    /// When the mute was made or last changed.
    #[schema(format = DateTime)]
    pub muted_at: String,
}

/// A page of the caller's mutes in force, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MutedPage {
    pub users: Vec<MutedObject>,
    #[schema(minimum = 0)]
    pub total: i64,
    #[schema(minimum = 1)]
    pub page: u32,
    #[schema(minimum = 1, maximum = 100)]
    pub page_size: u32,
    pub has_more: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/community/mute",
    tag = "mutes",
    operation_id = "mute",
    summary = "Mute an account (privately), for a while or until unmuted",
    description = "Muting again replaces the mute. While a mute with `notifications` lasts, nothing the muted account does becomes a notification for the caller (stored, streamed or pushed); its follow requests still appear in the received list. An expired mute is gone at once.",
    request_body = MuteBody,
    responses(
        (status = 200, description = "`User muted`.", body = crate::community::answers::Envelope<crate::community::mutes::MuteAnswer>),
        (status = 400, description = "`Invalid user ID: must be a UUID`, `Cannot mute yourself`, `duration_secs must be between 1 and 31536000`, `Malformed JSON: ...`, `Invalid request body: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 404, description = "`User not found`: no live account with that id.", body = crate::community::errors::ErrorEnvelope),
        (status = 413, response = crate::community::errors::TooLarge),
        (status = 415, response = crate::community::errors::NotJson),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn mute<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    body: web::Json<MuteBody>,
) -> Result<HttpResponse, ApiError> {
    let MuteBody { user_id: raw, duration_secs, notifications } = body.into_inner();
    let request = MuteRequest::new(user_id(&raw)?, duration_secs, notifications)?;
    let state = run(&graph, &caller, move |g, me| g.mute(me, request)).await?;
    Ok(answers::ok(StatusCode::OK, "User muted", MuteAnswer::from(state)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/community/mute/{user_id}",
    tag = "mutes",
    operation_id = "unmute",
    summary = "Lift the caller's mute of an account",
    description = "Answers 200 `is_muting: false` whether or not there was a mute. Takes no body.",
    params(("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400.")),
    responses(
        (status = 200, description = "`User unmuted` or `User was not muted`.", body = crate::community::answers::Envelope<crate::community::mutes::MuteAnswer>),
        (status = 400, description = "`Invalid user ID: must be a UUID`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn unmute<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    let lifted = run(&graph, &caller, move |g, me| g.unmute(me, target)).await?;
    let answer = MuteAnswer { is_muting: false, muting_notifications: None, mute_expires_at: None };
    Ok(answers::ok(StatusCode::OK, if lifted { "User unmuted" } else { "User was not muted" }, answer))
}

#[utoipa::path(
    get,
    path = "/api/v1/community/mutes",
    tag = "mutes",
    operation_id = "muted_accounts",
    summary = "The accounts the caller mutes now, newest mute first",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of profile objects (with `mute_expires_at`) and `muted_at`.", body = crate::community::answers::Envelope<crate::community::mutes::MutedPage>),
        (status = 400, description = "`page must be 1 or more`, `page_size must be between 1 and 100`, `Invalid query string: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn list<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.parse()?;
    let muted = run(&graph, &caller, move |g, me| g.muted_accounts(me, page)).await?;
    let data = MutedPage {
        users: muted
            .items
            .iter()
            .map(|l| MutedObject { profile: ProfileObject::from(&l.item), muted_at: rfc3339(l.since) })
            .collect(),
        total: muted.total,
        page: page.page(),
        page_size: page.page_size(),
        has_more: muted.has_more(),
    };
    Ok(answers::ok(StatusCode::OK, "Muted users retrieved successfully", data))
}
