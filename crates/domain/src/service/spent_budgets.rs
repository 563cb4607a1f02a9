//! Accounts whose budget of new follows is used up, remembered until their window
//! renews, so that a client hammering follows past its limit is refused without a
//! write transaction (a 429 writes nothing, and should cost next to nothing).
//!
//! Only a spend refused by the store is remembered, with the end of the window the
//! store reported, and the account's follows are refused until then without a read.
//! A window that is used up cannot renew before its end, and nothing but time renews
//! it, so this memory never refuses what the store would grant; it can only err toward
//! trying: a forgotten entry (the memory is per process and bounded) sends the follow
//! to the store, whose guard decides as always.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::ids::AccountId;
use crate::time::Timestamp;

/// Most accounts remembered; past it the expired entries go, then all of them.
const CAPACITY: usize = 100_000;

/// Used-up budgets, with when each renews.
#[derive(Debug, Default)]
pub(crate) struct SpentBudgets {
    until: Mutex<HashMap<AccountId, Timestamp>>,
}

impl SpentBudgets {
    /// How long until `account`'s used-up budget renews, if it is known to be used up
    /// at `now`.
    pub(crate) fn retry_after(&self, account: AccountId, now: Timestamp) -> Option<chrono::Duration> {
        // A poisoned lock only means another thread panicked mid-insert: ask the store.
        let until = self.until.lock().ok()?.get(&account).copied()?;
        (now < until).then(|| until - now)
    }

    /// Notes that `account`'s budget is used up until `until`.
    pub(crate) fn remember(&self, account: AccountId, until: Timestamp, now: Timestamp) {
        if let Ok(mut spent) = self.until.lock() {
            if spent.len() >= CAPACITY {
                spent.retain(|_, renews| *renews > now);
                if spent.len() >= CAPACITY {
                    spent.clear();
                }
            }
            spent.insert(account, until);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    #[test]
    fn a_used_up_budget_is_known_until_it_renews() {
        let now = Utc.timestamp_opt(1_700_000_000, 0).single().unwrap();
        let account = AccountId::from_uuid(uuid::Uuid::now_v7());
        let spent = SpentBudgets::default();
        assert_eq!(spent.retry_after(account, now), None);
        spent.remember(account, now + Duration::seconds(90), now);
        assert_eq!(spent.retry_after(account, now + Duration::seconds(30)), Some(Duration::seconds(60)));
        assert_eq!(spent.retry_after(account, now + Duration::seconds(90)), None, "renewed");
    }
}
