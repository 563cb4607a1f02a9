//! The admin API under `/api/v1/admin`: tokens with `role: admin` only. It answers in
//! the canonical envelope.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{ProfilePatch, ProfileView, Relation, SocialGraph, Username};
use serde::{Deserialize, Deserializer};
use serde_json::json;

use crate::auth::Caller;
use crate::blocking::run;
use crate::community::envelope::{self, ApiError};
use crate::community::profile_object::ProfileObject;
use crate::community::envelope::Community;

fn resource(path: &str) -> actix_web::Resource {
    crate::fallback::resource::<Community>(path)
}

pub fn routes<G: SocialGraph>(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/users/{user_id}").route(web::put().to(upsert::<G>)).route(web::delete().to(delete::<G>)));
}

/// Every field an administrator may set; absent leaves a field alone, `null` clears
/// a text field.
#[derive(Debug, Deserialize)]
pub struct AdminBody {
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
    is_verified: Option<bool>,
    posts_count: Option<i64>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_admin { Ok(()) } else { Err(ApiError::new(StatusCode::FORBIDDEN, "Admin access required")) }
}

fn account_id(raw: &str) -> Result<rookery_domain::AccountId, ApiError> {
    raw.parse().map_err(|_| ApiError::bad_request("Invalid user ID: must be a UUID"))
}

async fn upsert<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<AdminBody>,
) -> Result<HttpResponse, ApiError> {
    admin_only(&caller)?;
    let id = account_id(&path)?;
    let body = body.into_inner();
    let username = body
        .username
        .map(|raw| Username::parse(&raw).map_err(|e| ApiError::bad_request(format!("Invalid username: {e}"))))
        .transpose()?;
    let patch = ProfilePatch {
        username,
        full_name: body.full_name,
        bio: body.bio,
        profile_image_url: body.profile_image_url,
        banner_image_url: body.banner_image_url,
        is_private: body.is_private,
        is_verified: body.is_verified,
        posts_count: body.posts_count,
    };
    let (account, created) = run(&graph, &caller, move |g, _| g.admin_upsert(id, &patch)).await?;
    let view = ProfileView { account, relation: Relation::default() };
    let (status, message) =
        if created { (StatusCode::CREATED, "User created") } else { (StatusCode::OK, "User updated") };
    Ok(envelope::ok(status, message, ProfileObject::from(&view)))
}

async fn delete<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    admin_only(&caller)?;
    let id = account_id(&path)?;
    run(&graph, &caller, move |g, _| g.admin_delete(id)).await?;
    Ok(envelope::ok(StatusCode::OK, "User deleted", json!({ "user_id": id.to_string(), "deleted": true })))
}
