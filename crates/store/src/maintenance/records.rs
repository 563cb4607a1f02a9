//! What bulk transfer moves: accounts and follow edges, without counts (they follow
//! from the edges and are recomputed after an import) and without anything of
//! soft-deleted accounts.

use rookery_domain::{AccountId, Timestamp, Username};

/// An account's identity and profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// The account id, kept as is so that tokens keep naming the same account.
    pub id: AccountId,
    /// Unique among live accounts, case-insensitively.
    pub username: Username,
    /// Display name.
    pub full_name: Option<String>,
    /// Profile text.
    pub bio: Option<String>,
    /// Avatar URL.
    pub profile_image_url: Option<String>,
    /// Banner URL.
    pub banner_image_url: Option<String>,
    /// Follows of a private account go through requests.
    pub is_private: bool,
    /// The verified badge.
    pub is_verified: bool,
    /// Owned by the posting service; carried over as is. Never negative.
    pub posts_count: i64,
    /// When the account was created.
    pub created_at: Timestamp,
}

/// A follow edge: `follower_id` follows `followee_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowRecord {
    /// Who follows.
    pub follower_id: AccountId,
    /// Who is followed.
    pub followee_id: AccountId,
    /// When the edge was made.
    pub created_at: Timestamp,
}
