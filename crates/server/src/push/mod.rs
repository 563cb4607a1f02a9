//! Push delivery through Firebase Cloud Messaging (HTTP v1). Off unless
//! `ROOKERY_FCM_SERVICE_ACCOUNT` is set.
//!
//! Every stored notification also lands in the push outbox, one row per device of its
//! recipient, in the same transaction. [`dispatcher::run`] drains the outbox in the
//! background: it never touches the request that caused a notification, retries with
//! exponential backoff, and drops devices FCM reports as unregistered.

pub mod dispatcher;
pub mod fcm;
