//! Blocks: one account shutting another out, both ways.

use super::GraphService;
use crate::account::ProfileView;
use crate::error::GraphError;
use crate::ids::AccountId;
use crate::listing::{ListPage, Listed, Paging};
use crate::page::{Page, PageRequest};
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier};
use crate::relationship::{Applied, Transition};

/// Longest block reason kept.
pub const MAX_REASON: usize = 500;

/// What a block did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockOutcome {
    /// The block is new: edges and requests between the two are gone.
    Blocked,
    /// It was already in place.
    AlreadyBlocked,
}

/// Block use cases.
pub trait Blocks {
    /// `actor` blocks `target`: follow edges both ways and every request between them
    /// are removed (counts adjusted), and neither can follow the other until unblocked.
    ///
    /// # Errors
    /// [`GraphError::CannotBlockSelf`], [`GraphError::UserNotFound`],
    /// [`GraphError::InvalidInput`] for an over-long reason; store errors.
    fn block(&self, actor: AccountId, target: AccountId, reason: Option<String>) -> Result<BlockOutcome, GraphError>;

    /// Lifts `actor`'s block of `target`; returns whether there was one.
    ///
    /// # Errors
    /// Store errors.
    fn unblock(&self, actor: AccountId, target: AccountId) -> Result<bool, GraphError>;

    /// The accounts `actor` blocks, newest first, as `actor` sees them.
    ///
    /// # Errors
    /// Store errors.
    fn blocked_accounts(&self, actor: AccountId, page: PageRequest) -> Result<Page<Listed<ProfileView>>, GraphError>;
}

impl<A, G, S, C, I, N> Blocks for GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    fn block(&self, actor: AccountId, target: AccountId, reason: Option<String>) -> Result<BlockOutcome, GraphError> {
        if actor == target {
            return Err(GraphError::CannotBlockSelf);
        }
        if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON) {
            return Err(GraphError::InvalidInput(format!("reason must be at most {MAX_REASON} characters")));
        }
        if self.accounts.account(target)?.is_none() {
            return Err(GraphError::UserNotFound);
        }
        let block = Transition::Block { blocker: actor, blocked: target, reason, at: self.clock.now() };
        if self.apply_one(block)? == Applied::Changed {
            return Ok(BlockOutcome::Blocked);
        }
        // The guard failed: either the block exists, or the target went away meanwhile.
        if self.relation_to(actor, target)?.is_blocking {
            Ok(BlockOutcome::AlreadyBlocked)
        } else {
            Err(GraphError::UserNotFound)
        }
    }

    fn unblock(&self, actor: AccountId, target: AccountId) -> Result<bool, GraphError> {
        Ok(self.apply_one(Transition::Unblock { blocker: actor, blocked: target })? == Applied::Changed)
    }

    fn blocked_accounts(&self, actor: AccountId, page: PageRequest) -> Result<Page<Listed<ProfileView>>, GraphError> {
        let blocked = self.graph.blocked_accounts(actor, page)?;
        let total = blocked.total;
        let list = ListPage {
            items: blocked.items,
            total: Some(total),
            paging: Paging::Offset(page),
            has_more: false,
            next_cursor: None,
        };
        let seen = self.as_seen_by(actor, list)?;
        Ok(Page { items: seen.items, total, request: page })
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::account::Relation;
    use crate::pending::Pending;

    #[test]
    fn blocking_applies_the_transition() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.accounts.expect_account().returning(|id| Ok(Some(sample_account(id))));
        ports
            .graph
            .expect_apply()
            .withf(move |t| matches!(t.as_slice(), [Transition::Block { blocker, blocked, .. }] if *blocker == a && *blocked == b))
            .returning(|_| Pending::ready(Ok(vec![Applied::Changed])));
        assert_eq!(ports.service().block(a, b, Some("spam".into())), Ok(BlockOutcome::Blocked));
    }

    #[test]
    fn blocking_twice_is_idempotent_and_self_blocks_are_refused() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.accounts.expect_account().returning(|id| Ok(Some(sample_account(id))));
        ports.graph.expect_apply().returning(|_| Pending::ready(Ok(vec![Applied::Unchanged])));
        let blocking = Relation { is_blocking: true, ..Relation::default() };
        ports.graph.expect_relations().return_const(Ok(vec![(b, blocking)]));
        let service = ports.service();
        assert_eq!(service.block(a, b, None), Ok(BlockOutcome::AlreadyBlocked));
        assert_eq!(service.block(a, a, None), Err(GraphError::CannotBlockSelf));
        assert!(matches!(service.block(a, b, Some("x".repeat(501))), Err(GraphError::InvalidInput(_))));
    }

    #[test]
    fn unknown_targets_and_unblocks() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.accounts.expect_account().return_const(Ok(None));
        ports
            .graph
            .expect_apply()
            .withf(move |t| t.as_slice() == [Transition::Unblock { blocker: a, blocked: b }])
            .returning(|_| Pending::ready(Ok(vec![Applied::Unchanged])));
        let service = ports.service();
        assert_eq!(service.block(a, b, None), Err(GraphError::UserNotFound));
        assert_eq!(service.unblock(a, b), Ok(false));
    }
}
