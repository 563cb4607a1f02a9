//! Who may read an account's followers and following lists, and who sees its counts.
//! The one place these rules live; every dialect asks them through the use cases.

use crate::account::{Account, ProfileView, Relation};
use crate::error::GraphError;
use crate::privacy::Audience;

/// Why a list may not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListRefusal {
    /// The account is private and the viewer does not follow it.
    Private,
    /// The account's choice (or its block of the viewer) keeps the viewer out.
    Hidden,
}

impl From<ListRefusal> for GraphError {
    fn from(refusal: ListRefusal) -> Self {
        match refusal {
            ListRefusal::Private => Self::PrivateAccount,
            ListRefusal::Hidden => Self::ListHidden,
        }
    }
}

/// Whether a viewer (`relation` to the owner; `None` when anonymous) may read the
/// owner's list shown to `audience`. The owner always may. An account the owner
/// blocks never may. A private account's lists are for its accepted followers at
/// most, whatever the audience says.
///
/// # Errors
/// The refusal.
pub fn may_read_list(owner: &Account, audience: Audience, relation: Option<&Relation>) -> Result<(), ListRefusal> {
    if relation.is_some_and(|r| r.is_self) {
        return Ok(());
    }
    let follows = relation.is_some_and(|r| r.is_following);
    if relation.is_some_and(|r| r.is_blocked_by) {
        return Err(ListRefusal::Hidden);
    }
    if owner.is_private && !follows {
        return Err(ListRefusal::Private);
    }
    match audience {
        Audience::Everyone => Ok(()),
        Audience::Followers if follows => Ok(()),
        Audience::Followers | Audience::OnlySelf => Err(ListRefusal::Hidden),
    }
}

/// Whether a viewer sees the owner's follower and following counts (and list totals).
#[must_use]
pub fn may_see_counts(owner: &Account, relation: Option<&Relation>) -> bool {
    owner.privacy.counts_visible || relation.is_some_and(|r| r.is_self)
}

impl ProfileView {
    /// The follower and following counts, when this viewer may see them
    /// ([`may_see_counts`]); `None` when the account hides them from the viewer.
    #[must_use]
    pub fn visible_counts(&self) -> Option<(i64, i64)> {
        may_see_counts(&self.account, Some(&self.relation))
            .then_some((self.account.followers_count, self.account.following_count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::{account_id, sample_account};

    #[test]
    fn every_audience_from_every_viewer() {
        let owner = sample_account(account_id());
        let me = Relation { is_self: true, ..Relation::default() };
        let follower = Relation { is_following: true, ..Relation::default() };
        let stranger = Relation::default();
        let blocked = Relation { is_blocked_by: true, is_following: false, ..Relation::default() };
        for audience in [Audience::Everyone, Audience::Followers, Audience::OnlySelf] {
            assert_eq!(may_read_list(&owner, audience, Some(&me)), Ok(()));
            assert_eq!(may_read_list(&owner, audience, Some(&blocked)), Err(ListRefusal::Hidden));
        }
        assert_eq!(may_read_list(&owner, Audience::Everyone, None), Ok(()));
        assert_eq!(may_read_list(&owner, Audience::Everyone, Some(&stranger)), Ok(()));
        assert_eq!(may_read_list(&owner, Audience::Followers, Some(&follower)), Ok(()));
        assert_eq!(may_read_list(&owner, Audience::Followers, Some(&stranger)), Err(ListRefusal::Hidden));
        assert_eq!(may_read_list(&owner, Audience::Followers, None), Err(ListRefusal::Hidden));
        assert_eq!(may_read_list(&owner, Audience::OnlySelf, Some(&follower)), Err(ListRefusal::Hidden));
        let private = Account { is_private: true, ..owner.clone() };
        assert_eq!(may_read_list(&private, Audience::Everyone, Some(&stranger)), Err(ListRefusal::Private));
        assert_eq!(may_read_list(&private, Audience::Everyone, Some(&follower)), Ok(()));
        assert_eq!(may_read_list(&private, Audience::OnlySelf, Some(&follower)), Err(ListRefusal::Hidden));
    }

    #[test]
    fn hidden_counts_are_for_the_owner_alone() {
        let mut owner = sample_account(account_id());
        assert!(may_see_counts(&owner, None));
        owner.privacy.counts_visible = false;
        assert!(!may_see_counts(&owner, None));
        assert!(!may_see_counts(&owner, Some(&Relation { is_following: true, ..Relation::default() })));
        assert!(may_see_counts(&owner, Some(&Relation { is_self: true, ..Relation::default() })));
    }
}
