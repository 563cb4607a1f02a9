//! Prometheus metrics, kept in memory and rendered in the text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::{HttpResponse, web};

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Values read at scrape time from elsewhere (the pool, the streams).
pub trait Gauges: Send + Sync + 'static {
    /// `(name, help, value)` triples.
    fn read(&self) -> Vec<(&'static str, &'static str, f64)>;

    /// Further series in the text format, for what is no gauge (counters, histograms).
    fn text(&self) -> String {
        String::new()
    }
}

#[derive(Debug, Default, Clone)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Request counts and latency histograms per route.
#[derive(Default)]
pub struct Metrics {
    /// By method, then route: nested so that counting a request looks its series up by
    /// `&str`, allocating only for a series' first request.
    routes: Mutex<BTreeMap<String, BTreeMap<String, RouteStats>>>,
    gauges: Vec<Arc<dyn Gauges>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// A registry that also reports `gauges` at each scrape.
    #[must_use]
    pub fn new(gauges: Vec<Arc<dyn Gauges>>) -> Self {
        Self { routes: Mutex::default(), gauges }
    }

    /// Counts one request. `route` is the matched pattern (`/users/{user_id}/followers`),
    /// never the raw path, so the number of series stays bounded.
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        if !routes.contains_key(method) {
            routes.insert(method.to_owned(), BTreeMap::new());
        }
        let Some(by_route) = routes.get_mut(method) else { return };
        if !by_route.contains_key(route) {
            by_route.insert(route.to_owned(), RouteStats::default());
        }
        let Some(stats) = by_route.get_mut(route) else { return };
        *stats.by_status.entry(status).or_default() += 1;
        for (bucket, bound) in stats.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        stats.count += 1;
        stats.sum += seconds;
    }

    /// The Prometheus text exposition.
    #[must_use]
    pub fn render(&self) -> String {
        let routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let series = || {
            routes
                .iter()
                .flat_map(|(method, by_route)| by_route.iter().map(move |(route, stats)| (method, route, stats)))
        };
        let mut out = String::new();
        let _ = writeln!(out, "# HELP rookery_http_requests_total HTTP requests by route, method and status.");
        let _ = writeln!(out, "# TYPE rookery_http_requests_total counter");
        for (method, route, stats) in series() {
            for (status, count) in &stats.by_status {
                let _ = writeln!(
                    out,
                    "rookery_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
                );
            }
        }
        let _ = writeln!(out, "# HELP rookery_http_request_duration_seconds HTTP request latency by route and method.");
        let _ = writeln!(out, "# TYPE rookery_http_request_duration_seconds histogram");
        for (method, route, stats) in series() {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            for (count, bound) in stats.buckets.iter().zip(BUCKETS) {
                let _ =
                    writeln!(out, "rookery_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}");
            }
            let _ =
                writeln!(out, "rookery_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", stats.count);
            let _ = writeln!(out, "rookery_http_request_duration_seconds_sum{{{labels}}} {}", stats.sum);
            let _ = writeln!(out, "rookery_http_request_duration_seconds_count{{{labels}}} {}", stats.count);
        }
        for gauges in &self.gauges {
            for (name, help, value) in gauges.read() {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
            }
            out.push_str(&gauges.text());
        }
        out
    }
}

/// `GET /metrics`.
pub async fn metrics_endpoint(req: actix_web::HttpRequest, metrics: web::Data<Metrics>) -> HttpResponse {
    let mut text = metrics.render();
    // Requests the server has received and not yet answered, this one included: what
    // a deploy's SIGTERM waits for.
    if let Some(in_flight) = req.app_data::<web::Data<crate::in_flight::InFlight>>() {
        text.push_str(&format!(
            "# HELP rookery_http_requests_in_flight Requests received and not yet answered.\n\
             # TYPE rookery_http_requests_in_flight gauge\nrookery_http_requests_in_flight {}\n",
            in_flight.count()
        ));
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let metrics = Metrics::new(Vec::new());
        metrics.record("GET", "/healthz", 200, Duration::from_millis(3));
        metrics.record("GET", "/healthz", 200, Duration::from_millis(30));
        let text = metrics.render();
        assert!(text.contains("rookery_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.05\"} 2"));
        assert!(text.contains("rookery_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 2"));
    }
}
