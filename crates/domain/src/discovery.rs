//! Suggested accounts ("people you may know") and why each is suggested.

use crate::account::{Account, ProfileView};
use crate::username::Username;

/// Why an account is suggested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuggestionReason {
    /// Followed by `count` of the accounts the viewer follows; `sample` names up to
    /// three of them, the most-followed first.
    FollowedBy {
        /// How many of the viewer's followings follow it.
        count: i64,
        /// Up to [`Suggestion::SAMPLE`] of them.
        sample: Vec<Username>,
    },
    /// The viewer follows no one: among the most-followed accounts.
    Popular,
}

/// An account suggested to a viewer, as the store ranks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion<T = Account> {
    /// The account (or, once enriched, the account as the viewer sees it).
    pub item: T,
    /// Why.
    pub reason: SuggestionReason,
}

impl Suggestion {
    /// Most suggestions one call answers.
    pub const MAX_LIMIT: u32 = 50;
    /// Suggestions answered when the caller names no limit.
    pub const DEFAULT_LIMIT: u32 = 20;
    /// How many followings a reason names.
    pub const SAMPLE: usize = 3;
}

/// A suggestion as the viewer sees it.
pub type SuggestionView = Suggestion<ProfileView>;
