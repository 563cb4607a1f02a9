//! The admin API's use cases: upserting an account and soft-deleting it. Who may call
//! them is the inbound adapter's business (an admin token); the rules are here.

use super::GraphService;
use crate::account::{Account, NewAccount, ProfilePatch};
use crate::error::GraphError;
use crate::ids::AccountId;
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier, Presence, StoreError};
use crate::relationship::Applied;

/// Admin use cases.
pub trait Admin {
    /// Creates the account with this id, or updates it: every profile field, the
    /// verification badge and the post count. Creating needs a username. Returns the
    /// account and whether it was created.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] (no username for a new account, bad fields),
    /// [`GraphError::UsernameTaken`], [`GraphError::UserNotFound`] for a deleted
    /// account; store errors.
    fn admin_upsert(&self, id: AccountId, patch: &ProfilePatch) -> Result<(Account, bool), GraphError>;

    /// Soft-deletes a live account: its edges, requests, blocks and notifications go,
    /// counterparts' counts follow, and it is "not found" from then on.
    ///
    /// # Errors
    /// [`GraphError::UserNotFound`] when it is not live; store errors.
    fn admin_delete(&self, id: AccountId) -> Result<(), GraphError>;
}

impl<A, G, S, C, I, N> Admin for GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    fn admin_upsert(&self, id: AccountId, patch: &ProfilePatch) -> Result<(Account, bool), GraphError> {
        patch.validate()?;
        let created = match self.accounts.presence(id).wait()? {
            Presence::Deleted => return Err(GraphError::UserNotFound),
            Presence::Live => false,
            Presence::Missing => {
                let username = patch
                    .username
                    .clone()
                    .ok_or_else(|| GraphError::InvalidInput("username is required to create an account".into()))?;
                let account = NewAccount {
                    id,
                    username,
                    full_name: patch.full_name.clone().flatten(),
                    is_private: patch.is_private.unwrap_or(false),
                    created_at: self.clock.now(),
                };
                match self.accounts.insert_account(account).wait() {
                    Ok(applied) => applied == Applied::Changed,
                    Err(StoreError::Conflict(_)) => return Err(GraphError::UsernameTaken),
                    Err(other) => return Err(other.into()),
                }
            }
        };
        Ok((self.store_profile(id, patch)?, created))
    }

    fn admin_delete(&self, id: AccountId) -> Result<(), GraphError> {
        match self.accounts.soft_delete(id, self.clock.now())? {
            Applied::Changed => {
                // After the commit: a request that found it live just before cannot
                // remember it past this point.
                self.live_callers.forget(id);
                Ok(())
            }
            Applied::Unchanged | Applied::Exhausted { .. } => Err(GraphError::UserNotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::pending::Pending;
    use crate::username::Username;

    #[test]
    fn creating_needs_a_username() {
        let id = account_id();
        let mut ports = Ports::new();
        ports.accounts.expect_presence().returning(|_| Pending::ready(Ok(Presence::Missing)));
        ports
            .accounts
            .expect_insert_account()
            .withf(move |a| a.id == id && a.username.as_str() == "neo")
            .returning(|_| Pending::ready(Ok(Applied::Changed)));
        ports.accounts.expect_update_profile().returning(|id, _, _| Ok(Some((sample_account(id), Vec::new()))));
        let service = ports.service();
        assert!(matches!(service.admin_upsert(id, &ProfilePatch::default()), Err(GraphError::InvalidInput(_))));
        let patch = ProfilePatch {
            username: Some(Username::parse("neo").unwrap()),
            is_verified: Some(true),
            ..ProfilePatch::default()
        };
        assert_eq!(service.admin_upsert(id, &patch).map(|(_, created)| created), Ok(true));
    }

    #[test]
    fn updating_and_deleting() {
        let id = account_id();
        let mut ports = Ports::new();
        ports.accounts.expect_presence().returning(|_| Pending::ready(Ok(Presence::Live)));
        ports.accounts.expect_insert_account().never();
        ports.accounts.expect_update_profile().returning(|id, _, _| Ok(Some((sample_account(id), Vec::new()))));
        let mut deletes = mockall::Sequence::new();
        ports.accounts.expect_soft_delete().times(1).in_sequence(&mut deletes).returning(|_, _| Ok(Applied::Changed));
        ports.accounts.expect_soft_delete().times(1).in_sequence(&mut deletes).returning(|_, _| Ok(Applied::Unchanged));
        let service = ports.service();
        let patch = ProfilePatch { posts_count: Some(7), ..ProfilePatch::default() };
        assert_eq!(service.admin_upsert(id, &patch).map(|(_, created)| created), Ok(false));
        assert_eq!(service.admin_delete(id), Ok(()));
        assert_eq!(service.admin_delete(id), Err(GraphError::UserNotFound));
        let negative = ProfilePatch { posts_count: Some(-1), ..ProfilePatch::default() };
        assert!(matches!(service.admin_upsert(id, &negative), Err(GraphError::InvalidInput(_))));
    }
}
