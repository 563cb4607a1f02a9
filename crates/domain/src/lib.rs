//! Rookery's domain: who follows whom, and the rules that govern it.
//!
//! This crate is pure. It knows nothing of HTTP or SQL; it owns the entities
//! ([`Account`], [`Follow`], [`FollowRequest`]), the relationship state machine
//! ([`relationship`]), the port traits that adapters implement ([`ports`]) and the
//! use-case service ([`GraphService`]) that runs the state machine over those ports.
//!
//! Most use cases are synchronous: adapters that live on an async runtime call them
//! from a blocking thread pool. Follow, unfollow and making sure a caller has an
//! account are asynchronous: the store answers them through [`pending::Pending`],
//! doing its blocking behind the port, so they are awaited on the executor and no
//! thread waits for a commit.
#![warn(missing_docs)]

pub mod account;
pub mod bulk;
pub mod discovery;
pub mod error;
pub mod event;
pub mod ids;
pub mod inbox;
pub mod listing;
pub mod mute;
pub mod notification;
pub mod page;
pub mod pending;
pub mod ports;
pub mod privacy;
pub mod quota;
pub mod relationship;
pub mod replay;
pub mod search;
pub mod service;
pub mod time;
pub mod username;
pub mod visibility;
pub mod web_url;
pub mod webhook;

pub use account::{
    Account, AccountSummary, Identity, KnownFollowers, NewAccount, ProfilePatch, ProfileView, Relation, RequestCounts,
};
pub use bulk::{BulkFollowOutcome, BulkItem, BulkResult, BulkUnfollowOutcome, MAX_BULK};
pub use discovery::{Suggestion, SuggestionReason, SuggestionView};
pub use error::{GraphError, StoreError};
pub use event::{EndReason, EventCursor, GraphEvent, StoredEvent};
pub use ids::{AccountId, NotificationId, ParseIdError, RequestId};
pub use inbox::{Device, DeviceToken, InboxPage, KindFilter, NotificationView, Platform};
pub use listing::MutedAccount;
pub use listing::{
    Cursor, Direction, ListFilter, ListPage, ListQuery, Listed, Paging, ProfilePage, SearchPrefix, Window,
};
pub use mute::{Mute, MuteRequest, MuteState};
pub use notification::{Notification, NotificationKind, RequestFate};
pub use page::{Page, PageRequest};
pub use privacy::{Audience, GraphPrivacy};
pub use quota::FollowQuota;
pub use relationship::Standing;
pub use relationship::{Follow, FollowRequest, RequestStatus};
pub use service::{FollowOutcome, GraphService, RequestListing, SocialGraph, UnfollowOutcome, UnfollowScope};
pub use username::Username;
pub use web_url::{WebUrl, WebUrlError};
pub use webhook::{Delivery, DeliveryStatus, Webhook, WebhookPatch};

pub use time::Timestamp;
