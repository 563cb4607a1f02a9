//! The worker's settings: the retry schedule, when to disable an endpoint, whether
//! internal destinations are allowed, how long events are kept.

use std::time::Duration;

/// The default retry schedule: the waits after the first attempt, then after each
/// retry; with the first attempt, 8 attempts over about 27.5 hours.
pub const DEFAULT_SCHEDULE: &str = "5s,5m,30m,2h,5h,10h,10h";

/// How the worker delivers.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    /// The wait before each retry; the delivery fails after the last.
    pub schedule: Vec<Duration>,
    /// Deliveries failed in a row that disable an endpoint.
    pub disable_after: i32,
    /// Deliver to loopback, private and link-local addresses too.
    pub allow_private: bool,
    /// How long events (and finished deliveries) are kept.
    pub retention: Duration,
}

/// Reads `90`, `90s`, `250ms`, `5m`, `2h` or `7d`.
///
/// # Errors
/// Anything else.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let text = raw.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("not a duration: {raw:?} (say 30s, 5m, 2h or 7d)"))?;
    let seconds = match unit.trim() {
        "ms" => return Ok(Duration::from_millis(n)),
        "" | "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        _ => return Err(format!("not a duration: {raw:?} (say 30s, 5m, 2h or 7d)")),
    };
    Ok(Duration::from_secs(seconds))
}

/// Reads a comma-separated schedule of durations (empty: no retries).
///
/// # Errors
/// A delay that is not a duration, or an empty one between commas (`1s,,2s`: a typo
/// that would otherwise drop a retry unnoticed).
pub fn parse_schedule(raw: &str) -> Result<Vec<Duration>, String> {
    if raw.trim().is_empty() {
        return Ok(Vec::new());
    }
    raw.split(',')
        .map(str::trim)
        .map(|delay| {
            if delay.is_empty() {
                Err(format!("an empty delay in the schedule {raw:?} (say 5s,5m,30m)"))
            } else {
                parse_duration(delay)
            }
        })
        .collect()
}

/// Reads how long events are kept: a duration of at least a second (`0s` would prune
/// every event as it is written, and every cursor would be gone at once).
///
/// # Errors
/// Not a duration, or under a second.
pub fn parse_retention(raw: &str) -> Result<Duration, String> {
    let retention = parse_duration(raw)?;
    if retention < Duration::from_secs(1) {
        return Err(format!("a retention of {raw:?} keeps no event: say at least 1s (the default is 7d)"));
    }
    Ok(retention)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_schedules_parse() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert!(parse_duration("soon").is_err());
        let default = parse_schedule(DEFAULT_SCHEDULE).unwrap();
        let total: u64 = default.iter().map(Duration::as_secs).sum();
        assert_eq!(default.len(), 7);
        assert!((86_400..=2 * 86_400).contains(&total), "about a day: {total}");
        assert_eq!(parse_schedule(" 1s , 2s ").unwrap(), vec![Duration::from_secs(1), Duration::from_secs(2)]);
        assert!(parse_schedule("").unwrap().is_empty());
        assert!(parse_schedule("1s,,2s").is_err());
        assert!(parse_schedule("1s,").is_err());
        assert!(parse_retention("0s").is_err() && parse_retention("500ms").is_err());
        assert_eq!(parse_retention("90s").unwrap(), Duration::from_secs(90));
    }
}
