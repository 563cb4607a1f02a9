//! Rows as Diesel reads and writes them, and their conversion to domain values.

use diesel::prelude::*;
use rookery_domain::{
    Account, AccountId, Audience, Follow, FollowRequest, GraphPrivacy, Notification, NotificationKind, RequestFate,
    RequestId, RequestStatus, Username,
};

use crate::schema::{accounts, blocks, follow_requests, follows, notifications};
use crate::sql_types::{DbTime, DbUuid, db_time};

/// A row of `accounts`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: DbUuid,
    pub username: String,
    pub full_name: Option<String>,
    pub bio: Option<String>,
    pub profile_image_url: Option<String>,
    pub banner_image_url: Option<String>,
    pub is_private: bool,
    pub is_verified: bool,
    pub posts_count: i64,
    pub followers_count: i64,
    pub following_count: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub graph_privacy: i32,
}

impl AccountRow {
    pub fn into_domain(self) -> Account {
        Account {
            id: AccountId::from_uuid(self.id.0),
            username: Username::from_trusted(self.username),
            full_name: self.full_name,
            bio: self.bio,
            profile_image_url: self.profile_image_url,
            banner_image_url: self.banner_image_url,
            is_private: self.is_private,
            is_verified: self.is_verified,
            posts_count: self.posts_count,
            followers_count: self.followers_count,
            following_count: self.following_count,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            privacy: unpack_privacy(self.graph_privacy),
        }
    }
}

/// The `graph_privacy` column: bits 0-1 the followers list's audience, bits 2-3 the
/// following list's, bit 4 set when the counts are hidden (see the migration).
pub fn pack_privacy(privacy: GraphPrivacy) -> i32 {
    let audience = |a: Audience| match a {
        Audience::Everyone => 0,
        Audience::Followers => 1,
        Audience::OnlySelf => 2,
    };
    audience(privacy.followers) | (audience(privacy.following) << 2) | if privacy.counts_visible { 0 } else { 1 << 4 }
}

/// Reads [`pack_privacy`]'s encoding (the CHECK constraint keeps it in range; an
/// unknown audience reads as the narrowest).
pub fn unpack_privacy(packed: i32) -> GraphPrivacy {
    let audience = |bits: i32| match bits & 0b11 {
        0 => Audience::Everyone,
        1 => Audience::Followers,
        _ => Audience::OnlySelf,
    };
    GraphPrivacy {
        followers: audience(packed),
        following: audience(packed >> 2),
        counts_visible: packed & (1 << 4) == 0,
    }
}

/// A new row of `accounts`.
#[derive(Debug, Insertable)]
#[diesel(table_name = accounts)]
pub struct NewAccountRow {
    pub id: DbUuid,
    pub username: String,
    pub username_key: String,
    pub full_name: Option<String>,
    pub is_private: bool,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl From<&rookery_domain::NewAccount> for NewAccountRow {
    fn from(account: &rookery_domain::NewAccount) -> Self {
        Self {
            id: account.id.into(),
            username: account.username.as_str().to_owned(),
            username_key: account.username.key(),
            full_name: account.full_name.clone(),
            is_private: account.is_private,
            created_at: db_time(account.created_at),
            updated_at: db_time(account.created_at),
        }
    }
}

/// The profile columns a patch may change; `None` leaves a column alone.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = accounts)]
pub struct ProfileChangeset {
    pub username: Option<String>,
    pub username_key: Option<String>,
    pub full_name: Option<Option<String>>,
    pub bio: Option<Option<String>>,
    pub profile_image_url: Option<Option<String>>,
    pub banner_image_url: Option<Option<String>>,
    pub is_private: Option<bool>,
    pub is_verified: Option<bool>,
    pub posts_count: Option<i64>,
    pub graph_privacy: Option<i32>,
    pub updated_at: DbTime,
}

impl ProfileChangeset {
    /// The columns `patch` changes on an account whose privacy was `before`.
    pub fn new(patch: &rookery_domain::ProfilePatch, before: GraphPrivacy, at: chrono::DateTime<chrono::Utc>) -> Self {
        let privacy = GraphPrivacy {
            followers: patch.followers_visibility.unwrap_or(before.followers),
            following: patch.following_visibility.unwrap_or(before.following),
            counts_visible: patch.counts_visible.unwrap_or(before.counts_visible),
        };
        Self {
            username: patch.username.as_ref().map(|u| u.as_str().to_owned()),
            username_key: patch.username.as_ref().map(Username::key),
            full_name: patch.full_name.clone(),
            bio: patch.bio.clone(),
            profile_image_url: patch.profile_image_url.as_ref().map(|url| url.as_ref().map(|u| u.as_str().to_owned())),
            banner_image_url: patch.banner_image_url.as_ref().map(|url| url.as_ref().map(|u| u.as_str().to_owned())),
            is_private: patch.is_private,
            is_verified: patch.is_verified,
            posts_count: patch.posts_count,
            graph_privacy: (privacy != before).then(|| pack_privacy(privacy)),
            updated_at: db_time(at),
        }
    }
}

/// A row of `follow_requests`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = follow_requests)]
pub struct RequestRow {
    pub id: DbUuid,
    pub requester_id: DbUuid,
    pub target_id: DbUuid,
    pub status: String,
    pub created_at: DbTime,
    pub updated_at: Option<DbTime>,
}

impl RequestRow {
    pub fn into_domain(self) -> FollowRequest {
        FollowRequest {
            id: RequestId::from_uuid(self.id.0),
            requester: AccountId::from_uuid(self.requester_id.0),
            target: AccountId::from_uuid(self.target_id.0),
            // The CHECK constraint admits only the three statuses.
            status: RequestStatus::parse(&self.status).unwrap_or(RequestStatus::Declined),
            created_at: self.created_at.0,
            updated_at: self.updated_at.map(|t| t.0),
        }
    }
}

impl From<&FollowRequest> for RequestRow {
    fn from(request: &FollowRequest) -> Self {
        Self {
            id: request.id.into(),
            requester_id: request.requester.into(),
            target_id: request.target.into(),
            status: request.status.as_str().to_owned(),
            created_at: db_time(request.created_at),
            updated_at: request.updated_at.map(db_time),
        }
    }
}

/// A new row of `blocks`.
#[derive(Debug, Insertable)]
#[diesel(table_name = blocks)]
pub struct BlockRow {
    pub blocker_id: DbUuid,
    pub blocked_id: DbUuid,
    pub reason: Option<String>,
    pub created_at: DbTime,
}

/// A new row of `follows`.
#[derive(Debug, Insertable)]
#[diesel(table_name = follows)]
pub struct FollowRow {
    pub follower_id: DbUuid,
    pub followee_id: DbUuid,
    pub created_at: DbTime,
}

impl From<&Follow> for FollowRow {
    fn from(edge: &Follow) -> Self {
        Self {
            follower_id: edge.follower.into(),
            followee_id: edge.followee.into(),
            created_at: db_time(edge.created_at),
        }
    }
}

/// A new row of `notifications`.
#[derive(Debug, Insertable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: DbUuid,
    pub recipient_id: DbUuid,
    pub actor_id: DbUuid,
    pub kind: String,
    pub created_at: DbTime,
    pub request_id: Option<DbUuid>,
    pub request_status: Option<&'static str>,
}

impl From<&Notification> for NotificationRow {
    fn from(n: &Notification) -> Self {
        Self {
            id: n.id.into(),
            recipient_id: n.recipient.into(),
            actor_id: n.actor.into(),
            kind: n.kind.as_str().to_owned(),
            created_at: db_time(n.created_at),
            request_id: n.request.map(DbUuid::from),
            // A request's notification starts pending; answering it writes its fate.
            request_status: (n.kind == NotificationKind::FollowRequest).then_some(RequestFate::Pending.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privacy_packs_into_one_column_and_back() {
        let all = [Audience::Everyone, Audience::Followers, Audience::OnlySelf];
        assert_eq!(pack_privacy(GraphPrivacy::default()), 0, "the column's default is everything visible");
        for followers in all {
            for following in all {
                for counts_visible in [true, false] {
                    let privacy = GraphPrivacy { followers, following, counts_visible };
                    let packed = pack_privacy(privacy);
                    assert!((0..32).contains(&packed), "within the CHECK constraint");
                    assert_eq!(unpack_privacy(packed), privacy);
                }
            }
        }
    }
}

/// A row of `events` as written (`seq` and `tx` take their defaults).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = crate::schema::events)]
pub struct NewEventRow {
    pub id: DbUuid,
    pub kind: String,
    pub data: String,
    pub created_at: DbTime,
}

/// A row of `events`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::events)]
pub struct EventRow {
    pub seq: i64,
    pub tx: i64,
    pub id: DbUuid,
    pub kind: String,
    pub data: String,
    pub created_at: DbTime,
}

impl EventRow {
    pub fn into_domain(self) -> rookery_domain::StoredEvent {
        rookery_domain::StoredEvent {
            cursor: rookery_domain::EventCursor { tx: self.tx, seq: self.seq },
            id: self.id.0,
            kind: self.kind,
            created_at: self.created_at.0,
            data: self.data,
        }
    }
}
