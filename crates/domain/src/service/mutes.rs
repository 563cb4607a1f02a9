//! Mutes: hiding an account from oneself, privately. What a mute silences is decided
//! by [`crate::mute`]; the store leaves silenced notifications unstored.

use super::GraphService;
use crate::account::ProfileView;
use crate::error::GraphError;
use crate::ids::AccountId;
use crate::listing::{ListPage, Listed, Paging};
use crate::mute::{MuteRequest, MuteState};
use crate::page::{Page, PageRequest};
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier};

/// Mute use cases.
pub trait Mutes {
    /// Mutes (or re-mutes, replacing the earlier mute) an account for the actor.
    /// Nothing the muted account can read changes.
    ///
    /// # Errors
    /// [`GraphError::CannotMuteSelf`], [`GraphError::UserNotFound`]; store errors.
    fn mute(&self, actor: AccountId, request: MuteRequest) -> Result<MuteState, GraphError>;

    /// Lifts the actor's mute of `target`; whether there was one. Idempotent.
    ///
    /// # Errors
    /// Store errors.
    fn unmute(&self, actor: AccountId, target: AccountId) -> Result<bool, GraphError>;

    /// The accounts the actor mutes now, newest mute first, as the actor sees them
    /// (each relation carries its mute).
    ///
    /// # Errors
    /// Store errors.
    fn muted_accounts(&self, actor: AccountId, page: PageRequest) -> Result<Page<Listed<ProfileView>>, GraphError>;

    /// Which of `candidates` the actor mutes now: what suggestions and other
    /// account lists leave out.
    ///
    /// # Errors
    /// Store errors.
    fn muted_among(&self, actor: AccountId, candidates: &[AccountId]) -> Result<Vec<AccountId>, GraphError>;
}

impl<A, G, S, C, I, N> Mutes for GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    fn mute(&self, actor: AccountId, request: MuteRequest) -> Result<MuteState, GraphError> {
        if request.muted == actor {
            return Err(GraphError::CannotMuteSelf);
        }
        let mute = request.at(actor, self.clock.now());
        if self.graph.put_mute(&mute)? { Ok(mute.state()) } else { Err(GraphError::UserNotFound) }
    }

    fn unmute(&self, actor: AccountId, target: AccountId) -> Result<bool, GraphError> {
        Ok(self.graph.remove_mute(actor, target)?)
    }

    fn muted_accounts(&self, actor: AccountId, page: PageRequest) -> Result<Page<Listed<ProfileView>>, GraphError> {
        let muted = self.graph.mutes(actor, self.clock.now(), page)?;
        let total = muted.total;
        let items = muted.items.into_iter().map(|m| Listed { since: m.mute.created_at, item: m.account }).collect();
        let list =
            ListPage { items, total: Some(total), paging: Paging::Offset(page), has_more: false, next_cursor: None };
        let seen = self.as_seen_by(actor, list)?;
        Ok(Page { items: seen.items, total, request: page })
    }

    fn muted_among(&self, actor: AccountId, candidates: &[AccountId]) -> Result<Vec<AccountId>, GraphError> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.graph.muted_among(actor, candidates, self.clock.now())?)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn muting_oneself_or_a_missing_account_is_refused() {
        let (me, other) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_put_mute().times(1).return_const(Ok(false));
        let service = ports.service();
        let request = |id| MuteRequest::new(id, None, None).unwrap();
        assert_eq!(service.mute(me, request(me)), Err(GraphError::CannotMuteSelf));
        assert_eq!(service.mute(me, request(other)), Err(GraphError::UserNotFound));
    }

    #[test]
    fn a_mute_answers_its_state() {
        let (me, other) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_put_mute().withf(move |m| m.muter == me && m.muted == other).return_const(Ok(true));
        let state = ports.service().mute(me, MuteRequest::new(other, Some(60), Some(false)).unwrap()).unwrap();
        assert!(!state.notifications);
        assert_eq!(state.expires_at, Some(now() + chrono::Duration::seconds(60)));
    }
}
