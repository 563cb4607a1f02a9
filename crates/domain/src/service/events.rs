//! The event feed and webhook administration (issue 24): the use cases behind
//! `/api/v1/admin/events` and `/api/v1/admin/webhooks`. Delivery itself is the
//! server's background worker; these only read and change what it works from.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use uuid::Uuid;

use crate::error::StoreError;
use crate::event::{EventCursor, StoredEvent, envelope, is_event_type};
use crate::ports::{Clock, EventStore, IdSource, SecretSource, WebhookStore};
use crate::web_url::WebUrl;
use crate::webhook::{Delivery, DeliveryStatus, Webhook, WebhookPatch};

/// The largest page of events.
pub const MAX_EVENTS_PAGE: usize = 1000;
/// The largest page of deliveries.
pub const MAX_DELIVERIES_PAGE: usize = 100;
/// The longest description kept.
const MAX_DESCRIPTION: usize = 500;

/// Why a page of the feed was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// `limit` is outside 1..=1000.
    #[error("limit must be between 1 and {MAX_EVENTS_PAGE}")]
    BadLimit,
    /// A type in `types` is not an event type.
    #[error("unknown event type: {0}")]
    UnknownType(String),
    /// Events after the cursor were pruned (older than the retention).
    #[error("the cursor is older than the event retention; start again without one")]
    Expired,
    /// The cursor is after every position this feed has given out: forged, or from
    /// another database's feed (a move starts a new one).
    #[error("the cursor is ahead of this feed: it was not issued by this database's feed")]
    Ahead,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a webhook use case was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No endpoint with that id.
    #[error("Webhook not found")]
    NotFound,
    /// The endpoint has no delivery with that id.
    #[error("Delivery not found")]
    DeliveryNotFound,
    /// The URL is refused: not `http` or `https`, too long, or carrying credentials.
    #[error("url {0}")]
    BadUrl(String),
    /// `events` is empty or names an unknown type.
    #[error("{0}")]
    BadEvents(String),
    /// The description is too long.
    #[error("description must be at most {MAX_DESCRIPTION} characters")]
    BadDescription,
    /// A page size out of range.
    #[error("limit must be between 1 and {MAX_DELIVERIES_PAGE}")]
    BadLimit,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to read of the feed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedQuery {
    /// Start after this position; from the oldest event kept when `None`.
    pub after: Option<EventCursor>,
    /// At most this many (1..=1000).
    pub limit: usize,
    /// Only these types; all when empty.
    pub types: Vec<String>,
}

/// A page of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    /// The events, in feed order.
    pub events: Vec<StoredEvent>,
    /// Where the next page starts: the last event's position, else where this one
    /// started.
    pub next_cursor: EventCursor,
}

/// A new endpoint as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Where deliveries go.
    pub url: String,
    /// The event types, or `["*"]`.
    pub events: Vec<String>,
    /// What it is for.
    pub description: Option<String>,
}

/// The event feed and webhook use cases, for adapters (object safe: the HTTP layer
/// holds it as `dyn`).
pub trait GraphEvents: Send + Sync + 'static {
    /// A page of the feed.
    ///
    /// # Errors
    /// [`FeedError`].
    fn events(&self, query: &FeedQuery) -> Result<FeedPage, FeedError>;

    /// Registers an endpoint with a new secret.
    ///
    /// # Errors
    /// [`WebhookError::BadUrl`], [`WebhookError::BadEvents`],
    /// [`WebhookError::BadDescription`], store errors.
    fn create_webhook(&self, new: NewWebhook) -> Result<Webhook, WebhookError>;

    /// Every endpoint.
    ///
    /// # Errors
    /// Store errors.
    fn webhooks(&self) -> Result<Vec<Webhook>, WebhookError>;

    /// One endpoint.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`], store errors.
    fn webhook(&self, id: Uuid) -> Result<Webhook, WebhookError>;

    /// Changes an endpoint.
    ///
    /// # Errors
    /// As [`GraphEvents::create_webhook`], and [`WebhookError::NotFound`].
    fn update_webhook(&self, id: Uuid, patch: WebhookPatch) -> Result<Webhook, WebhookError>;

    /// Removes an endpoint.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`], store errors.
    fn delete_webhook(&self, id: Uuid) -> Result<(), WebhookError>;

    /// Queues a `webhook.test` event for the endpoint.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`], store errors.
    fn test_webhook(&self, id: Uuid) -> Result<Delivery, WebhookError>;

    /// A page of the endpoint's deliveries, newest first.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`], [`WebhookError::BadLimit`], store errors.
    fn deliveries(
        &self,
        id: Uuid,
        status: Option<DeliveryStatus>,
        before: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<Delivery>, WebhookError>;

    /// Sends a delivery again now.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`], [`WebhookError::DeliveryNotFound`], store errors.
    fn retry_delivery(&self, id: Uuid, delivery: Uuid) -> Result<Delivery, WebhookError>;
}

/// [`GraphEvents`] over the ports.
#[derive(Debug, Clone)]
pub struct EventService<S, C, I, R> {
    store: S,
    clock: C,
    ids: I,
    secrets: R,
}

impl<S, C, I, R> EventService<S, C, I, R> {
    /// Wires the service to its ports.
    pub const fn new(store: S, clock: C, ids: I, secrets: R) -> Self {
        Self { store, clock, ids, secrets }
    }
}

/// Checks a URL for an endpoint.
fn endpoint_url(raw: &str) -> Result<String, WebhookError> {
    let url = WebUrl::parse(raw).map_err(|e| WebhookError::BadUrl(e.to_string()))?;
    // The signature is how a receiver knows a delivery; a password in the URL would be
    // shown to every reader of the endpoint list, which hides the secret.
    if url.has_credentials() {
        return Err(WebhookError::BadUrl(
            "must not carry a user name or password (receivers check the signature instead)".into(),
        ));
    }
    Ok(url.as_str().to_owned())
}

/// Checks the event types of an endpoint: at least one, each known; `*` alone.
fn endpoint_events(events: Vec<String>) -> Result<Vec<String>, WebhookError> {
    if events.is_empty() {
        return Err(WebhookError::BadEvents("events must name at least one event type, or \"*\"".into()));
    }
    if let Some(unknown) = events.iter().find(|e| !is_event_type(e)) {
        return Err(WebhookError::BadEvents(format!("unknown event type: {unknown}")));
    }
    let mut events = events;
    events.dedup();
    if events.iter().any(|e| e == "*") {
        return Ok(vec!["*".to_owned()]);
    }
    Ok(events)
}

/// `whsec_` and the base64 of the bytes.
fn format_secret(bytes: &[u8; 32]) -> String {
    format!("whsec_{}", STANDARD.encode(bytes))
}

impl<S, C, I, R> GraphEvents for EventService<S, C, I, R>
where
    S: EventStore + WebhookStore,
    C: Clock,
    I: IdSource,
    R: SecretSource,
{
    fn events(&self, query: &FeedQuery) -> Result<FeedPage, FeedError> {
        if !(1..=MAX_EVENTS_PAGE).contains(&query.limit) {
            return Err(FeedError::BadLimit);
        }
        if let Some(unknown) = query.types.iter().find(|t| !is_event_type(t) || *t == "*") {
            return Err(FeedError::UnknownType(unknown.clone()));
        }
        let start = match query.after {
            Some(after) => after,
            None => self.store.pruned_through()?,
        };
        let events = self.store.events_after(start, query.limit, &query.types)?;
        // Read after the page: a pruning that ran meanwhile shows here.
        if query.after.is_some() && start < self.store.pruned_through()? {
            return Err(FeedError::Expired);
        }
        // Only an empty page can hide a cursor that no page gave out: answered with
        // the same cursor, it would wait for positions this feed may never reach.
        if events.is_empty() && query.after.is_some() && start > self.store.feed_end()? {
            return Err(FeedError::Ahead);
        }
        let next_cursor = events.last().map_or(start, |e| e.cursor);
        Ok(FeedPage { events, next_cursor })
    }

    fn create_webhook(&self, new: NewWebhook) -> Result<Webhook, WebhookError> {
        let url = endpoint_url(&new.url)?;
        let events = endpoint_events(new.events)?;
        let description = new.description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        if description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
            return Err(WebhookError::BadDescription);
        }
        let now = self.clock.now();
        let hook = Webhook {
            id: self.ids.new_id(),
            url,
            events,
            description,
            enabled: true,
            secret: format_secret(&self.secrets.secret_bytes()),
            created_at: now,
            updated_at: now,
        };
        self.store.insert_webhook(&hook)?;
        Ok(hook)
    }

    fn webhooks(&self) -> Result<Vec<Webhook>, WebhookError> {
        Ok(self.store.webhooks()?)
    }

    fn webhook(&self, id: Uuid) -> Result<Webhook, WebhookError> {
        self.store.webhook(id)?.ok_or(WebhookError::NotFound)
    }

    fn update_webhook(&self, id: Uuid, patch: WebhookPatch) -> Result<Webhook, WebhookError> {
        let patch = WebhookPatch {
            url: patch.url.as_deref().map(endpoint_url).transpose()?,
            events: patch.events.map(endpoint_events).transpose()?,
            enabled: patch.enabled,
        };
        self.store.update_webhook(id, &patch, self.clock.now())?.ok_or(WebhookError::NotFound)
    }

    fn delete_webhook(&self, id: Uuid) -> Result<(), WebhookError> {
        if self.store.delete_webhook(id)? { Ok(()) } else { Err(WebhookError::NotFound) }
    }

    fn test_webhook(&self, id: Uuid) -> Result<Delivery, WebhookError> {
        let hook = self.webhook(id)?;
        let now = self.clock.now();
        let event_id = self.ids.new_id();
        let data = format!(r#"{{"webhook_id":"{}"}}"#, hook.id);
        let payload = envelope(event_id, "webhook.test", now, &data);
        let delivery = Delivery {
            id: self.ids.new_id(),
            webhook_id: hook.id,
            event_id,
            event_type: "webhook.test".to_owned(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            last_status_code: None,
            last_error: None,
            next_attempt_at: Some(now),
            delivered_at: None,
            created_at: now,
        };
        self.store.queue_delivery(&delivery, &payload)?;
        Ok(delivery)
    }

    fn deliveries(
        &self,
        id: Uuid,
        status: Option<DeliveryStatus>,
        before: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<Delivery>, WebhookError> {
        if !(1..=MAX_DELIVERIES_PAGE).contains(&limit) {
            return Err(WebhookError::BadLimit);
        }
        self.webhook(id)?;
        Ok(self.store.deliveries(id, status, before, limit)?)
    }

    fn retry_delivery(&self, id: Uuid, delivery: Uuid) -> Result<Delivery, WebhookError> {
        self.webhook(id)?;
        self.store.retry_delivery(id, delivery, self.clock.now())?.ok_or(WebhookError::DeliveryNotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockClock, MockIdSource, MockSecretSource};

    /// A store for the use cases that never reach it.
    struct Unreachable;

    impl EventStore for Unreachable {
        fn events_after(&self, _: EventCursor, _: usize, _: &[String]) -> Result<Vec<StoredEvent>, StoreError> {
            Err(StoreError::Failure("unreachable".into()))
        }
        fn pruned_through(&self) -> Result<EventCursor, StoreError> {
            Err(StoreError::Failure("unreachable".into()))
        }
        fn feed_end(&self) -> Result<EventCursor, StoreError> {
            Err(StoreError::Failure("unreachable".into()))
        }
    }

    impl WebhookStore for Unreachable {
        fn insert_webhook(&self, _: &Webhook) -> Result<(), StoreError> {
            Ok(())
        }
        fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
            Ok(Vec::new())
        }
        fn webhook(&self, _: Uuid) -> Result<Option<Webhook>, StoreError> {
            Ok(None)
        }
        fn update_webhook(
            &self,
            _: Uuid,
            _: &WebhookPatch,
            _: crate::Timestamp,
        ) -> Result<Option<Webhook>, StoreError> {
            Ok(None)
        }
        fn delete_webhook(&self, _: Uuid) -> Result<bool, StoreError> {
            Ok(false)
        }
        fn queue_delivery(&self, _: &Delivery, _: &str) -> Result<(), StoreError> {
            Ok(())
        }
        fn deliveries(
            &self,
            _: Uuid,
            _: Option<DeliveryStatus>,
            _: Option<Uuid>,
            _: usize,
        ) -> Result<Vec<Delivery>, StoreError> {
            Ok(Vec::new())
        }
        fn retry_delivery(&self, _: Uuid, _: Uuid, _: crate::Timestamp) -> Result<Option<Delivery>, StoreError> {
            Ok(None)
        }
    }

    fn service() -> EventService<Unreachable, MockClock, MockIdSource, MockSecretSource> {
        let mut clock = MockClock::new();
        clock.expect_now().returning(chrono::Utc::now);
        let mut ids = MockIdSource::new();
        ids.expect_new_id().returning(Uuid::now_v7);
        let mut secrets = MockSecretSource::new();
        secrets.expect_secret_bytes().returning(|| [7; 32]);
        EventService::new(Unreachable, clock, ids, secrets)
    }

    #[test]
    fn a_new_endpoint_gets_a_whsec_secret_of_32_bytes() {
        let hook = service()
            .create_webhook(NewWebhook {
                url: "https://a.example/h".into(),
                events: vec!["*".into()],
                description: None,
            })
            .unwrap();
        let raw = STANDARD.decode(hook.secret.strip_prefix("whsec_").unwrap()).unwrap();
        assert_eq!(raw, vec![7; 32]);
        assert!(hook.enabled);
    }

    #[test]
    fn bad_endpoints_are_refused() {
        let new = |url: &str, events: &[&str]| NewWebhook {
            url: url.into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            description: None,
        };
        let s = service();
        assert_eq!(
            s.create_webhook(new("ftp://a.example", &["*"])),
            Err(WebhookError::BadUrl("must be an http or https URL".into()))
        );
        assert_eq!(
            s.create_webhook(new(&format!("https://a.example/{}", "x".repeat(2048)), &["*"])),
            Err(WebhookError::BadUrl("must be at most 2048 characters".into()))
        );
        assert!(matches!(s.create_webhook(new("https://u:pw@a.example/in", &["*"])), Err(WebhookError::BadUrl(_))));
        assert!(matches!(s.create_webhook(new("https://a.example", &[])), Err(WebhookError::BadEvents(_))));
        assert!(matches!(
            s.create_webhook(new("https://a.example", &["follow.made"])),
            Err(WebhookError::BadEvents(_))
        ));
    }

    #[test]
    fn feed_limits_and_types_are_checked_first() {
        let s = service();
        for limit in [0, 1001] {
            assert_eq!(s.events(&FeedQuery { limit, ..FeedQuery::default() }), Err(FeedError::BadLimit));
        }
        let query = FeedQuery { limit: 10, types: vec!["follow.nope".into()], ..FeedQuery::default() };
        assert_eq!(s.events(&query), Err(FeedError::UnknownType("follow.nope".into())));
    }
}
