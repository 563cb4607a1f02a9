//! Profiles: read one's own or another's, create, update.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{ProfilePatch, SocialGraph, Username, WebUrl, WebUrlError};
use serde::{Deserialize, Deserializer};
use utoipa::openapi::schema::SchemaType;
use utoipa::openapi::{Object, ObjectBuilder, Type};

use super::answers;
use super::errors::ApiError;
use super::errors::Community;
use super::input::user_id;
use super::profile_object::ProfileObject;
use crate::blocking::run;
use crate::dialect::Authed;

/// What a URL field accepts, for the document: what `WebUrl::parse` accepts (`http`
/// or `https` in any case, a host, no white space or control characters inside,
/// surrounding white space trimmed), or nothing but white space, which clears it.
const WEB_URL_PATTERN: &str = r"^\s*([Hh][Tt][Tt][Pp][Ss]?://([^/?#\s\x00-\x1f\x7f]*@)?[^:/?#@\s\x00-\x1f\x7f][^/?#@\s\x00-\x1f\x7f]*([/?#][^\s\x00-\x1f\x7f]*)?)?\s*$";

/// A URL field of the body, as the document states it: a string [`WEB_URL_PATTERN`]
/// matches, of at most 2048 characters, or `null` (clears it).
fn web_url_field(description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .description(Some(description))
        .max_length(Some(WebUrl::MAX_LEN))
        .pattern(Some(WEB_URL_PATTERN))
        .build()
}

fn avatar_url_field() -> Object {
    web_url_field("Avatar URL, `http` or `https`; `null` clears it.")
}

fn banner_url_field() -> Object {
    web_url_field("Banner URL, `http` or `https`; `null` clears it.")
}

/// The editable fields. Absent leaves a field alone; `null` clears a text field.
/// Unknown fields (the app sends `settings`) are ignored.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ProfileBody {
    /// Letters, digits, `_` and `.`, 1 to 30 (a leading `@` is dropped); unique,
    /// case-insensitively. `null` leaves it alone.
    #[schema(pattern = "^@?[A-Za-z0-9_.]{1,30}$")]
    username: Option<String>,
    /// Display name; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 100)]
    full_name: Option<Option<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 500)]
    bio: Option<Option<String>>,
    /// Avatar URL; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = avatar_url_field)]
    profile_image_url: Option<Option<String>>,
    /// Banner URL; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = banner_url_field)]
    banner_image_url: Option<Option<String>>,
    /// Private accounts answer follows with requests; switching to public accepts
    /// every pending one.
    is_private: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent (`None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl ProfileBody {
    /// The patch this body asks for (never the admin-only fields).
    pub(crate) fn into_patch(self) -> Result<ProfilePatch, ApiError> {
        let username = self
            .username
            .map(|raw| Username::parse(&raw).map_err(|e| ApiError::bad_request(format!("Invalid username: {e}"))))
            .transpose()?;
        Ok(ProfilePatch {
            username,
            full_name: self.full_name,
            bio: self.bio,
            profile_image_url: web_url("profile_image_url", self.profile_image_url)?,
            banner_image_url: web_url("banner_image_url", self.banner_image_url)?,
            is_private: self.is_private,
            // Badges and post counts are the administrators' and the host app's to set.
            is_verified: None,
            posts_count: None,
        })
    }
}

/// An image URL field of a body: `null` (or an empty string, as form-based clients
/// send) clears it; anything else must be an `http` or `https` URL.
fn web_url(field: &str, value: Option<Option<String>>) -> Result<Option<Option<WebUrl>>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    // The limit counts what was sent, white space included, as the document states it.
    if value.as_deref().is_some_and(|raw| raw.chars().count() > WebUrl::MAX_LEN) {
        return Err(ApiError::bad_request(format!("{field} {}", WebUrlError::TooLong)));
    }
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(Some(None)),
        Some(raw) => {
            WebUrl::parse(raw).map(|url| Some(Some(url))).map_err(|e| ApiError::bad_request(format!("{field} {e}")))
        }
    }
}

fn profile_answer(status: StatusCode, message: &str, view: &rookery_domain::ProfileView) -> HttpResponse {
    answers::ok(status, message, ProfileObject::from(view))
}

#[utoipa::path(
    get,
    path = "/api/v1/community/profiles/me",
    tag = "profiles",
    operation_id = "my_profile",
    summary = "The caller's profile object",
    responses(
        (status = 200, description = "The caller's profile (`is_self: true`).", body = crate::community::answers::Envelope<crate::community::profile_object::ProfileObject>),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn me<G: SocialGraph>(graph: web::Data<G>, caller: Authed<Community>) -> Result<HttpResponse, ApiError> {
    let view = run(&graph, &caller, |g, me| g.profile(me, me)).await?;
    Ok(profile_answer(StatusCode::OK, "Profile retrieved successfully", &view))
}

#[utoipa::path(
    get,
    path = "/api/v1/community/profiles/{user_id}",
    tag = "profiles",
    operation_id = "profile",
    summary = "An account's profile object, as the caller sees it",
    params(("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400.")),
    responses(
        (status = 200, description = "The profile, with the caller's relation to it.", body = crate::community::answers::Envelope<crate::community::profile_object::ProfileObject>),
        (status = 400, description = "`Invalid user ID: must be a UUID`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 404, description = "`User not found`: no live account with that id.", body = crate::community::errors::ErrorEnvelope),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn show<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    let view = run(&graph, &caller, move |g, me| g.profile(me, target)).await?;
    Ok(profile_answer(StatusCode::OK, "Profile retrieved successfully", &view))
}

/// `PATCH /profiles/me`, and `PUT|PATCH /profiles` as the app calls it.
#[utoipa::path(
    patch,
    path = "/api/v1/community/profiles/me",
    tag = "profiles",
    operation_id = "update_profile",
    summary = "Edit the caller's profile",
    description = "A field left out is left alone; `null` clears a text field; unknown fields are ignored. Switching `is_private` from true to false accepts every pending request at once. Also answered at `PUT /profiles/me` and at `PUT` and `PATCH /profiles`, as seed 002's app calls it.",
    request_body = ProfileBody,
    responses(
        (status = 200, description = "`Profile updated successfully`: the profile as it now is.", body = crate::community::answers::Envelope<crate::community::profile_object::ProfileObject>),
        (status = 400, description = "`Invalid username: ...`, `full_name must be at most 100 characters`, `bio must be at most 500 characters`, `profile_image_url must be an http or https URL`, `profile_image_url must be at most 2048 characters` (the same for `banner_image_url`), `Malformed JSON: ...`, `Invalid request body: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 409, description = "`Username already taken`.", body = crate::community::errors::ErrorEnvelope),
        (status = 413, response = crate::community::errors::TooLarge),
        (status = 415, response = crate::community::errors::NotJson),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn update<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    body: web::Json<ProfileBody>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.into_inner().into_patch()?;
    let view = run(&graph, &caller, move |g, me| g.update_profile(me, &patch)).await?;
    Ok(profile_answer(StatusCode::OK, "Profile updated successfully", &view))
}

/// `POST /profiles`: sets the caller's profile up (the account itself is provisioned
/// from the token). Answers 201, as the app expects.
#[utoipa::path(
    post,
    path = "/api/v1/community/profiles",
    tag = "profiles",
    operation_id = "create_profile",
    summary = "Set the caller's profile up",
    description = "The account itself is provisioned from the token; this sets its fields, as `PATCH /profiles/me` does, and answers 201 as seed 002's app expects.",
    request_body = ProfileBody,
    responses(
        (status = 201, description = "`Profile created successfully`: the profile as it now is.", body = crate::community::answers::Envelope<crate::community::profile_object::ProfileObject>),
        (status = 400, description = "`Invalid username: ...`, `full_name must be at most 100 characters`, `bio must be at most 500 characters`, `profile_image_url must be an http or https URL`, `profile_image_url must be at most 2048 characters` (the same for `banner_image_url`), `Malformed JSON: ...`, `Invalid request body: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 409, description = "`Username already taken`.", body = crate::community::errors::ErrorEnvelope),
        (status = 413, response = crate::community::errors::TooLarge),
        (status = 415, response = crate::community::errors::NotJson),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn create<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    body: web::Json<ProfileBody>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.into_inner().into_patch()?;
    let view = run(&graph, &caller, move |g, me| g.update_profile(me, &patch)).await?;
    Ok(profile_answer(StatusCode::CREATED, "Profile created successfully", &view))
}
