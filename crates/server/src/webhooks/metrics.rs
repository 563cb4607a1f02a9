//! Webhook delivery metrics for `/metrics`: attempts by outcome, the queue's depth,
//! and how long after its event a delivery landed.

use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rookery_http::observe::Gauges;
use rookery_store::Database;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0, 600.0];

/// How an attempt ended, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// A 2xx answered.
    Delivered,
    /// It failed and will be retried.
    Retried,
    /// It failed for good.
    Failed,
    /// The destination was refused (internal address, or not http/https).
    Refused,
}

/// The counters, shared by the worker and the scrape.
#[derive(Debug, Default)]
pub struct WebhookMetrics {
    delivered: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    refused: AtomicU64,
    latency: Mutex<([u64; BUCKETS.len()], u64, f64)>,
}

impl WebhookMetrics {
    /// Counts one attempt.
    pub fn count(&self, outcome: Counted) {
        let counter = match outcome {
            Counted::Delivered => &self.delivered,
            Counted::Retried => &self.retried,
            Counted::Failed => &self.failed,
            Counted::Refused => &self.refused,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Records how long after its event a delivery was answered with a 2xx.
    pub fn delivered_after(&self, latency: Duration) {
        let seconds = latency.as_secs_f64();
        let mut histogram = self.latency.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (bucket, bound) in histogram.0.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        histogram.1 += 1;
        histogram.2 += seconds;
    }

    /// The Prometheus text of the counters and the histogram.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP rookery_webhook_deliveries_total Webhook delivery attempts by outcome.");
        let _ = writeln!(out, "# TYPE rookery_webhook_deliveries_total counter");
        for (outcome, counter) in [
            ("delivered", &self.delivered),
            ("retried", &self.retried),
            ("failed", &self.failed),
            ("refused", &self.refused),
        ] {
            let _ = writeln!(
                out,
                "rookery_webhook_deliveries_total{{outcome=\"{outcome}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        let (buckets, count, sum) = *self.latency.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = writeln!(
            out,
            "# HELP rookery_webhook_delivery_latency_seconds Time from an event's commit to its delivery's 2xx."
        );
        let _ = writeln!(out, "# TYPE rookery_webhook_delivery_latency_seconds histogram");
        for (count, bound) in buckets.iter().zip(BUCKETS) {
            let _ = writeln!(out, "rookery_webhook_delivery_latency_seconds_bucket{{le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "rookery_webhook_delivery_latency_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "rookery_webhook_delivery_latency_seconds_sum {sum}");
        let _ = writeln!(out, "rookery_webhook_delivery_latency_seconds_count {count}");
        out
    }
}

/// What `/metrics` reads of webhooks at scrape time.
pub struct WebhookGauges {
    /// The counters.
    pub metrics: std::sync::Arc<WebhookMetrics>,
    /// For the queue's depth.
    pub db: Database,
}

impl Gauges for WebhookGauges {
    fn read(&self) -> Vec<(&'static str, &'static str, f64)> {
        let depth = self.db.pending_deliveries().unwrap_or(-1);
        #[allow(clippy::as_conversions, clippy::cast_precision_loss)]
        let depth = depth as f64;
        vec![("rookery_webhook_queue_depth", "Webhook deliveries pending (-1: the database did not answer).", depth)]
    }

    fn text(&self) -> String {
        self.metrics.render()
    }
}
