//! The OpenAPI 3.1 document of the canonical API (`/api/v1/community`), the admin API
//! (`/api/v1/admin`) and the probes, served at `GET /openapi.json`, and an interactive
//! reference for it at `GET /docs`.
//!
//! The document is generated from the code: every handler carries a `#[utoipa::path]`
//! annotation (method, path, parameters, body, every status it can answer), request
//! bodies and query strings derive their schemas from the structs the handlers parse,
//! and [`ApiDoc`] collects them. Answers the handlers build with `json!` are described
//! by the schema structs below, field for field; they exist only to be described.
//!
//! `/docs` is one HTML page with its script inline (`assets/docs.html`), compiled into
//! the binary: it fetches `/openapi.json` and renders it, and its
//! `Content-Security-Policy` lets it load nothing from anywhere else.

#![allow(dead_code, reason = "the schema structs describe answers built with json!; they are never constructed")]

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Object, OpenApi as Document, PathItem, Ref, RefOr};
use utoipa::{Modify, OpenApi, ToResponse, ToSchema};

use crate::Dialects;
use crate::community::envelope::Community;
use crate::community::profile_object::ProfileObject;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/openapi.json";
/// Where the interactive reference is served.
pub const DOCS_PATH: &str = "/docs";
/// The canonical dialect's base path.
const COMMUNITY_BASE: &str = "/api/v1/community";

/// The page served at `/docs`: HTML, CSS and script in one file, nothing fetched
/// but `/openapi.json` and the requests a reader sends with "Try it".
const DOCS_PAGE: &str = include_str!("../assets/docs.html");

/// What the docs page may load: its own inline script and style, and requests to
/// this origin. No other origin, so no CDN.
const DOCS_CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                        connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
                        frame-ancestors 'none'";

const DESCRIPTION: &str = r#"Rookery's canonical API (the `community` dialect: seed 002 with SPEC section 5's extensions), its admin API and its health probes.

**Envelope.** Every answer of the API is JSON (the notification stream aside). Success: `{"status":"success","success":true,"message":"...","data":{...}}`. Error: `{"status":"error","success":false,"message":"...","status_code":N}`, where `status_code` is the HTTP status. An unknown path answers 404 (`No route for GET /path`) and a known path with another method 405 (`Method X is not allowed on /path`), both in the error envelope.

**Authentication.** `Authorization: Bearer <JWT>` on every API endpoint (the probes need none). The algorithm is fixed by configuration (HS256 with `ROOKERY_JWT_SECRET`, or RS256/ES256 with `ROOKERY_JWT_PUBLIC_KEY`); `exp` is required and checked with 30 s of leeway; `sub` is the account id (a UUID) and an unknown one is provisioned on first use from the `username`/`preferred_username` and `name` claims. A token whose `role` claim is `admin` may use the admin API. The notification stream also takes the token as `?access_token=`, for browsers' `EventSource`.

**Ids** are UUIDs: a path segment or body field that is not one answers 400. **Timestamps** are RFC 3339 in UTC with `Z`. **Bodies** are JSON (`Content-Type: application/json`) of at most 65536 bytes; unknown fields are ignored. Endpoints that take no body ignore whatever is sent."#;

/// The document: every operation of the canonical dialect, the admin API and the
/// probes.
#[derive(OpenApi)]
#[openapi(
    info(title = "Rookery", description = DESCRIPTION),
    paths(
        crate::community::follows::follow,
        crate::community::follows::unfollow,
        crate::community::follows::status,
        crate::community::bulk::follow_batch,
        crate::community::bulk::unfollow_batch,
        crate::community::requests::received,
        crate::community::requests::sent,
        crate::community::requests::accept,
        crate::community::requests::decline,
        crate::community::requests::cancel,
        crate::community::requests::status,
        crate::community::profiles::me,
        crate::community::profiles::update,
        crate::community::profiles::create,
        crate::community::profiles::show,
        crate::community::lists::followers,
        crate::community::lists::following,
        crate::community::lists::relationships,
        crate::community::suggestions::list,
        crate::community::suggestions::dismiss,
        crate::community::blocks::remove_follower,
        crate::community::blocks::block,
        crate::community::blocks::unblock,
        crate::community::blocks::status,
        crate::community::blocks::list,
        crate::community::notifications::list,
        notification_stream,
        crate::community::notifications::unread_count,
        crate::community::notifications::mark_as_seen,
        crate::community::notifications::register_device,
        crate::community::notifications::remove_device,
        crate::admin::upsert,
        crate::admin::delete,
        crate::health::healthz,
        crate::health::readyz,
    ),
    components(
        schemas(ErrorEnvelope, StreamConnected, StreamNotification, StreamUnreadCount),
        responses(Unauthorized, AccountDeleted, Unavailable, TooLarge, NotJson),
    ),
    modifiers(&SecuritySchemes, &ProfileAliases, &PinnedErrorStatus, &OptionalBodies),
    tags(
        (name = "follows", description = "Following, unfollowing, and how the caller stands towards an account."),
        (name = "follow-requests", description = "Requests to follow private accounts: the lists, the answers, cancelling."),
        (name = "profiles", description = "Profile objects: read one's own or another's, set one's own up."),
        (name = "lists", description = "Followers and following lists, and relationships to many accounts at once."),
        (name = "blocks", description = "Blocking, and removing followers."),
        (name = "notifications", description = "The inbox, its live stream, and push targets."),
        (name = "admin", description = "The admin API: tokens whose `role` claim is `admin` only."),
        (name = "health", description = "Probes for orchestrators: no authentication."),
    )
)]
pub struct ApiDoc;

/// The document for the dialects this server mounts: without the canonical dialect,
/// its paths are left out.
#[must_use]
pub fn document(dialects: Dialects) -> Document {
    let mut document = ApiDoc::openapi();
    if !dialects.community {
        document.paths.paths.retain(|path, _| !path.starts_with(COMMUNITY_BASE));
    }
    document
}

/// Mounts `GET /openapi.json` and `GET /docs`; other methods answer 405 in the
/// canonical envelope.
pub fn routes(dialects: Dialects) -> impl FnOnce(&mut web::ServiceConfig) {
    // Rendered once per worker; a document that does not serialise is a bug the
    // tests catch, and is then served as an empty object rather than taking the
    // server down.
    let json = web::Bytes::from(document(dialects).to_json().unwrap_or_else(|_| "{}".to_owned()));
    move |cfg| {
        cfg.service(crate::fallback::resource::<Community>(DOCUMENT_PATH).route(web::get().to(move || {
            let json = json.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .insert_header((header::CACHE_CONTROL, "no-cache"))
                    .body(json)
            }
        })))
        .service(crate::fallback::resource::<Community>(DOCS_PATH).route(web::get().to(docs_page)));
    }
}

async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, DOCS_CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(DOCS_PAGE)
}

// ---------------------------------------------------------------------------------
// The stream's handler lives in `sse::stream`; its operation is described here.

/// Opens the caller's live notification stream (Server-Sent Events).
///
/// The first event is always `{"type":"connected","unread_count":N}`. Each new
/// notification follows as an event with an `id:` line (the notification id) and a
/// `data:` line with seed 002's payload (`StreamNotification`); when the unread count
/// drops (mark-as-seen on any device), `{"type":"unread_count","count":N}`. No event
/// has an `event:` line, so `EventSource.onmessage` receives them all. A comment line
/// `: heartbeat` comes every `ROOKERY_SSE_HEARTBEAT_SECS` (15 s). Reconnecting with
/// `Last-Event-ID` (or `?last_event_id=`) first replays what was missed, oldest
/// first (up to 1000). The stream does not end by itself.
#[utoipa::path(
    get,
    path = "/api/v1/community/notifications/stream",
    tag = "notifications",
    operation_id = "notification_stream",
    params(
        ("Last-Event-ID" = Option<uuid::Uuid>, Header,
            description = "The id of the last notification seen: what came after it is replayed first."),
        ("last_event_id" = Option<uuid::Uuid>, Query,
            description = "The same as `Last-Event-ID`, for clients that cannot set headers; the header wins."),
    ),
    responses(
        (status = 200, description = "The stream: `text/event-stream`, one `data:` line of JSON per event (see \
            `StreamConnected`, `StreamNotification`, `StreamUnreadCount`), `id:` lines on notifications, \
            `: heartbeat` comments.", content_type = "text/event-stream", body = String,
            headers(("Cache-Control" = String, description = "`no-cache`"))),
        (status = 400, description = "`Invalid Last-Event-ID`: not a UUID.", body = ErrorEnvelope),
        (status = 401, response = Unauthorized),
        (status = 403, response = AccountDeleted),
        (status = 429, description = "`Too many open notification streams`: the account has \
            `ROOKERY_SSE_MAX_STREAMS_PER_ACCOUNT` (8) open already.", body = ErrorEnvelope),
        (status = 503, description = "`The server is shutting down`, or `Service temporarily unavailable, please \
            retry`.", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("access_token" = [])),
)]
fn notification_stream() {}

// ---------------------------------------------------------------------------------
// Shared error answers.

/// Seed 002's error envelope. `status_code` repeats the HTTP status.
#[derive(ToSchema)]
pub struct ErrorEnvelope {
    /// Always `error`.
    #[schema(schema_with = error_tag)]
    pub status: String,
    /// Always `false`.
    #[schema(schema_with = false_value)]
    pub success: bool,
    /// What went wrong, for people.
    pub message: String,
    /// The HTTP status again.
    #[schema(minimum = 400, maximum = 599)]
    pub status_code: u16,
}

/// An error answer with `status_code` pinned to its HTTP status.
fn error_answer(status: u16, description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(pinned_error(status))).build())
        .build()
}

/// `ErrorEnvelope` whose `status_code` can only be `status`.
fn pinned_error(status: u16) -> Schema {
    let pin = ObjectBuilder::new()
        .property("status_code", ObjectBuilder::new().schema_type(Type::Integer).enum_values(Some([status])))
        .required("status_code");
    AllOfBuilder::new().item(Ref::from_schema_name(ErrorEnvelope::name())).item(pin).build().into()
}

/// 401: no token, or one that does not verify.
pub struct Unauthorized;

impl<'r> ToResponse<'r> for Unauthorized {
    fn response() -> (&'r str, RefOr<Response>) {
        let text = "`Authentication required`: no `Authorization` header. `Invalid or expired token`: a header \
                    that is not `Bearer <token>`, a bad signature, another algorithm (`none` included), an `exp` \
                    more than 30 s past, a `sub` that is not a UUID, or the wrong `iss`/`aud`.";
        ("Unauthorized", error_answer(401, text).into())
    }
}

/// 403: the caller's own account was deleted.
pub struct AccountDeleted;

impl<'r> ToResponse<'r> for AccountDeleted {
    fn response() -> (&'r str, RefOr<Response>) {
        (
            "AccountDeleted",
            error_answer(403, "`This account has been deleted`: the token's account was deleted.").into(),
        )
    }
}

/// 503: no database connection in time, or a relationship that kept changing.
pub struct Unavailable;

impl<'r> ToResponse<'r> for Unavailable {
    fn response() -> (&'r str, RefOr<Response>) {
        let text = "`Service temporarily unavailable, please retry`: no database connection in time, a \
                    relationship that kept changing under four attempts, or shutdown.";
        ("Unavailable", error_answer(503, text).into())
    }
}

/// 413: a body over the limit.
pub struct TooLarge;

impl<'r> ToResponse<'r> for TooLarge {
    fn response() -> (&'r str, RefOr<Response>) {
        ("TooLarge", error_answer(413, "`Request body is larger than 65536 bytes`.").into())
    }
}

/// 415: a body that is not JSON.
pub struct NotJson;

impl<'r> ToResponse<'r> for NotJson {
    fn response() -> (&'r str, RefOr<Response>) {
        ("NotJson", error_answer(415, "`Content-Type must be application/json`.").into())
    }
}

// ---------------------------------------------------------------------------------
// Schema helpers.

fn constant_string(value: &str) -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some([value])).build()
}

fn success_tag() -> Object {
    constant_string("success")
}

fn error_tag() -> Object {
    constant_string("error")
}

fn true_value() -> Object {
    ObjectBuilder::new().schema_type(Type::Boolean).enum_values(Some([true])).build()
}

fn false_value() -> Object {
    ObjectBuilder::new().schema_type(Type::Boolean).enum_values(Some([false])).build()
}

fn null_value() -> Object {
    ObjectBuilder::new().schema_type(Type::Null).build()
}

fn connected_tag() -> Object {
    constant_string("connected")
}

fn unread_count_tag() -> Object {
    constant_string("unread_count")
}

// ---------------------------------------------------------------------------------
// Enumerations on the wire.

/// A follow request's state.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum RequestState {
    /// Waiting for the target's answer.
    Pending,
    /// The requester now follows.
    Accepted,
    /// The target said no; the requester may ask again.
    Declined,
}

/// What a notification is about.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone followed the recipient.
    Follow,
    /// Someone asked to follow the (private) recipient.
    FollowRequest,
    /// The recipient's request was accepted.
    FollowRequestAccepted,
}

/// Where a device's pushes go.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum Platform {
    /// Android, through FCM.
    Android,
    /// iOS, through FCM's APNs bridge.
    Ios,
    /// A browser, through FCM web push.
    Web,
}

// ---------------------------------------------------------------------------------
// Success envelopes, one per shape of `data`.

macro_rules! envelopes {
    ($($envelope:ident => $data:ty,)*) => {$(
        /// Seed 002's success envelope, with the `success` flag its app checks.
        #[derive(ToSchema)]
        pub struct $envelope {
            /// Always `success`.
            #[schema(schema_with = success_tag)]
            pub status: String,
            /// Always `true`.
            #[schema(schema_with = true_value)]
            pub success: bool,
            /// What happened, for people.
            pub message: String,
            /// The answer.
            pub data: $data,
        }
    )*};
}

envelopes! {
    FollowAnswerEnvelope => FollowAnswer,
    FollowStatusEnvelope => FollowStatus,
    ReceivedRequestsEnvelope => ReceivedRequests,
    SentRequestsEnvelope => SentRequests,
    RequestAnswerEnvelope => RequestAnswer,
    RequestStatusEnvelope => RequestStatusAnswer,
    ProfileEnvelope => ProfileObject,
    UserPageEnvelope => UserPage,
    RelationshipsEnvelope => Relationships,
    RemovedFollowerEnvelope => RemovedFollower,
    BlockAnswerEnvelope => BlockAnswer,
    BlockStatusEnvelope => BlockStatus,
    BlockedPageEnvelope => BlockedPage,
    NotificationPageEnvelope => NotificationPage,
    UnreadCountEnvelope => UnreadCount,
    DeviceEnvelope => Device,
    DeviceRemovedEnvelope => DeviceRemoved,
    AccountDeletedEnvelope => AccountRemoved,
    BulkAnswerEnvelope => crate::community::bulk::BulkAnswer,
    SuggestionsEnvelope => crate::community::suggestions::SuggestionsAnswer,
    DismissedEnvelope => crate::community::suggestions::DismissedAnswer,
}

// ---------------------------------------------------------------------------------
// `data` shapes.

/// The answer to a follow or an unfollow (seed 002's `FollowResponseWithStatus`).
#[derive(ToSchema)]
pub struct FollowAnswer {
    /// Whether the caller now follows the account.
    pub is_following: bool,
    /// `pending` when a request was sent to a private account instead; otherwise null.
    #[schema(required = true)]
    pub follow_request_status: Option<RequestState>,
    /// The same as the envelope's: `Successfully followed user`, `Follow request sent`,
    /// `Already following this user`, `Successfully unfollowed user`, `Follow request
    /// cancelled` or `Not following this user`.
    pub message: String,
}

/// How the caller stands towards an account.
#[derive(ToSchema)]
pub struct FollowStatus {
    /// The caller follows them.
    pub is_following: bool,
    /// They follow the caller.
    pub is_followed_by: bool,
    /// Both.
    pub is_mutual: bool,
    /// The caller's latest request to them, if any.
    #[schema(required = true)]
    pub follow_request_status: Option<RequestState>,
}

/// A request received, with the requester's name, avatar and badge.
#[derive(ToSchema)]
pub struct ReceivedRequest {
    /// The request's id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Who asked.
    #[schema(format = Uuid)]
    pub requester_id: String,
    /// Who was asked: the caller.
    #[schema(format = Uuid)]
    pub target_id: String,
    /// The request's state.
    pub status: RequestState,
    /// When it was made.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it was answered; null while pending.
    #[schema(format = DateTime, required = true)]
    pub updated_at: Option<String>,
    /// The requester's username.
    pub requester_username: String,
    /// The requester's display name.
    #[schema(required = true)]
    pub requester_full_name: Option<String>,
    /// The requester's avatar.
    #[schema(required = true)]
    pub requester_profile_image_url: Option<String>,
    /// The requester's badge.
    pub requester_is_verified: bool,
}

/// A request sent, with the target's name, avatar and badge.
#[derive(ToSchema)]
pub struct SentRequest {
    /// The request's id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Who asked: the caller.
    #[schema(format = Uuid)]
    pub requester_id: String,
    /// Who was asked.
    #[schema(format = Uuid)]
    pub target_id: String,
    /// The request's state.
    pub status: RequestState,
    /// When it was made.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it was answered; null while pending.
    #[schema(format = DateTime, required = true)]
    pub updated_at: Option<String>,
    /// The target's username.
    pub target_username: String,
    /// The target's display name.
    #[schema(required = true)]
    pub target_full_name: Option<String>,
    /// The target's avatar.
    #[schema(required = true)]
    pub target_profile_image_url: Option<String>,
    /// The target's badge.
    pub target_is_verified: bool,
}

/// A page of pending requests to the caller, newest first.
#[derive(ToSchema)]
pub struct ReceivedRequests {
    /// The requests.
    pub requests: Vec<ReceivedRequest>,
    /// Pending requests in all.
    #[schema(minimum = 0)]
    pub total: i64,
    /// This page's number, from 1.
    #[schema(minimum = 1)]
    pub page: u32,
    /// Items per page.
    #[schema(minimum = 1, maximum = 100)]
    pub page_size: u32,
    /// Whether a later page has items.
    pub has_more: bool,
}

/// A page of the caller's pending requests, newest first.
#[derive(ToSchema)]
pub struct SentRequests {
    /// The requests.
    pub requests: Vec<SentRequest>,
    /// Pending requests in all.
    #[schema(minimum = 0)]
    pub total: i64,
    /// This page's number, from 1.
    #[schema(minimum = 1)]
    pub page: u32,
    /// Items per page.
    #[schema(minimum = 1, maximum = 100)]
    pub page_size: u32,
    /// Whether a later page has items.
    pub has_more: bool,
}

/// What became of a request.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum RequestOutcome {
    /// Accepted: the requester now follows.
    Accepted,
    /// Declined.
    Declined,
    /// Withdrawn by the requester.
    Cancelled,
}

/// The answer to accept, decline and cancel, as seed 002's app reads it.
#[derive(ToSchema)]
pub struct RequestAnswer {
    /// Always `true`.
    #[schema(schema_with = true_value)]
    pub success: bool,
    /// The same as the envelope's.
    pub message: String,
    /// What became of the request.
    pub status: RequestOutcome,
    /// The request's id (accept and decline only).
    #[schema(format = Uuid)]
    pub request_id: Option<String>,
}

/// The caller's latest request to an account.
#[derive(ToSchema)]
pub struct RequestStatusAnswer {
    /// Its state; null when there is none.
    #[schema(required = true)]
    pub status: Option<RequestState>,
    /// Whether there is one.
    pub has_request: bool,
}

/// A profile object in a followers or following list.
#[derive(ToSchema)]
pub struct FollowedProfile {
    #[serde(flatten)]
    pub profile: ProfileObject,
    /// When the follow was made.
    #[schema(format = DateTime)]
    pub followed_at: String,
}

/// A page of a followers or following list, newest first.
#[derive(ToSchema)]
pub struct UserPage {
    /// The accounts, as the caller sees each.
    pub users: Vec<FollowedProfile>,
    /// The list's length (the account's stored count), or the number of matches with
    /// `search_query`.
    #[schema(minimum = 0)]
    pub total: i64,
    /// This page's number, from 1; null when paging by cursor.
    #[schema(minimum = 1, required = true)]
    pub page: Option<u32>,
    /// Items per page (`page_size` or `limit`).
    #[schema(minimum = 1, maximum = 100)]
    pub page_size: u32,
    /// Whether more items follow.
    pub has_more: bool,
    /// Give it as `cursor` for the next page; null on the last one.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// The caller's relation to one account.
#[derive(ToSchema)]
pub struct Relationship {
    /// The account.
    #[schema(format = Uuid)]
    pub user_id: String,
    /// It is the caller.
    pub is_self: bool,
    /// The caller follows it.
    pub is_following: bool,
    /// It follows the caller.
    pub is_followed_by: bool,
    /// Both.
    pub is_mutual: bool,
    /// The caller's latest request to it.
    #[schema(required = true)]
    pub follow_request_status: Option<RequestState>,
    /// Its latest request to the caller.
    #[schema(required = true)]
    pub incoming_request_status: Option<RequestState>,
    /// The caller blocks it.
    pub is_blocking: bool,
    /// It blocks the caller.
    pub is_blocked_by: bool,
}

/// Relations to the live accounts among those asked about.
#[derive(ToSchema)]
pub struct Relationships {
    /// One per live account asked about; unknown ids are left out.
    pub relationships: Vec<Relationship>,
}

/// The answer to removing a follower.
#[derive(ToSchema)]
pub struct RemovedFollower {
    /// Whether the account did follow the caller (`Follower removed`) or not (`This
    /// user does not follow you`).
    pub removed: bool,
    /// The same as the envelope's.
    pub message: String,
}

/// The answer to a block or an unblock.
#[derive(ToSchema)]
pub struct BlockAnswer {
    /// Whether the caller now blocks the account.
    pub is_blocked: bool,
    /// The same as the envelope's: `User blocked`, `User already blocked`, `User
    /// unblocked` or `User was not blocked`.
    pub message: String,
}

/// Blocks between the caller and an account.
#[derive(ToSchema)]
pub struct BlockStatus {
    /// The caller blocks the account.
    pub is_blocked: bool,
    /// The account blocks the caller.
    pub is_blocked_by: bool,
}

/// A profile object in the list of blocked accounts.
#[derive(ToSchema)]
pub struct BlockedProfile {
    #[serde(flatten)]
    pub profile: ProfileObject,
    /// When the block was made.
    #[schema(format = DateTime)]
    pub blocked_at: String,
}

/// A page of the accounts the caller blocks, newest first.
#[derive(ToSchema)]
pub struct BlockedPage {
    /// The accounts.
    pub users: Vec<BlockedProfile>,
    /// Blocked accounts in all.
    #[schema(minimum = 0)]
    pub total: i64,
    /// This page's number, from 1.
    #[schema(minimum = 1)]
    pub page: u32,
    /// Items per page.
    #[schema(minimum = 1, maximum = 100)]
    pub page_size: u32,
    /// Whether a later page has items.
    pub has_more: bool,
}

/// Who caused a notification.
#[derive(ToSchema)]
pub struct Actor {
    /// The account.
    #[schema(format = Uuid)]
    pub id: String,
    /// Its username.
    pub username: String,
    /// Its display name.
    #[schema(required = true)]
    pub full_name: Option<String>,
    /// Its avatar.
    #[schema(required = true)]
    pub profile_image_url: Option<String>,
    /// The same as `profile_image_url`: the name seed 002's app reads.
    #[schema(required = true)]
    pub profile_picture_url: Option<String>,
}

/// A notification in the inbox.
#[derive(ToSchema)]
pub struct NotificationItem {
    /// The notification's id (UUID v7: they sort by time).
    #[schema(format = Uuid)]
    pub id: String,
    /// The same as `id`.
    #[schema(format = Uuid)]
    pub notification_id: String,
    /// What it is about.
    #[schema(rename = "type")]
    pub kind: NotificationKind,
    /// For people: `alice started following you`, `alice wants to follow you`, `bob
    /// accepted your follow request`.
    pub message: String,
    /// Who caused it.
    pub actor: Actor,
    /// Always null: Rookery has no posts.
    #[schema(schema_with = null_value)]
    pub post_id: (),
    /// When it happened.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Whether it was marked seen.
    pub is_read: bool,
}

/// A page of the caller's notifications, newest first.
#[derive(ToSchema)]
pub struct NotificationPage {
    /// The notifications.
    pub notifications: Vec<NotificationItem>,
    /// Notifications matching `type` in all.
    #[schema(minimum = 0)]
    pub total_count: i64,
    /// Unread notifications of the caller.
    #[schema(minimum = 0)]
    pub unread_count: i64,
    /// `limit` as asked (default 20).
    #[schema(minimum = 1, maximum = 100)]
    pub limit: i64,
    /// `offset` as asked (default 0).
    #[schema(minimum = 0)]
    pub offset: i64,
    /// `type` as asked; null without one.
    #[schema(required = true)]
    pub filter_type: Option<String>,
}

/// The caller's unread notifications.
#[derive(ToSchema)]
pub struct UnreadCount {
    /// How many.
    #[schema(minimum = 0)]
    pub unread_count: i64,
}

/// A registered push target.
#[derive(ToSchema)]
pub struct Device {
    /// The token as stored (trimmed).
    pub token: String,
    /// Its platform, lower-cased.
    pub platform: Platform,
}

/// The answer to removing a push target.
#[derive(ToSchema)]
pub struct DeviceRemoved {
    /// Whether the caller had that token (`Device removed`) or not (`No such device`).
    pub removed: bool,
}

/// The answer to an admin delete.
#[derive(ToSchema)]
pub struct AccountRemoved {
    /// The account deleted.
    #[schema(format = Uuid)]
    pub user_id: String,
    /// Always `true`.
    #[schema(schema_with = true_value)]
    pub deleted: bool,
}

/// `GET /healthz`.
#[derive(ToSchema)]
pub struct Alive {
    /// Always `ok`.
    #[schema(schema_with = ok_tag)]
    pub status: String,
}

fn ok_tag() -> Object {
    constant_string("ok")
}

/// `GET /readyz` when the database answers.
#[derive(ToSchema)]
pub struct Ready {
    /// Always `ready`.
    #[schema(schema_with = ready_tag)]
    pub status: String,
}

fn ready_tag() -> Object {
    constant_string("ready")
}

/// `GET /readyz` when it does not.
#[derive(ToSchema)]
pub struct NotReady {
    /// Always `unavailable`.
    #[schema(schema_with = unavailable_tag)]
    pub status: String,
    /// Why, for operators.
    pub reason: String,
}

fn unavailable_tag() -> Object {
    constant_string("unavailable")
}

// ---------------------------------------------------------------------------------
// The stream's events (each one `data:` line of JSON).

/// The first event of every stream.
#[derive(ToSchema)]
pub struct StreamConnected {
    /// Always `connected`.
    #[schema(rename = "type", schema_with = connected_tag)]
    pub kind: String,
    /// The caller's unread notifications.
    #[schema(minimum = 0)]
    pub unread_count: i64,
}

/// A notification, as it happens or replayed (the event's `id:` is its id).
#[derive(ToSchema)]
pub struct StreamNotification {
    /// What it is about.
    #[schema(rename = "type")]
    pub kind: NotificationKind,
    /// The notification's id.
    #[schema(format = Uuid)]
    pub notification_id: String,
    /// For people.
    pub message: String,
    /// Who caused it.
    pub actor: Actor,
    /// Always null.
    #[schema(schema_with = null_value)]
    pub post_id: (),
    /// When it happened.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The recipient's unread count after it.
    #[schema(minimum = 0)]
    pub unread_count: i64,
}

/// The unread count dropped (notifications were marked seen).
#[derive(ToSchema)]
pub struct StreamUnreadCount {
    /// Always `unread_count`.
    #[schema(rename = "type", schema_with = unread_count_tag)]
    pub kind: String,
    /// The new unread count.
    #[schema(minimum = 0)]
    pub count: i64,
}

// ---------------------------------------------------------------------------------
// Modifiers.

/// `bearer` (the `Authorization` header) and `access_token` (the query parameter the
/// stream also takes).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "A JWT whose `sub` is the account id, verified with the configured key (HS256, RS256 or ES256). \
                 `rookery token <user>` prints one.",
            ))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let query = ApiKeyValue::with_description(
            "access_token",
            "The same JWT as a query parameter, for browsers' EventSource (the notification stream only).",
        );
        components.add_security_scheme("access_token", SecurityScheme::ApiKey(ApiKey::Query(query)));
    }
}

/// The profile update handler also answers at `PUT /profiles/me` and at `PUT` and
/// `PATCH /profiles`, as seed 002's app calls it: the same operation under each.
struct ProfileAliases;

impl Modify for ProfileAliases {
    fn modify(&self, openapi: &mut Document) {
        let me = format!("{COMMUNITY_BASE}/profiles/me");
        let Some(update) = openapi.paths.paths.get(&me).and_then(|item| item.patch.clone()) else {
            return;
        };
        let alias = |id: &str, method: &str, path: &str| {
            let mut operation = update.clone();
            operation.operation_id = Some(id.to_owned());
            operation.summary = Some(format!("Edit the caller's profile ({method} {path}, as the app calls it)"));
            operation
        };
        if let Some(item) = openapi.paths.paths.get_mut(&me) {
            item.put = Some(alias("update_profile_put_me", "PUT", "/profiles/me"));
        }
        let profiles = format!("{COMMUNITY_BASE}/profiles");
        let item = openapi.paths.paths.entry(profiles).or_default();
        item.put = Some(alias("update_profile_put", "PUT", "/profiles"));
        item.patch = Some(alias("update_profile_patch", "PATCH", "/profiles"));
    }
}

/// Every error answer declared with `body = ErrorEnvelope` gets its `status_code`
/// pinned to the HTTP status it is declared under.
struct PinnedErrorStatus;

impl Modify for PinnedErrorStatus {
    fn modify(&self, openapi: &mut Document) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                pin_error_statuses(operation);
            }
        }
    }
}

/// A body declared as `Option<T>` is optional (`required` is left out); its schema
/// is `T`'s, not "`T` or `null`": leaving the body out is what optional means, and a
/// JSON `null` body is refused like any other that is not a `T`.
struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, openapi: &mut Document) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                let Some(body) = operation.request_body.as_mut() else { continue };
                if body.required.is_some() {
                    continue;
                }
                for content in body.content.values_mut() {
                    if let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema {
                        let not_null = |s: &&RefOr<Schema>| !matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == Type::Null.into());
                        if let [inner] = one_of.items.iter().filter(not_null).collect::<Vec<_>>().as_slice() {
                            content.schema = Some((*inner).clone());
                        }
                    }
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch, &mut item.head, &mut item.options]
        .into_iter()
        .filter_map(Option::as_mut)
}

fn pin_error_statuses(operation: &mut Operation) {
    let envelope_ref = format!("#/components/schemas/{}", ErrorEnvelope::name());
    for (status, response) in &mut operation.responses.responses {
        let (Ok(code), RefOr::T(response)) = (status.parse::<u16>(), response) else {
            continue;
        };
        for content in response.content.values_mut() {
            if matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location == envelope_ref) {
                content.schema = Some(pinned_error(code).into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn json(dialects: Dialects) -> Value {
        serde_json::from_str(&document(dialects).to_json().unwrap()).unwrap()
    }

    fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.push(target);
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves_and_every_error_is_pinned_to_its_status() {
        let doc = json(Dialects::all());
        assert_eq!(doc["openapi"], "3.1.0");
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        for target in found {
            let pointer = target.strip_prefix('#').unwrap();
            assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
        }
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for (status, response) in operation["responses"].as_object().unwrap() {
                    let schema = &response["content"]["application/json"]["schema"];
                    assert_ne!(
                        schema["$ref"], "#/components/schemas/ErrorEnvelope",
                        "{method} {path} {status}: status_code is not pinned"
                    );
                    if let Some(pin) = schema["allOf"].get(1) {
                        assert_eq!(pin["properties"]["status_code"]["enum"][0].to_string(), *status);
                    }
                }
            }
        }
    }

    #[test]
    fn the_profile_update_is_documented_under_every_path_and_method_it_answers() {
        let doc = json(Dialects::all());
        let paths = &doc["paths"];
        for (path, method) in
            [("/profiles/me", "patch"), ("/profiles/me", "put"), ("/profiles", "put"), ("/profiles", "patch")]
        {
            let operation = &paths[format!("{COMMUNITY_BASE}{path}")][method];
            assert_eq!(
                operation["requestBody"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ProfileBody"
            );
        }
        assert_eq!(paths[format!("{COMMUNITY_BASE}/profiles")]["post"]["operationId"], "create_profile");
    }

    #[test]
    fn an_optional_body_is_its_schema_and_not_required() {
        let doc = json(Dialects::all());
        let body = &doc["paths"][format!("{COMMUNITY_BASE}/notifications/mark-as-seen")]["post"]["requestBody"];
        assert!(body.get("required").is_none(), "{body}");
        assert_eq!(body["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/MarkBody");
    }

    #[test]
    fn without_the_community_dialect_its_paths_are_left_out() {
        let doc = json(Dialects { community: false, ..Dialects::all() });
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.keys().all(|p| !p.starts_with(COMMUNITY_BASE)), "{:?}", paths.keys());
        assert!(paths.contains_key("/api/v1/admin/users/{user_id}") && paths.contains_key("/healthz"));
    }
}
