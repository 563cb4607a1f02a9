//! Webhook delivery (issue 24): the background worker that queues, signs and sends
//! deliveries, and what it needs (the schedule, the signature, the address guard).

pub mod config;
pub mod guard;
pub mod metrics;
pub mod sender;
pub mod signature;
pub mod worker;
