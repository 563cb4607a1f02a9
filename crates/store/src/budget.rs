//! Spending from the follow budgets inside the write transaction of the change that
//! spends (SPEC section 8). The rule (a fixed window from the first spend) is the
//! domain's ([`Spend::take_from`]); this reads the windows, applies it in order, and
//! stores what changed.
//!
//! A spend is taken only for a change that really happens, after its guard held, and
//! only while the spender's account row is locked by the transaction (every path to
//! here locks the accounts of its transitions first: `lock_pair` or, for a batch,
//! `lock_accounts`), so two transactions never spend from one window at once, across
//! instances too.

use std::collections::HashMap;

use diesel::prelude::*;
use rookery_domain::quota::{QuotaWindow, Spend};

use crate::connection::BackendSql;
use crate::schema::follow_quota;
use crate::sql_types::{DbTime, DbUuid, db_time};

/// What a spend got: taken, or refused with how long until the window renews.
pub(crate) type SpendOutcome = Result<(), chrono::Duration>;

/// Spending, written once for both backends.
pub(crate) trait BudgetWrites {
    /// Takes the spends in order (one account's spends in the order given) and answers
    /// each: one read of the windows and one write of those that changed.
    fn take_spends(&mut self, spends: &[(DbUuid, Spend)]) -> QueryResult<Vec<SpendOutcome>>;
}

for_each_backend! {
impl BudgetWrites {
    fn take_spends(&mut self, spends: &[(DbUuid, Spend)]) -> QueryResult<Vec<SpendOutcome>> {
        if spends.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids: Vec<DbUuid> = spends.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut windows: HashMap<DbUuid, QuotaWindow> = follow_quota::table
            .filter(follow_quota::account_id.eq_any(&ids))
            .select((follow_quota::account_id, follow_quota::window_start, follow_quota::used))
            .load::<(DbUuid, DbTime, i32)>(self)?
            .into_iter()
            .map(|(id, start, used)| (id, QuotaWindow { start: start.0, used: u32::try_from(used).unwrap_or(0) }))
            .collect();
        let mut changed: Vec<DbUuid> = Vec::new();
        let outcomes = spends
            .iter()
            .map(|(id, spend)| {
                let after = spend.take_from(windows.get(id).copied())?;
                windows.insert(*id, after);
                changed.push(*id);
                Ok(())
            })
            .collect();
        changed.sort_unstable();
        changed.dedup();
        let rows: Vec<(DbUuid, DbTime, i32)> = changed
            .into_iter()
            .filter_map(|id| windows.get(&id).map(|w| (id, db_time(w.start), i32::try_from(w.used).unwrap_or(i32::MAX))))
            .collect();
        self.store_quota_windows(&rows)?;
        Ok(outcomes)
    }
}
}
