//! Timestamps on the wire: RFC 3339, UTC, with `Z`.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats an instant as the seeds show it (`2025-10-23T11:43:08.220916Z`).
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
