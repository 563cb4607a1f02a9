//! The OpenAPI 3.1 document of the canonical API (`/api/v1/community`), the admin API
//! (`/api/v1/admin`) and the probes, served at `GET /openapi.json`, and an interactive
//! reference for it at `GET /docs`.
//!
//! The document is generated from the code: every handler carries a `#[utoipa::path]`
//! annotation (method, path, parameters, body, every status it can answer), request
//! bodies and query strings derive their schemas from the structs the handlers parse,
//! answers derive theirs from the very types serialized (`community::answers`,
//! `community::errors`, the stream's frames, the probes), and [`ApiDoc`] collects
//! them. No type here describes an answer: this module is the document, its routes
//! and the docs page.
//!
//! `/docs` is one HTML page with its script inline (`assets/docs.html`), compiled into
//! the binary: it fetches `/openapi.json` and renders it, and its
//! `Content-Security-Policy` lets it load nothing from anywhere else.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, PathItem, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::Dialects;
use crate::community::errors::{
    AccountDeleted, AdminRequired, Community, ErrorEnvelope, NotJson, TooLarge, Unauthorized, Unavailable, pinned_error,
};
use crate::sse::{StreamConnected, StreamNotification, StreamUnreadCount};

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
        crate::community::search::search,
        crate::community::suggestions::list,
        crate::community::suggestions::dismiss,
        crate::community::blocks::remove_follower,
        crate::community::blocks::block,
        crate::community::blocks::unblock,
        crate::community::blocks::status,
        crate::community::blocks::list,
        crate::community::mutes::mute,
        crate::community::mutes::unmute,
        crate::community::mutes::list,
        crate::community::notifications::list,
        crate::sse::stream::stream,
        crate::community::notifications::unread_count,
        crate::community::notifications::mark_as_seen,
        crate::community::notifications::register_device,
        crate::community::notifications::remove_device,
        crate::admin::upsert,
        crate::admin::delete,
        crate::events::events,
        crate::events::event_stream,
        crate::events::create,
        crate::events::list,
        crate::events::one,
        crate::events::update,
        crate::events::delete,
        crate::events::test,
        crate::events::deliveries,
        crate::events::retry,
        crate::health::healthz,
        crate::health::readyz,
    ),
    components(
        schemas(ErrorEnvelope, StreamConnected, StreamNotification, StreamUnreadCount),
        responses(Unauthorized, AdminRequired, AccountDeleted, Unavailable, TooLarge, NotJson),
    ),
    modifiers(&SecuritySchemes, &ProfileAliases, &PinnedErrorStatus, &OptionalBodies),
    tags(
        (name = "follows", description = "Following, unfollowing, and how the caller stands towards an account."),
        (name = "follow-requests", description = "Requests to follow private accounts: the lists, the answers, cancelling."),
        (name = "profiles", description = "Profile objects: read one's own or another's, set one's own up."),
        (name = "lists", description = "Followers and following lists, and relationships to many accounts at once."),
        (name = "blocks", description = "Blocking, and removing followers."),
        (name = "mutes", description = "Muting accounts, privately: for a while or until unmuted."),
        (name = "notifications", description = "The inbox, its live stream, and push targets."),
        (name = "admin", description = "The admin API: tokens whose `role` claim is `admin` only."),
        (name = "events", description = "The event feed: every committed change of the graph, by pull or SSE (admin tokens only)."),
        (name = "webhooks", description = "Webhook endpoints, signed per Standard Webhooks, and their delivery log (admin tokens only)."),
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
        cfg.service(crate::fallback::resource::<Community>(DOCUMENT_PATH).get(move || {
            let json = json.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .insert_header((header::CACHE_CONTROL, "no-cache"))
                    .body(json)
            }
        }))
        .service(crate::fallback::resource::<Community>(DOCS_PATH).get(docs_page));
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
