//! How long a fetched JWK Set is fresh: its `Cache-Control: max-age`, kept within
//! bounds so that a provider saying "forever" still has its removals seen within the
//! hour, and one saying `no-cache` is not fetched on every request.

use std::time::Duration;

/// The `max-age` of a `Cache-Control` header value, if it has one. `no-cache` and
/// `no-store` count as zero.
#[must_use]
pub fn max_age(header: &str) -> Option<Duration> {
    let mut found = None;
    for directive in header.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-cache" || lower == "no-store" {
            return Some(Duration::ZERO);
        }
        if let Some(value) = lower.strip_prefix("max-age=") {
            found = value.trim_matches('"').parse::<u64>().ok().map(Duration::from_secs);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_max_age_among_other_directives() {
        assert_eq!(max_age("public, max-age=19826, must-revalidate, no-transform"), Some(Duration::from_secs(19_826)));
        assert_eq!(max_age("max-age=\"60\""), Some(Duration::from_secs(60)));
        assert_eq!(max_age("no-cache"), Some(Duration::ZERO));
        assert_eq!(max_age("private"), None);
        assert_eq!(max_age("max-age=soon"), None);
    }
}
