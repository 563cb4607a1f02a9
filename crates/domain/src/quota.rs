//! The budget of new follows and follow requests (SPEC section 8), and what spending
//! from it takes. Written once here, and applied by the store inside the write
//! transaction of the change that spends it, single or batched alike.

use crate::time::Timestamp;

/// A budget of new follows and requests per account: at most `limit` per `window`,
/// counted in a fixed window that starts at the first spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowQuota {
    /// How many.
    pub limit: u32,
    /// Per how long.
    pub window: chrono::Duration,
}

impl FollowQuota {
    /// `limit` per hour.
    #[must_use]
    pub const fn per_hour(limit: u32) -> Self {
        Self { limit, window: chrono::Duration::hours(1) }
    }
}

/// A change's claim on its actor's budget: one unit of `quota`, spent at `at`, only if
/// the change really happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spend {
    /// The budget it is taken from.
    pub quota: FollowQuota,
    /// When.
    pub at: Timestamp,
}

/// An account's current window as stored: when it started and how much of it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaWindow {
    /// The first spend of the window.
    pub start: Timestamp,
    /// Units spent since.
    pub used: u32,
}

impl Spend {
    /// Takes one unit from `window` (`None`: nothing spent yet). `Ok` with the window
    /// after the spend; `Err` with how long until the window renews when it is used up.
    ///
    /// # Errors
    /// The budget is used up: the time until it renews (at least a second).
    pub fn take_from(&self, window: Option<QuotaWindow>) -> Result<QuotaWindow, chrono::Duration> {
        let current = window.filter(|w| self.at < w.start + self.quota.window);
        match current {
            None => Ok(QuotaWindow { start: self.at, used: 1 }),
            Some(w) if w.used < self.quota.limit => Ok(QuotaWindow { used: w.used + 1, ..w }),
            Some(w) => Err(((w.start + self.quota.window) - self.at).max(chrono::Duration::seconds(1))),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    fn at(secs: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).single().unwrap()
    }

    fn spend(secs: i64) -> Spend {
        Spend { quota: FollowQuota { limit: 2, window: Duration::seconds(100) }, at: at(secs) }
    }

    #[test]
    fn a_window_opens_at_the_first_spend_and_fills_to_its_limit() {
        let first = spend(0).take_from(None).unwrap();
        assert_eq!(first, QuotaWindow { start: at(0), used: 1 });
        let second = spend(10).take_from(Some(first)).unwrap();
        assert_eq!(second, QuotaWindow { start: at(0), used: 2 });
        assert_eq!(spend(30).take_from(Some(second)), Err(Duration::seconds(70)));
    }

    #[test]
    fn a_used_up_window_renews_when_it_ends() {
        let full = QuotaWindow { start: at(0), used: 2 };
        assert_eq!(spend(99).take_from(Some(full)), Err(Duration::seconds(1)));
        assert_eq!(spend(100).take_from(Some(full)), Ok(QuotaWindow { start: at(100), used: 1 }));
    }
}
