//! Accounts: provisioning from a verified identity, creation, lookup.

use super::GraphService;
use crate::account::{Account, Identity, NewAccount};
use crate::error::GraphError;
use crate::ids::AccountId;
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier, Presence, StoreError};
use crate::username::Username;

/// Account use cases.
pub trait Accounts {
    /// Makes sure the verified caller has an account, creating it on first sight from
    /// the token's claims, so Rookery can sit behind any identity provider.
    ///
    /// # Errors
    /// [`GraphError::AccountDeleted`] when the account was soft-deleted; store errors.
    fn ensure_account(&self, identity: &Identity) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// Refuses a caller whose account was deleted, and creates none for a caller that
    /// has no account: for calls that neither read nor change the caller's own graph
    /// (the admin API's feed and webhooks, which must not provision the service
    /// accounts that read them).
    ///
    /// # Errors
    /// [`GraphError::AccountDeleted`]; store errors.
    fn refuse_deleted(&self, id: AccountId) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// Creates an account with a fresh id.
    ///
    /// # Errors
    /// [`GraphError::UsernameTaken`]; store errors.
    fn create_account(
        &self,
        username: Username,
        full_name: Option<String>,
        is_private: bool,
    ) -> Result<Account, GraphError>;

    /// The live account with this id.
    ///
    /// # Errors
    /// [`GraphError::UserNotFound`]; store errors.
    fn account(&self, id: AccountId) -> Result<Account, GraphError>;

    /// The live account with this username.
    ///
    /// # Errors
    /// [`GraphError::UserNotFound`]; store errors.
    fn account_by_username(&self, username: &Username) -> Result<Account, GraphError>;
}

impl<A, G, S, C, I, N> Accounts for GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    async fn ensure_account(&self, identity: &Identity) -> Result<(), GraphError> {
        let now = self.clock.now();
        if self.live_callers.is_fresh(identity.id, now) {
            return Ok(());
        }
        match self.accounts.presence(identity.id).await? {
            Presence::Live => {
                self.live_callers.remember(identity.id, now);
                return Ok(());
            }
            Presence::Deleted => return Err(GraphError::AccountDeleted),
            Presence::Missing => {}
        }
        let full_name = identity.name.clone().filter(|n| !n.trim().is_empty());
        for username in provisioned_usernames(identity) {
            let account = NewAccount {
                id: identity.id,
                username,
                full_name: full_name.clone(),
                is_private: false,
                created_at: self.clock.now(),
            };
            match self.accounts.insert_account(account).await {
                // Unchanged: a racing twin request provisioned it first.
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict(_)) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Err(GraphError::UsernameTaken)
    }

    async fn refuse_deleted(&self, id: AccountId) -> Result<(), GraphError> {
        let now = self.clock.now();
        if self.live_callers.is_fresh(id, now) {
            return Ok(());
        }
        match self.accounts.presence(id).await? {
            Presence::Live => {
                self.live_callers.remember(id, now);
                Ok(())
            }
            Presence::Deleted => Err(GraphError::AccountDeleted),
            Presence::Missing => Ok(()),
        }
    }

    fn create_account(
        &self,
        username: Username,
        full_name: Option<String>,
        is_private: bool,
    ) -> Result<Account, GraphError> {
        let account = NewAccount {
            id: AccountId::from_uuid(self.ids.new_id()),
            username,
            full_name,
            is_private,
            created_at: self.clock.now(),
        };
        match self.accounts.insert_account(account.clone()).wait() {
            Ok(_) => self.accounts.account(account.id)?.ok_or(GraphError::UserNotFound),
            Err(StoreError::Conflict(_)) => Err(GraphError::UsernameTaken),
            Err(other) => Err(other.into()),
        }
    }

    fn account(&self, id: AccountId) -> Result<Account, GraphError> {
        self.accounts.account(id)?.ok_or(GraphError::UserNotFound)
    }

    fn account_by_username(&self, username: &Username) -> Result<Account, GraphError> {
        self.accounts.account_by_username(username)?.ok_or(GraphError::UserNotFound)
    }
}

/// Usernames to try, in order, for an account provisioned from a token: the claimed
/// one, the claimed one with a suffix from the id, then one made from the id alone.
fn provisioned_usernames(identity: &Identity) -> Vec<Username> {
    let hex = identity.id.as_uuid().simple().to_string();
    let short = hex.get(..8).unwrap_or(&hex);
    let mut names = Vec::with_capacity(3);
    if let Some(claimed) = identity.username.as_deref().and_then(Username::sanitize) {
        let base: String = claimed.as_str().chars().take(Username::MAX_LEN - 9).collect();
        names.push(claimed);
        if let Ok(suffixed) = Username::parse(&format!("{base}_{short}")) {
            names.push(suffixed);
        }
    }
    if let Ok(fallback) = Username::parse(&format!("user_{}", hex.get(..20).unwrap_or(&hex))) {
        names.push(fallback);
    }
    names
}

#[cfg(test)]
mod tests {
    use crate::pending::Pending;
    use crate::relationship::Applied;
    use mockall::predicate::eq;

    use super::super::fixtures::*;
    use super::*;

    fn identity(username: Option<&str>) -> Identity {
        Identity { id: account_id(), username: username.map(str::to_owned), name: Some("Jane".into()) }
    }

    #[test]
    fn known_accounts_are_not_written() {
        let mut ports = Ports::new();
        let who = identity(Some("jane"));
        ports.accounts.expect_presence().with(eq(who.id)).returning(|_| Pending::ready(Ok(Presence::Live)));
        ports.accounts.expect_insert_account().never();
        assert_eq!(ready(ports.service().ensure_account(&who)), Ok(()));
    }

    #[test]
    fn a_live_caller_is_read_once_until_deleted_here() {
        use crate::service::Admin;
        let mut ports = Ports::new();
        let who = identity(Some("jane"));
        let mut reads = mockall::Sequence::new();
        ports
            .accounts
            .expect_presence()
            .times(1)
            .in_sequence(&mut reads)
            .returning(|_| Pending::ready(Ok(Presence::Live)));
        ports.accounts.expect_soft_delete().times(1).in_sequence(&mut reads).return_const(Ok(Applied::Changed));
        ports
            .accounts
            .expect_presence()
            .times(1)
            .in_sequence(&mut reads)
            .returning(|_| Pending::ready(Ok(Presence::Deleted)));
        let service = ports.service();
        assert_eq!(ready(service.ensure_account(&who)), Ok(()));
        assert_eq!(ready(service.ensure_account(&who)), Ok(()), "remembered: no second read");
        assert_eq!(service.admin_delete(who.id), Ok(()));
        assert_eq!(ready(service.ensure_account(&who)), Err(GraphError::AccountDeleted));
    }

    #[test]
    fn deleted_accounts_are_refused() {
        let mut ports = Ports::new();
        ports.accounts.expect_presence().returning(|_| Pending::ready(Ok(Presence::Deleted)));
        assert_eq!(ready(ports.service().ensure_account(&identity(None))), Err(GraphError::AccountDeleted));
    }

    #[test]
    fn unknown_subjects_are_provisioned_with_a_free_username() {
        let mut ports = Ports::new();
        let who = identity(Some("jane doe!"));
        ports.accounts.expect_presence().returning(|_| Pending::ready(Ok(Presence::Missing)));
        let mut tries = mockall::Sequence::new();
        ports
            .accounts
            .expect_insert_account()
            .withf(|a| a.username.as_str() == "janedoe")
            .times(1)
            .in_sequence(&mut tries)
            .returning(|_| Pending::ready(Err(StoreError::Conflict("username".into()))));
        ports
            .accounts
            .expect_insert_account()
            .withf(|a| a.username.as_str().starts_with("janedoe_") && a.full_name.as_deref() == Some("Jane"))
            .times(1)
            .in_sequence(&mut tries)
            .returning(|_| Pending::ready(Ok(Applied::Changed)));
        assert_eq!(ready(ports.service().ensure_account(&who)), Ok(()));
    }

    #[test]
    fn a_racing_twin_provisioning_is_fine() {
        let mut ports = Ports::new();
        ports.accounts.expect_presence().returning(|_| Pending::ready(Ok(Presence::Missing)));
        ports.accounts.expect_insert_account().times(1).returning(|_| Pending::ready(Ok(Applied::Unchanged)));
        assert_eq!(ready(ports.service().ensure_account(&identity(None))), Ok(()));
    }

    #[test]
    fn create_account_reports_taken_usernames() {
        let mut ports = Ports::new();
        ports
            .accounts
            .expect_insert_account()
            .returning(|_| Pending::ready(Err(StoreError::Conflict("username".into()))));
        let result = ports.service().create_account(Username::parse("jane").unwrap(), None, false);
        assert_eq!(result, Err(GraphError::UsernameTaken));
    }

    #[test]
    fn lookups_report_missing_accounts() {
        let mut ports = Ports::new();
        ports.accounts.expect_account().return_const(Ok(None));
        ports.accounts.expect_account_by_username().return_const(Ok(None));
        let service = ports.service();
        assert_eq!(service.account(account_id()), Err(GraphError::UserNotFound));
        assert_eq!(service.account_by_username(&Username::parse("x").unwrap()), Err(GraphError::UserNotFound));
    }
}
