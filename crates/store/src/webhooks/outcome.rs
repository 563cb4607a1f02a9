//! What the sender takes, and what it reports back: a delivery to send, how its
//! attempt went, what recording that did, what a fan-out queued.

use rookery_domain::Timestamp;

/// A delivery taken to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    /// The delivery.
    pub id: uuid::Uuid,
    /// The endpoint.
    pub webhook_id: uuid::Uuid,
    /// Where to send it.
    pub url: String,
    /// The endpoint's signing secret (`whsec_...`).
    pub secret: String,
    /// The event's id (`webhook-id`).
    pub event_id: uuid::Uuid,
    /// The body.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i32,
}

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// A 2xx answered.
    Delivered {
        /// Its status.
        status_code: i32,
    },
    /// It failed; try again at `next_attempt_at`.
    Retry {
        /// The receiver's status, if it answered.
        status_code: Option<i32>,
        /// What went wrong.
        error: String,
        /// When to try again.
        next_attempt_at: Timestamp,
    },
    /// It failed for good: the schedule ran out, or the receiver answered 410.
    Failed {
        /// The receiver's status, if it answered.
        status_code: Option<i32>,
        /// What went wrong.
        error: String,
        /// The receiver asked to be forgotten (410): disable the endpoint now.
        gone: bool,
    },
}

/// What one attempt's record did to the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recorded {
    /// The endpoint was disabled by it.
    pub disabled: bool,
}

/// What a fan-out did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FanOut {
    /// Deliveries queued.
    pub queued: usize,
    /// The first of them, already leased to the caller: it sends these without claiming
    /// them (see [`Database::fan_out_leasing`](crate::database::Database::fan_out_leasing)).
    pub leased: Vec<DueDelivery>,
}
