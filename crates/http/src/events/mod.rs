//! The event feed and webhooks under `/api/v1/admin` (issue 24): admin tokens only.
//! Answers are bare JSON objects (as the issue names them, like the webhook
//! providers' APIs); errors are the canonical envelope.

mod feed;
mod objects;
mod stream;
mod webhooks;

use actix_web::http::StatusCode;
use actix_web::web;
use rookery_domain::GraphError;
use rookery_domain::ports::StoreError;
use rookery_domain::service::{FeedError, GraphEvents, WebhookError};

use crate::community::errors::{ApiError, Community};
use rookery_domain::SocialGraph;

pub use feed::__path_events;
pub use objects::{CreatedWebhook, DeliveryObject, DeliveryPage, EventObject, EventPage, WebhookList, WebhookObject};
pub use stream::__path_event_stream;
pub use webhooks::{
    __path_create, __path_delete, __path_deliveries, __path_list, __path_one, __path_retry, __path_test, __path_update,
};

/// The use cases, as the handlers hold them.
pub type Events = web::Data<dyn GraphEvents>;

fn resource(path: &str) -> crate::fallback::Endpoint<Community> {
    crate::fallback::resource::<Community>(path)
}

/// Mounts the routes (inside the admin scope).
pub fn routes<G: SocialGraph>(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/events").get(feed::events::<G>))
        .service(resource("/events/stream").get(stream::event_stream::<G>))
        .service(resource("/webhooks").post(webhooks::create::<G>).get(webhooks::list::<G>))
        .service(
            resource("/webhooks/{id}")
                .get(webhooks::one::<G>)
                .patch(webhooks::update::<G>)
                .delete(webhooks::delete::<G>),
        )
        .service(resource("/webhooks/{id}/test").post(webhooks::test::<G>))
        .service(resource("/webhooks/{id}/deliveries").get(webhooks::deliveries::<G>))
        .service(resource("/webhooks/{id}/deliveries/{delivery_id}/retry").post(webhooks::retry::<G>));
}

fn store_error(error: StoreError) -> ApiError {
    ApiError::from(GraphError::Store(error))
}

impl From<FeedError> for ApiError {
    fn from(error: FeedError) -> Self {
        match error {
            FeedError::BadLimit | FeedError::UnknownType(_) | FeedError::Ahead => Self::bad_request(error.to_string()),
            FeedError::Expired => Self::new(StatusCode::GONE, error.to_string()),
            FeedError::Store(e) => store_error(e),
        }
    }
}

impl From<WebhookError> for ApiError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::NotFound | WebhookError::DeliveryNotFound => {
                Self::new(StatusCode::NOT_FOUND, error.to_string())
            }
            WebhookError::BadUrl(_)
            | WebhookError::BadEvents(_)
            | WebhookError::BadDescription
            | WebhookError::BadLimit => Self::bad_request(error.to_string()),
            WebhookError::Store(e) => store_error(e),
        }
    }
}

/// Runs a use case on the blocking pool.
async fn offload<T, E>(
    events: &Events,
    work: impl FnOnce(&dyn GraphEvents) -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    let events = events.clone();
    web::block(move || work(events.get_ref()).map_err(Into::into))
        .await
        .map_err(|_| store_error(StoreError::Unavailable("the server is shutting down".into())))?
}
