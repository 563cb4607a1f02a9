//! `GET /suggestions` and `DELETE /suggestions/{user_id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{SocialGraph, SuggestionReason};
use serde::{Deserialize, Serialize};

use super::answers;
use super::errors::ApiError;
use super::input::user_id;
use super::profile_object::ProfileObject;
use crate::blocking::run;
use crate::community::errors::Community;
use crate::dialect::Authed;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestionParams {
    /// How many suggestions.
    #[param(minimum = 1, maximum = 50, default = 20)]
    limit: Option<i64>,
}

/// Why an account is suggested.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReasonObject {
    /// `followed_by` (accounts the caller follows follow it) or `popular` (the caller
    /// follows no one).
    #[serde(rename = "type")]
    #[schema(pattern = "^(followed_by|popular)$")]
    pub kind: &'static str,
    /// With `followed_by`: how many of the caller's followings follow it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub count: Option<i64>,
    /// With `followed_by`: up to 3 of their usernames, the most-followed first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<Vec<String>>,
}

/// A suggested account: its profile object and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestionObject {
    #[serde(flatten)]
    pub profile: ProfileObject,
    pub reason: ReasonObject,
}

/// `data` of `GET /suggestions`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestionsAnswer {
    /// Best first.
    pub suggestions: Vec<SuggestionObject>,
}

/// `data` of `DELETE /suggestions/{user_id}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DismissedAnswer {
    /// The dismissed account.
    #[schema(format = Uuid)]
    pub user_id: String,
    /// Always true.
    pub dismissed: bool,
}

fn reason(reason: &SuggestionReason) -> ReasonObject {
    match reason {
        SuggestionReason::FollowedBy { count, sample } => ReasonObject {
            kind: "followed_by",
            count: Some(*count),
            sample: Some(sample.iter().map(ToString::to_string).collect()),
        },
        SuggestionReason::Popular => ReasonObject { kind: "popular", count: None, sample: None },
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/community/suggestions",
    tag = "lists",
    operation_id = "suggestions",
    summary = "Accounts the caller may want to follow",
    description = "Accounts followed by the accounts the caller follows, ranked by how many of the caller's followings follow each, then by `followers_count`, then by id. Never the caller, an account it follows or has asked to follow, one blocked either way, one it mutes (while the mute lasts), a deleted or a dismissed one. A caller who follows no one gets the most-followed accounts (`reason.type: popular`). Exact while the caller's followings (at most 2,000 of them) follow at most 25,000 accounts between them; beyond, the candidates come from a sample of the caller's newest followings' lists and are re-counted exactly (see docs/api.md).",
    params(SuggestionParams),
    responses(
        (status = 200, description = "Profile objects with `reason`, best first.", body = crate::community::answers::Envelope<crate::community::suggestions::SuggestionsAnswer>),
        (status = 400, description = "`limit must be between 1 and 50`, `Invalid query string: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn list<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    params: web::Query<SuggestionParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = params.limit;
    let found = run(&graph, &caller, move |g, me| g.suggestions(me, limit)).await?;
    let suggestions = found
        .iter()
        .map(|s| SuggestionObject { profile: ProfileObject::from(&s.item), reason: reason(&s.reason) })
        .collect();
    Ok(answers::ok(StatusCode::OK, "Suggestions retrieved successfully", SuggestionsAnswer { suggestions }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/community/suggestions/{user_id}",
    tag = "lists",
    operation_id = "dismiss_suggestion",
    summary = "Never suggest this account again",
    description = "Idempotent: dismissing again answers 200 too.",
    params(("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400.")),
    responses(
        (status = 200, description = "Dismissed.", body = crate::community::answers::Envelope<crate::community::suggestions::DismissedAnswer>),
        (status = 400, description = "`Invalid user ID: must be a UUID`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 404, description = "`User not found`: no live account with that id.", body = crate::community::errors::ErrorEnvelope),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn dismiss<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    run(&graph, &caller, move |g, me| g.dismiss_suggestion(me, target)).await?;
    let data = DismissedAnswer { user_id: target.to_string(), dismissed: true };
    Ok(answers::ok(StatusCode::OK, "Suggestion dismissed", data))
}
