//! The admin API under `/api/v1/admin`: tokens with `role: admin` only. It answers in
//! the canonical envelope.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use rookery_domain::ports::StoreError;
use rookery_domain::{GraphError, ProfilePatch, ProfileView, Relation, SocialGraph};
use serde::Deserialize;

use crate::auth::{Authenticating, Caller};
use crate::blocking::run;
use crate::community::answers::{self, AccountRemoved};
use crate::community::errors::ApiError;
use crate::community::errors::Community;
use crate::community::input::user_id;
use crate::community::profile_object::ProfileObject;
use crate::community::profiles::ProfileBody;
use crate::dialect::Authed;

fn resource(path: &str) -> crate::fallback::Endpoint<Community> {
    crate::fallback::resource::<Community>(path)
}

pub fn routes<G: SocialGraph>(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/users/{user_id}").put(upsert::<G>).delete(delete::<G>));
}

/// Every field an administrator may set: the profile fields a user may set, plus the
/// badge and the post count.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AdminBody {
    #[serde(flatten)]
    profile: ProfileBody,
    /// The verification badge.
    is_verified: Option<bool>,
    /// The post count the host app keeps.
    #[schema(minimum = 0)]
    posts_count: Option<i64>,
}

/// The caller of an admin route, let through by the admin API's one guard: a token
/// with `role: admin` whose account, if it has one, was not deleted (a deleted
/// account's tokens answer 403 everywhere). It provisions no account: an operator's
/// token reading the feed is not a member of the graph.
pub struct Admin<G>(pub Caller, PhantomData<G>);

impl<G> std::ops::Deref for Admin<G> {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl<G: SocialGraph> FromRequest for Admin<G> {
    type Error = ApiError;
    type Future = Authenticating<Self, ApiError>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let authed = Authed::<Community>::from_request(req, payload);
        let graph = req.app_data::<web::Data<G>>().cloned();
        Box::pin(async move {
            let caller = authed.await?.0;
            if !caller.is_admin {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "Admin access required"));
            }
            let graph = graph.ok_or_else(|| {
                ApiError::from(GraphError::Store(StoreError::Unavailable("the graph is not configured".into())))
            })?;
            graph.refuse_deleted(caller.identity.id).await?;
            Ok(Self(caller, PhantomData))
        })
    }
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/users/{user_id}",
    tag = "admin",
    operation_id = "admin_upsert_user",
    summary = "Create or update an account",
    description = "Creates the account with this id (a `username` is then required, 201) or updates it (200): every profile field, plus `is_verified` and `posts_count`. A field left out is left alone; `null` clears a text field.",
    params(("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400.")),
    request_body = AdminBody,
    responses(
        (status = 200, description = "`User updated`: the profile object.", body = crate::community::answers::Envelope<crate::community::profile_object::ProfileObject>),
        (status = 201, description = "`User created`: the profile object.", body = crate::community::answers::Envelope<crate::community::profile_object::ProfileObject>),
        (status = 400, description = "`Invalid user ID: must be a UUID`, `username is required to create an account`, `Invalid username: ...`, `full_name must be at most 100 characters`, `bio must be at most 500 characters`, `posts_count must not be negative`, `Malformed JSON: ...`, `Invalid request body: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, description = "`Admin access required`: the token has no `role: admin`. `This account has been deleted`: the caller's account was deleted.", body = crate::community::errors::ErrorEnvelope),
        (status = 404, description = "`User not found`: the account was deleted.", body = crate::community::errors::ErrorEnvelope),
        (status = 409, description = "`Username already taken`.", body = crate::community::errors::ErrorEnvelope),
        (status = 413, response = crate::community::errors::TooLarge),
        (status = 415, response = crate::community::errors::NotJson),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
async fn upsert<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Admin<G>,
    path: web::Path<String>,
    body: web::Json<AdminBody>,
) -> Result<HttpResponse, ApiError> {
    let id = user_id(&path)?;
    let body = body.into_inner();
    let patch =
        ProfilePatch { is_verified: body.is_verified, posts_count: body.posts_count, ..body.profile.into_patch()? };
    let (account, created) = run(&graph, &caller, move |g, _| g.admin_upsert(id, &patch)).await?;
    let view = ProfileView::new(account, Relation::default());
    let (status, message) =
        if created { (StatusCode::CREATED, "User created") } else { (StatusCode::OK, "User updated") };
    Ok(answers::ok(status, message, ProfileObject::from(&view)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/users/{user_id}",
    tag = "admin",
    operation_id = "admin_delete_user",
    summary = "Soft-delete an account",
    description = "Its edges, requests, blocks and notifications go, counterparts' counts follow, its username is freed, its profile answers 404 and its tokens 403. Takes no body.",
    params(("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400.")),
    responses(
        (status = 200, description = "`User deleted`.", body = crate::community::answers::Envelope<crate::community::answers::AccountRemoved>),
        (status = 400, description = "`Invalid user ID: must be a UUID`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, description = "`Admin access required`: the token has no `role: admin`. `This account has been deleted`: the caller's account was deleted.", body = crate::community::errors::ErrorEnvelope),
        (status = 404, description = "`User not found`: no live account with that id.", body = crate::community::errors::ErrorEnvelope),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
async fn delete<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Admin<G>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = user_id(&path)?;
    run(&graph, &caller, move |g, _| g.admin_delete(id)).await?;
    Ok(answers::ok(StatusCode::OK, "User deleted", AccountRemoved { user_id: id.to_string(), deleted: true }))
}
