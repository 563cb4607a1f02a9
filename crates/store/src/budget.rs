//! Spending from the follow budgets inside the write transaction of the change that
//! spends (SPEC section 8). The rule (a fixed window from the first spend) is the
//! domain's ([`Spend::take_from`]); this applies it, in order, to the windows the
//! transaction read when it locked the spenders' accounts, and says which windows to
//! store.
//!
//! A spend is taken only for a change that really happens, after its guard held, and
//! only while the spender's account row is locked by the transaction (every path here
//! locks the accounts of its transitions first: `lock_pair`, or `lock_accounts` for a
//! batch), so two transactions never spend from one window at once, across instances
//! too. The windows are read by a statement of their own, after the lock: on
//! PostgreSQL a statement that waited for a row lock sees the locked row as committed
//! by the transaction it waited for, but any other table as it was when the statement
//! began, so a window read with the lock could miss the spend of the transaction that
//! held it (a race test over two writers granted seven of five units that way).

use std::collections::HashMap;

use diesel::prelude::*;
use rookery_domain::quota::{QuotaWindow, Spend};

use crate::schema::follow_quota;
use crate::sql_types::{DbTime, DbUuid, db_time};

/// Reading the windows, written once for both backends.
pub(crate) trait WindowReads {
    /// The stored windows of `ids` (accounts the transaction has locked); an account
    /// that never spent has none.
    fn quota_windows(&mut self, ids: &[DbUuid]) -> QueryResult<HashMap<DbUuid, QuotaWindow>>;
}

for_each_backend! {
impl WindowReads {
    fn quota_windows(&mut self, ids: &[DbUuid]) -> QueryResult<HashMap<DbUuid, QuotaWindow>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(follow_quota::table
            .filter(follow_quota::account_id.eq_any(ids))
            .select((follow_quota::account_id, follow_quota::window_start, follow_quota::used))
            .load::<(DbUuid, DbTime, i32)>(self)?
            .into_iter()
            .map(|(id, start, used)| (id, QuotaWindow { start: start.0, used: u32::try_from(used).unwrap_or(0) }))
            .collect())
    }
}
}

/// What a spend got: taken, or refused with how long until the window renews.
pub(crate) type SpendOutcome = Result<(), chrono::Duration>;

/// A window to store: account, start, used.
pub(crate) type WindowRow = (DbUuid, DbTime, i32);

/// Takes `spends` in order from `windows` (each spender's window as locked; updated in
/// place) and answers each, with the windows that changed, one row per account.
pub(crate) fn take_spends(
    windows: &mut HashMap<DbUuid, Option<QuotaWindow>>,
    spends: &[(DbUuid, Spend)],
) -> (Vec<SpendOutcome>, Vec<WindowRow>) {
    let mut changed: Vec<DbUuid> = Vec::new();
    let outcomes = spends
        .iter()
        .map(|(id, spend)| {
            let after = spend.take_from(windows.get(id).copied().flatten())?;
            windows.insert(*id, Some(after));
            changed.push(*id);
            Ok(())
        })
        .collect();
    changed.sort_unstable();
    changed.dedup();
    let rows = changed
        .into_iter()
        .filter_map(|id| {
            let window = windows.get(&id).copied().flatten()?;
            Some((id, db_time(window.start), i32::try_from(window.used).unwrap_or(i32::MAX)))
        })
        .collect();
    (outcomes, rows)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};
    use rookery_domain::FollowQuota;

    use super::*;

    #[test]
    fn one_accounts_spends_are_taken_in_order_and_its_window_stored_once() {
        let at = Utc.timestamp_opt(1_700_000_000, 0).single().unwrap();
        let (a, b) = (DbUuid(uuid::Uuid::now_v7()), DbUuid(uuid::Uuid::now_v7()));
        let spend = Spend { quota: FollowQuota { limit: 2, window: Duration::hours(1) }, at };
        let mut windows = HashMap::from([(a, Some(QuotaWindow { start: at, used: 1 })), (b, None)]);
        let (outcomes, rows) = take_spends(&mut windows, &[(a, spend), (b, spend), (a, spend)]);
        assert_eq!(outcomes, vec![Ok(()), Ok(()), Err(Duration::hours(1))]);
        let mut expected = vec![(a, db_time(at), 2), (b, db_time(at), 1)];
        expected.sort_unstable_by_key(|row| row.0);
        assert_eq!(rows, expected);
    }
}
