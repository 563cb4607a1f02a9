//! Webhook endpoints and their deliveries (issue 24).

use uuid::Uuid;

use crate::time::Timestamp;

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: Uuid,
    /// Where deliveries go: an `http` or `https` URL.
    pub url: String,
    /// The event types it receives; `["*"]` for all.
    pub events: Vec<String>,
    /// What it is for, as its creator put it.
    pub description: Option<String>,
    /// Whether deliveries are sent.
    pub enabled: bool,
    /// `whsec_` and the base64 of 32 random bytes: the signing key.
    pub secret: String,
    /// When it was registered.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Webhook {
    /// Whether it receives events of type `kind`.
    #[must_use]
    pub fn wants(&self, kind: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == kind)
    }
}

/// What may change of an endpoint; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookPatch {
    /// A new URL.
    pub url: Option<String>,
    /// New event types.
    pub events: Option<Vec<String>>,
    /// Enable or disable. Enabling resets the count of failed deliveries in a row.
    pub enabled: Option<bool>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Not yet delivered; another attempt is due at `next_attempt_at`.
    Pending,
    /// A 2xx answered it.
    Delivered,
    /// Given up: the schedule ran out, or the receiver answered 410.
    Failed,
}

impl DeliveryStatus {
    /// The wire and storage name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// Parses a wire or storage name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One event to one endpoint, and how its attempts went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id (UUID v7: sorts by creation).
    pub id: Uuid,
    /// The endpoint.
    pub webhook_id: Uuid,
    /// The event (the `webhook-id` header).
    pub event_id: Uuid,
    /// The event's type.
    pub event_type: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i32,
    /// The receiver's last HTTP status, if it answered.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<Timestamp>,
    /// When a 2xx answered it.
    pub delivered_at: Option<Timestamp>,
    /// When it was queued.
    pub created_at: Timestamp,
}
