//! Accounts, the profile fields users edit, and how one account sees another.

use crate::error::GraphError;
use crate::ids::AccountId;
use crate::mute::MuteState;
use crate::privacy::{Audience, GraphPrivacy};
use crate::relationship::RequestStatus;
use crate::time::Timestamp;
use crate::username::Username;
use crate::web_url::WebUrl;

/// A live account with its profile and its exact counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account id (the `sub` of its tokens).
    pub id: AccountId,
    /// Unique among live accounts, case-insensitively.
    pub username: Username,
    /// Display name.
    pub full_name: Option<String>,
    /// Free text shown on the profile.
    pub bio: Option<String>,
    /// Avatar URL.
    pub profile_image_url: Option<String>,
    /// Banner URL.
    pub banner_image_url: Option<String>,
    /// Private accounts approve each follower.
    pub is_private: bool,
    /// Set by administrators.
    pub is_verified: bool,
    /// Maintained by the host application through the admin API.
    pub posts_count: i64,
    /// Number of follow edges into this account.
    pub followers_count: i64,
    /// Number of follow edges out of this account.
    pub following_count: i64,
    /// When the account was created.
    pub created_at: Timestamp,
    /// When its profile last changed.
    pub updated_at: Timestamp,
    /// Who reads its lists, and whether others see its counts.
    pub privacy: GraphPrivacy,
}

/// The part of a live account the state machine needs to decide a follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountSummary {
    /// The account id.
    pub id: AccountId,
    /// Whether follows of it become requests.
    pub is_private: bool,
}

/// Who is calling, as an identity provider vouched for it (a verified token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The token's subject.
    pub id: AccountId,
    /// A preferred username from the claims, if any.
    pub username: Option<String>,
    /// A display name from the claims, if any.
    pub name: Option<String>,
}

/// A new account to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// Its id.
    pub id: AccountId,
    /// Its username.
    pub username: Username,
    /// Display name.
    pub full_name: Option<String>,
    /// Whether it starts private.
    pub is_private: bool,
    /// Creation time.
    pub created_at: Timestamp,
}

/// A change to profile fields: `None` leaves a field alone; `Some(None)` clears a
/// nullable text field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfilePatch {
    /// New username.
    pub username: Option<Username>,
    /// New display name.
    pub full_name: Option<Option<String>>,
    /// New bio.
    pub bio: Option<Option<String>>,
    /// New avatar URL.
    pub profile_image_url: Option<Option<WebUrl>>,
    /// New banner URL.
    pub banner_image_url: Option<Option<WebUrl>>,
    /// New privacy setting. Going public accepts every pending request.
    pub is_private: Option<bool>,
    /// New verification badge. Administrators only: no dialect reads it from a user's
    /// own profile body.
    pub is_verified: Option<bool>,
    /// New post count, kept by the host application. Administrators only.
    pub posts_count: Option<i64>,
    /// Who may read the followers list.
    pub followers_visibility: Option<Audience>,
    /// Who may read the following list.
    pub following_visibility: Option<Audience>,
    /// Whether others see the counts.
    pub counts_visible: Option<bool>,
}

impl ProfilePatch {
    /// Longest display name accepted.
    pub const MAX_FULL_NAME: usize = 100;
    /// Longest bio accepted.
    pub const MAX_BIO: usize = 500;

    /// Checks the lengths of the text fields.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] naming the first field that is too long.
    pub fn validate(&self) -> Result<(), GraphError> {
        let checks = [("full_name", &self.full_name, Self::MAX_FULL_NAME), ("bio", &self.bio, Self::MAX_BIO)];
        for (field, value, max) in checks {
            if let Some(Some(text)) = value {
                if text.chars().count() > max {
                    return Err(GraphError::InvalidInput(format!("{field} must be at most {max} characters")));
                }
            }
        }
        if self.posts_count.is_some_and(|n| n < 0) {
            return Err(GraphError::InvalidInput("posts_count must not be negative".into()));
        }
        Ok(())
    }

    /// True when the patch changes nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// How a viewer stands towards an account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relation {
    /// The viewer is looking at their own account.
    pub is_self: bool,
    /// The viewer follows the account.
    pub is_following: bool,
    /// The account follows the viewer.
    pub follows_viewer: bool,
    /// The status of the viewer's latest request to the account, if any.
    pub request_status: Option<RequestStatus>,
    /// The status of the account's latest request to the viewer, if any.
    pub incoming_request_status: Option<RequestStatus>,
    /// The viewer blocks the account.
    pub is_blocking: bool,
    /// The account blocks the viewer.
    pub is_blocked_by: bool,
    /// The viewer's mute of the account, while it is in force (private to the viewer).
    pub mute: Option<MuteState>,
}

impl Relation {
    /// Both follow each other.
    #[must_use]
    pub const fn is_mutual(&self) -> bool {
        self.is_following && self.follows_viewer
    }
}

/// An account as a particular viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileView {
    /// The account.
    pub account: Account,
    /// The viewer's relation to it.
    pub relation: Relation,
    /// The account's pending follow requests, both ways: only when the viewer is the
    /// account (nobody else may know them).
    pub requests: Option<RequestCounts>,
    /// The viewer's followings who follow the account: only on a single profile read
    /// (it costs a query per account).
    pub known_followers: Option<KnownFollowers>,
}

impl ProfileView {
    /// The account and the viewer's relation, with nothing more.
    #[must_use]
    pub const fn new(account: Account, relation: Relation) -> Self {
        Self { account, relation, requests: None, known_followers: None }
    }
}

/// How many follow requests an account has waiting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCounts {
    /// Pending requests to the account.
    pub received: i64,
    /// Pending requests from the account.
    pub sent: i64,
}

/// The viewer's followings who follow an account ("followed by people you know").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KnownFollowers {
    /// The account is private and the viewer may not see its followers.
    Hidden,
    /// The exact number, and up to [`KnownFollowers::SAMPLE`] of them, newest first.
    Shown {
        /// How many of the viewer's followings follow the account.
        count: i64,
        /// The newest of them.
        sample: Vec<Account>,
    },
}

impl KnownFollowers {
    /// How many known followers a profile shows by name.
    pub const SAMPLE: u32 = 3;
}
