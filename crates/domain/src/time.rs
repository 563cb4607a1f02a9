//! Time, as the domain speaks of it.

/// A moment in time, always UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
