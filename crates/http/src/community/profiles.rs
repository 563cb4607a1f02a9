//! Profiles: read one's own or another's, create, update.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{ProfilePatch, SocialGraph, Username};
use serde::{Deserialize, Deserializer};

use super::envelope::{self, ApiError};
use super::ids::user_id;
use super::profile_object::ProfileObject;
use crate::auth::Caller;
use crate::blocking::run;

/// The editable fields. Absent leaves a field alone; `null` clears a text field.
/// Unknown fields (the app sends `settings`) are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct ProfileBody {
    username: Option<String>,
    #[serde(default, deserialize_with = "present")]
    full_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    bio: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    profile_image_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    banner_image_url: Option<Option<String>>,
    is_private: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent (`None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl ProfileBody {
    fn into_patch(self) -> Result<ProfilePatch, ApiError> {
        let username = self
            .username
            .map(|raw| Username::parse(&raw).map_err(|e| ApiError::bad_request(format!("Invalid username: {e}"))))
            .transpose()?;
        Ok(ProfilePatch {
            username,
            full_name: self.full_name,
            bio: self.bio,
            profile_image_url: self.profile_image_url,
            banner_image_url: self.banner_image_url,
            is_private: self.is_private,
            // Badges and post counts are the administrators' and the host app's to set.
            is_verified: None,
            posts_count: None,
        })
    }
}

fn profile_answer(status: StatusCode, message: &str, view: &rookery_domain::ProfileView) -> HttpResponse {
    envelope::ok(status, message, ProfileObject::from(view))
}

pub async fn me<G: SocialGraph>(graph: web::Data<G>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let view = run(&graph, &caller, |g, me| g.profile(me, me)).await?;
    Ok(profile_answer(StatusCode::OK, "Profile retrieved successfully", &view))
}

pub async fn show<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    let view = run(&graph, &caller, move |g, me| g.profile(me, target)).await?;
    Ok(profile_answer(StatusCode::OK, "Profile retrieved successfully", &view))
}

/// `PATCH /profiles/me`, and `PUT|PATCH /profiles` as the app calls it.
pub async fn update<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    body: web::Json<ProfileBody>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.into_inner().into_patch()?;
    let view = run(&graph, &caller, move |g, me| g.update_profile(me, &patch)).await?;
    Ok(profile_answer(StatusCode::OK, "Profile updated successfully", &view))
}

/// `POST /profiles`: sets the caller's profile up (the account itself is provisioned
/// from the token). Answers 201, as the app expects.
pub async fn create<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    body: web::Json<ProfileBody>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.into_inner().into_patch()?;
    let view = run(&graph, &caller, move |g, me| g.update_profile(me, &patch)).await?;
    Ok(profile_answer(StatusCode::CREATED, "Profile created successfully", &view))
}
