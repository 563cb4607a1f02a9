//! Graph events: every committed change of the graph, as the app's backend hears it
//! (issue 24). The store writes them in the transaction of the change; the feed and
//! the webhooks read them back in commit order.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::ids::{AccountId, RequestId};
use crate::time::Timestamp;

/// Why an edge or a pending request went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// The follower unfollowed (or the requester withdrew by unfollowing).
    Unfollow,
    /// The followee removed the follower.
    Removed,
    /// The requester cancelled the request.
    Cancelled,
    /// A block between the two removed it.
    Block,
    /// One of the two accounts was deleted.
    AccountDeleted,
}

impl EndReason {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unfollow => "unfollow",
            Self::Removed => "removed",
            Self::Cancelled => "cancelled",
            Self::Block => "block",
            Self::AccountDeleted => "account_deleted",
        }
    }
}

/// A change of the graph, as committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphEvent {
    /// `follower` now follows `followee`.
    FollowCreated {
        /// Who follows.
        follower: AccountId,
        /// Who is followed.
        followee: AccountId,
        /// Since when.
        at: Timestamp,
    },
    /// The edge is gone.
    FollowDeleted {
        /// Who followed.
        follower: AccountId,
        /// Who was followed.
        followee: AccountId,
        /// Why.
        reason: EndReason,
    },
    /// A follow request was made.
    RequestCreated {
        /// The request.
        request: RequestId,
        /// Who asked.
        requester: AccountId,
        /// Whom.
        target: AccountId,
    },
    /// The target accepted (also when it went public).
    RequestAccepted {
        /// The request.
        request: RequestId,
        /// Who asked.
        requester: AccountId,
        /// Whom.
        target: AccountId,
    },
    /// The target declined.
    RequestDeclined {
        /// The request.
        request: RequestId,
        /// Who asked.
        requester: AccountId,
        /// Whom.
        target: AccountId,
    },
    /// The pending request went away unanswered.
    RequestCancelled {
        /// The request.
        request: RequestId,
        /// Who asked.
        requester: AccountId,
        /// Whom.
        target: AccountId,
        /// Why.
        reason: EndReason,
    },
    /// `blocker` blocked `blocked`.
    BlockCreated {
        /// Who blocks.
        blocker: AccountId,
        /// Who is blocked.
        blocked: AccountId,
    },
    /// The block was lifted (or went with a deleted account).
    BlockDeleted {
        /// Who blocked.
        blocker: AccountId,
        /// Who was blocked.
        blocked: AccountId,
    },
    /// `muter` muted `muted`, or changed its mute (private to the muter: only the app's
    /// backend hears of it, never the muted account).
    MuteCreated {
        /// Who mutes.
        muter: AccountId,
        /// Who is muted.
        muted: AccountId,
        /// Whether its notifications are silenced too.
        notifications: bool,
        /// When the mute ends by itself; `None` lasts until unmuted.
        expires_at: Option<Timestamp>,
    },
    /// The mute was lifted by its muter (one that expires ends without an event).
    MuteDeleted {
        /// Who muted.
        muter: AccountId,
        /// Who was muted.
        muted: AccountId,
    },
    /// An account was created.
    AccountCreated {
        /// Which.
        account: AccountId,
        /// Its username.
        username: String,
        /// Whether it is private.
        is_private: bool,
    },
    /// Some of an account's fields changed.
    AccountUpdated {
        /// Which.
        account: AccountId,
        /// The names of the fields that changed, in the API's spelling.
        fields: Vec<&'static str>,
        /// Whether it is private now.
        is_private: bool,
    },
    /// An account was deleted.
    AccountDeleted {
        /// Which.
        account: AccountId,
    },
}

/// Every event type a webhook may subscribe to (besides `*`), in the order of the docs.
pub const EVENT_TYPES: [&str; 15] = [
    "follow.created",
    "follow.deleted",
    "follow_request.created",
    "follow_request.accepted",
    "follow_request.declined",
    "follow_request.cancelled",
    "block.created",
    "block.deleted",
    "mute.created",
    "mute.deleted",
    "account.created",
    "account.updated",
    "account.deleted",
    "webhook.test",
    "*",
];

/// Whether `name` is an event type (or `*`).
#[must_use]
pub fn is_event_type(name: &str) -> bool {
    EVENT_TYPES.contains(&name)
}

impl GraphEvent {
    /// The event's `type`.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::FollowCreated { .. } => "follow.created",
            Self::FollowDeleted { .. } => "follow.deleted",
            Self::RequestCreated { .. } => "follow_request.created",
            Self::RequestAccepted { .. } => "follow_request.accepted",
            Self::RequestDeclined { .. } => "follow_request.declined",
            Self::RequestCancelled { .. } => "follow_request.cancelled",
            Self::BlockCreated { .. } => "block.created",
            Self::BlockDeleted { .. } => "block.deleted",
            Self::MuteCreated { .. } => "mute.created",
            Self::MuteDeleted { .. } => "mute.deleted",
            Self::AccountCreated { .. } => "account.created",
            Self::AccountUpdated { .. } => "account.updated",
            Self::AccountDeleted { .. } => "account.deleted",
        }
    }
}

/// Where an event stands in the feed's one order: the writing transaction's id
/// (PostgreSQL's `xid8`; 0 on SQLite) and the event's sequence number. The feed
/// only shows events of transactions older than every transaction still running,
/// so a position, once shown, has nothing before it left to commit (see
/// docs/architecture.md, "The event feed").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct EventCursor {
    /// The writing transaction.
    pub tx: i64,
    /// The event's sequence number.
    pub seq: i64,
}

/// A cursor that is not one Rookery wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an event cursor: {0:?}")]
pub struct BadCursor(pub String);

impl fmt::Display for EventCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.tx, self.seq)
    }
}

impl FromStr for EventCursor {
    type Err = BadCursor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadCursor(s.to_owned());
        let (tx, seq) = s.trim().split_once('-').ok_or_else(bad)?;
        let tx: i64 = tx.parse().map_err(|_| bad())?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        if tx < 0 || seq < 0 {
            return Err(bad());
        }
        Ok(Self { tx, seq })
    }
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Its place in the feed.
    pub cursor: EventCursor,
    /// Its id (the `webhook-id` of its deliveries).
    pub id: Uuid,
    /// Its `type`.
    pub kind: String,
    /// When it was written.
    pub created_at: Timestamp,
    /// Its `data`, a JSON object.
    pub data: String,
}

impl StoredEvent {
    /// The envelope `{"id","type","created_at","data"}` as JSON text: what the feed
    /// shows and a webhook receives.
    #[must_use]
    pub fn envelope(&self) -> String {
        envelope(self.id, &self.kind, self.created_at, &self.data)
    }
}

/// The envelope of an event as JSON text. `kind` is one of [`EVENT_TYPES`] and `data`
/// JSON, so nothing needs escaping.
#[must_use]
pub fn envelope(id: Uuid, kind: &str, created_at: Timestamp, data: &str) -> String {
    let at = created_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    format!(r#"{{"id":"{id}","type":"{kind}","created_at":"{at}","data":{data}}}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_sort() {
        let a = EventCursor { tx: 7, seq: 90 };
        let b = EventCursor { tx: 8, seq: 3 };
        assert!(a < b);
        assert_eq!(a.to_string().parse::<EventCursor>(), Ok(a));
        for bad in ["", "7", "x-1", "1-y", "-1-2", "1--2"] {
            assert!(bad.parse::<EventCursor>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_envelope_is_json() {
        let text = envelope(Uuid::nil(), "block.created", chrono::DateTime::UNIX_EPOCH, r#"{"a":1}"#);
        assert_eq!(
            text,
            r#"{"id":"00000000-0000-0000-0000-000000000000","type":"block.created","created_at":"1970-01-01T00:00:00Z","data":{"a":1}}"#
        );
    }
}
