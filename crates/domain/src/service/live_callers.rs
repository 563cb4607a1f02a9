//! Callers recently found live, so that a request does not read its caller's row again.
//!
//! Every authenticated request first makes sure its caller has an account
//! ([`Accounts::ensure_account`](super::Accounts::ensure_account)): a read of one row,
//! and on SQLite the start of a read transaction, which after any commit drops the
//! connection's page cache. Under a stream of follows that read was an eighth of the
//! server's CPU. A caller found live is remembered for [`TTL`]; deleting an account
//! through this service forgets it at once. Another instance's deletion is seen when the
//! entry expires; meanwhile graph changes and profile edits are still refused by the
//! store's guards, which check the accounts' liveness inside the write transaction, so
//! what a deleted caller can do on another instance for up to [`TTL`] is mostly read.
//! The awaited follow and unfollow tries skip the read altogether (their guards prove
//! the caller live) and remember a caller whose try changed something.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::ids::AccountId;
use crate::time::Timestamp;

/// How long a caller found live is taken to be live without reading its row.
pub(crate) const TTL: chrono::Duration = chrono::Duration::seconds(30);

/// Most callers remembered; past it the memory starts over (a clear is O(n) once, and
/// the next reads refill it with the callers that are active).
const CAPACITY: usize = 100_000;

/// The callers found live, and when.
#[derive(Debug, Default)]
pub(crate) struct LiveCallers {
    seen: Mutex<HashMap<AccountId, Timestamp>>,
}

impl LiveCallers {
    /// Whether `id` was found live less than [`TTL`] before `now`.
    pub(crate) fn is_fresh(&self, id: AccountId, now: Timestamp) -> bool {
        // A poisoned lock only means another thread panicked mid-insert: read the row.
        self.seen.lock().is_ok_and(|seen| seen.get(&id).is_some_and(|at| now.signed_duration_since(*at) < TTL))
    }

    /// Notes that `id` was found live at `now`.
    pub(crate) fn remember(&self, id: AccountId, now: Timestamp) {
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() >= CAPACITY {
                seen.clear();
            }
            seen.insert(id, now);
        }
    }

    /// Forgets `id` (it was just deleted).
    pub(crate) fn forget(&self, id: AccountId) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap_or_default()
    }

    #[test]
    fn a_caller_is_fresh_until_the_ttl_passes() {
        let callers = LiveCallers::default();
        let id = AccountId::from_uuid(uuid::Uuid::now_v7());
        assert!(!callers.is_fresh(id, at(0)));
        callers.remember(id, at(0));
        assert!(callers.is_fresh(id, at(29)));
        assert!(!callers.is_fresh(id, at(30)));
    }

    #[test]
    fn a_forgotten_caller_is_read_again() {
        let callers = LiveCallers::default();
        let id = AccountId::from_uuid(uuid::Uuid::now_v7());
        callers.remember(id, at(0));
        callers.forget(id);
        assert!(!callers.is_fresh(id, at(1)));
    }
}
