//! Followers and following lists: which list, how it is paged, how it is filtered.

use std::fmt::Write;

use crate::account::{Account, ProfileView};
use crate::error::GraphError;
use crate::ids::AccountId;
use crate::mute::Mute;
use crate::page::PageRequest;
use crate::relationship::FollowRequest;
use crate::time::Timestamp;

/// Which side of the edges a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Accounts that follow the owner.
    Followers,
    /// Accounts the owner follows.
    Following,
}

/// A position in a newest-first list: the edge's time and the other account's id,
/// which together order every list totally. Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// When the edge was made.
    pub at: Timestamp,
    /// The account listed at that position.
    pub id: AccountId,
}

impl Cursor {
    /// The opaque text form: 16 hex digits of microseconds, then the 32 of the id.
    #[must_use]
    pub fn encode(&self) -> String {
        let mut text = format!("{:016x}", self.at.timestamp_micros());
        for byte in self.id.as_uuid().as_bytes() {
            let _ = write!(text, "{byte:02x}");
        }
        text
    }

    /// Parses [`Cursor::encode`]'s output.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] for anything else.
    pub fn parse(text: &str) -> Result<Self, GraphError> {
        let invalid = || GraphError::InvalidInput("invalid cursor".into());
        if text.len() != 48 || !text.is_ascii() {
            return Err(invalid());
        }
        let (micros, id) = text.split_at(16);
        let micros = i64::from_str_radix(micros, 16).map_err(|_| invalid())?;
        let at = chrono::DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?;
        let id = uuid::Uuid::try_parse(id).map_err(|_| invalid())?;
        Ok(Self { at, id: AccountId::from_uuid(id) })
    }
}

/// How a list is paged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `page` and `page_size`: simple, but deep pages cost a scan.
    Offset(PageRequest),
    /// After a cursor (or from the start), `limit` items: costs the same at any depth.
    Keyset {
        /// Where the previous page ended.
        after: Option<Cursor>,
        /// Items per page, 1..=100.
        limit: u32,
    },
}

impl Paging {
    /// Keyset paging, validating `limit` (default 20, 1..=100).
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] for a bad limit or cursor.
    pub fn keyset(cursor: Option<&str>, limit: Option<i64>) -> Result<Self, GraphError> {
        let limit = limit.unwrap_or(i64::from(PageRequest::DEFAULT_SIZE));
        let limit = u32::try_from(limit).ok().filter(|l| (1..=PageRequest::MAX_SIZE).contains(l)).ok_or_else(|| {
            GraphError::InvalidInput(format!("limit must be between 1 and {}", PageRequest::MAX_SIZE))
        })?;
        let after = cursor.filter(|c| !c.is_empty()).map(Cursor::parse).transpose()?;
        Ok(Self::Keyset { after, limit })
    }

    /// Items per page.
    #[must_use]
    pub const fn size(&self) -> u32 {
        match self {
            Self::Offset(page) => page.page_size(),
            Self::Keyset { limit, .. } => *limit,
        }
    }
}

/// A prefix that usernames or display names must start with, case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPrefix(String);

impl SearchPrefix {
    /// Longest prefix accepted.
    pub const MAX_LEN: usize = 100;

    /// Trims and lower-cases; `None` for an empty query.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] when longer than [`SearchPrefix::MAX_LEN`].
    pub fn parse(raw: &str) -> Result<Option<Self>, GraphError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.chars().count() > Self::MAX_LEN {
            return Err(GraphError::InvalidInput(format!("search_query must be at most {} characters", Self::MAX_LEN)));
        }
        Ok(Some(Self(Self::fold(trimmed))))
    }

    /// Text as a prefix is compared with it: each character lower-cased on its own, with
    /// full Unicode case mapping. Stores fold names the same way (SQLite has no such
    /// SQL function of its own). Character by character, not `str::to_lowercase`: that
    /// one lower-cases a word's last capital sigma as the final form `ς`, so a prefix
    /// ending in `Σ` would no longer start the name it was cut from.
    #[must_use]
    pub fn fold(text: &str) -> String {
        text.chars().flat_map(char::to_lowercase).collect()
    }

    /// The lower-cased prefix.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Keeps the accounts of a list by how they stand towards the owner (or the viewer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFilter {
    /// Accounts the owner follows and that follow the owner (both lists).
    Mutual,
    /// Followers the owner does not follow (followers list only).
    NotFollowedBack,
    /// Accounts the owner follows that do not follow the owner (following list only).
    NotFollowingBack,
    /// Followers of the owner whom this account (the viewer) follows: "known
    /// followers" (followers list only).
    FollowedBy(AccountId),
}

impl ListFilter {
    /// The names `filter=` takes, for error messages and documentation.
    pub const NAMES: [&'static str; 4] = ["mutual", "not_followed_back", "not_following_back", "followed_by_me"];

    /// Parses `filter=` for a list in `direction`; `followed_by_me` names `viewer`.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] for an unknown name, a filter the list does not
    /// take, or `followed_by_me` without a viewer.
    pub fn parse(name: &str, direction: Direction, viewer: Option<AccountId>) -> Result<Self, GraphError> {
        let filter = match name {
            "mutual" => Self::Mutual,
            "not_followed_back" => Self::NotFollowedBack,
            "not_following_back" => Self::NotFollowingBack,
            "followed_by_me" => Self::FollowedBy(
                viewer
                    .ok_or_else(|| GraphError::InvalidInput("filter=followed_by_me needs a signed-in caller".into()))?,
            ),
            _ => {
                return Err(GraphError::InvalidInput(format!("filter must be one of {}", Self::NAMES.join(", "))));
            }
        };
        let fits = matches!(
            (filter, direction),
            (Self::Mutual, _)
                | (Self::NotFollowedBack | Self::FollowedBy(_), Direction::Followers)
                | (Self::NotFollowingBack, Direction::Following)
        );
        if !fits {
            let list = match direction {
                Direction::Followers => "followers",
                Direction::Following => "following",
            };
            return Err(GraphError::InvalidInput(format!("filter={name} does not apply to the {list} list")));
        }
        Ok(filter)
    }
}

/// A window on the time an edge was made: `since < followed_at <= until`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Only edges made after this instant.
    pub since: Option<Timestamp>,
    /// Only edges made at or before this instant.
    pub until: Option<Timestamp>,
}

impl Window {
    /// Whether the window keeps every edge.
    #[must_use]
    pub const fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }
}

/// What list to read and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Paging.
    pub paging: Paging,
    /// An optional filter.
    pub search: Option<SearchPrefix>,
    /// An optional relationship filter.
    pub filter: Option<ListFilter>,
    /// An optional time window.
    pub window: Window,
}

impl ListQuery {
    /// The whole list, paged: no search, filter or window.
    #[must_use]
    pub const fn paged(paging: Paging) -> Self {
        Self { paging, search: None, filter: None, window: Window { since: None, until: None } }
    }

    /// Whether the list is cut down at all (its total is then counted, not stored).
    #[must_use]
    pub const fn is_narrowed(&self) -> bool {
        self.search.is_some() || self.filter.is_some() || !self.window.is_open()
    }
}

/// An account in a list, with the time its edge (or block) was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T = Account> {
    /// The account (or, once enriched, the account as the viewer sees it).
    pub item: T,
    /// When it was followed, or blocked.
    pub since: Timestamp,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage<T> {
    /// The items, newest first.
    pub items: Vec<Listed<T>>,
    /// Items in the whole list (with the filter applied); `None` when the list's
    /// owner hides its counts from the viewer (see [`crate::visibility`]).
    pub total: Option<i64>,
    /// How the page was asked for.
    pub paging: Paging,
    /// Whether more items follow.
    pub has_more: bool,
    /// Where the next page starts, when there is one.
    pub next_cursor: Option<Cursor>,
}

/// A page of accounts as the viewer sees them.
pub type ProfilePage = ListPage<ProfileView>;

/// A muted account as the muter's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutedAccount {
    /// The muted account.
    pub account: Account,
    /// The mute.
    pub mute: Mute,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            at: chrono::DateTime::from_timestamp_micros(1_761_219_788_220_916).unwrap(),
            id: AccountId::from_uuid(uuid::Uuid::now_v7()),
        };
        assert_eq!(Cursor::parse(&cursor.encode()), Ok(cursor));
        for bad in ["", "xyz", &"z".repeat(48), &"é".repeat(24)] {
            assert!(Cursor::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keyset_limits_and_search_prefixes() {
        assert_eq!(Paging::keyset(None, None), Ok(Paging::Keyset { after: None, limit: 20 }));
        assert!(Paging::keyset(None, Some(0)).is_err());
        assert!(Paging::keyset(None, Some(101)).is_err());
        assert_eq!(SearchPrefix::parse("  Ja ").unwrap().unwrap().as_str(), "ja");
        assert_eq!(SearchPrefix::parse("   ").unwrap(), None);
        assert_eq!(SearchPrefix::parse("ÉMILE").unwrap().unwrap().as_str(), "émile");
        assert_eq!(SearchPrefix::parse("ŁUKASZ").unwrap().unwrap().as_str(), "łukasz");
        // A prefix ending in a capital sigma still starts the name it was cut from.
        assert!(SearchPrefix::fold("ΟΔΥΣΣΕΑΣ").starts_with(SearchPrefix::parse("ΟΔΥΣ").unwrap().unwrap().as_str()));
    }

    #[test]
    fn filters_fit_their_lists() {
        let me = AccountId::from_uuid(uuid::Uuid::now_v7());
        let (followers, following) = (Direction::Followers, Direction::Following);
        assert_eq!(ListFilter::parse("mutual", following, None), Ok(ListFilter::Mutual));
        assert_eq!(ListFilter::parse("followed_by_me", followers, Some(me)), Ok(ListFilter::FollowedBy(me)));
        assert!(ListFilter::parse("followed_by_me", followers, None).is_err());
        assert!(ListFilter::parse("followed_by_me", following, Some(me)).is_err());
        assert!(ListFilter::parse("not_followed_back", following, None).is_err());
        assert!(ListFilter::parse("not_following_back", followers, None).is_err());
        assert!(ListFilter::parse("friends", followers, None).is_err());
    }
}

/// A request in a list, with the account on the other side of it (the requester in
/// the received list, the target in the sent list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestListing {
    /// The request.
    pub request: FollowRequest,
    /// The other account.
    pub counterpart: Account,
}
