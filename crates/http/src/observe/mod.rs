//! Observability: a request id on every log line and response, an access log, and
//! Prometheus metrics (`GET /metrics`).

mod metrics;
mod request_id;

pub use self::metrics::{Gauges, Metrics, metrics_endpoint};
pub use self::request_id::{REQUEST_ID, observe};
