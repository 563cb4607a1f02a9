//! Finding accounts: a prefix of the username or of any word of the display name,
//! case-insensitively. Ranking: the exact username first, then accounts the caller
//! follows, then the rest, each by followers (most first), ties by id. Deleted
//! accounts and accounts that block the caller are never found.

use crate::account::ProfileView;
use crate::error::GraphError;
use crate::ids::AccountId;
use crate::page::PageRequest;

/// The words of a display name as search matches them: lower-cased, split on white
/// space, each once. Stores keep them beside the account, in the transaction that
/// changes the name.
#[must_use]
pub fn name_words(full_name: Option<&str>) -> Vec<String> {
    let mut words: Vec<String> = full_name.unwrap_or_default().split_whitespace().map(str::to_lowercase).collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// Where a match ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// The username is the query.
    ExactUsername,
    /// The caller follows the account.
    Followed,
    /// Anyone else.
    Other,
}

impl Tier {
    /// Its number (0 ranks first).
    #[must_use]
    pub const fn number(self) -> i64 {
        match self {
            Self::ExactUsername => 0,
            Self::Followed => 1,
            Self::Other => 2,
        }
    }

    /// From its number.
    #[must_use]
    pub const fn from_number(n: i64) -> Option<Self> {
        match n {
            0 => Some(Self::ExactUsername),
            1 => Some(Self::Followed),
            2 => Some(Self::Other),
            _ => None,
        }
    }
}

/// A position in the ranking: the last match of the previous page. Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchCursor {
    /// Its tier.
    pub tier: Tier,
    /// Its followers count when it was listed.
    pub followers: i64,
    /// Its id.
    pub id: AccountId,
}

impl SearchCursor {
    /// The opaque text form.
    #[must_use]
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.tier.number(), self.followers, self.id.as_uuid().simple())
    }

    /// Parses [`SearchCursor::encode`]'s output.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] for anything else.
    pub fn parse(text: &str) -> Result<Self, GraphError> {
        let invalid = || GraphError::InvalidInput("invalid cursor".into());
        let mut parts = text.splitn(3, '.');
        let tier = parts.next().and_then(|t| t.parse().ok()).and_then(Tier::from_number).ok_or_else(invalid)?;
        let followers = parts.next().and_then(|f| f.parse().ok()).ok_or_else(invalid)?;
        let id = parts.next().and_then(|i| uuid::Uuid::try_parse(i).ok()).ok_or_else(invalid)?;
        Ok(Self { tier, followers, id: AccountId::from_uuid(id) })
    }
}

/// A search, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// The lower-cased query, without a leading `@`.
    pub prefix: String,
    /// Matches per page.
    pub limit: u32,
    /// Where the previous page ended.
    pub after: Option<SearchCursor>,
}

impl SearchQuery {
    /// Longest query accepted.
    pub const MAX_LEN: usize = 64;

    /// Checks `q` (1 to 64 characters once trimmed; a leading `@` is dropped),
    /// `limit` (1 to 100, default 20) and `cursor`.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] naming what is wrong.
    pub fn parse(q: Option<&str>, limit: Option<i64>, cursor: Option<&str>) -> Result<Self, GraphError> {
        let raw = q.map(str::trim).unwrap_or_default();
        let raw = raw.strip_prefix('@').unwrap_or(raw);
        if raw.is_empty() || raw.chars().count() > Self::MAX_LEN {
            return Err(GraphError::InvalidInput(format!("q must be 1 to {} characters", Self::MAX_LEN)));
        }
        let limit = limit.unwrap_or(i64::from(PageRequest::DEFAULT_SIZE));
        let limit = u32::try_from(limit).ok().filter(|l| (1..=PageRequest::MAX_SIZE).contains(l)).ok_or_else(|| {
            GraphError::InvalidInput(format!("limit must be between 1 and {}", PageRequest::MAX_SIZE))
        })?;
        let after = cursor.filter(|c| !c.is_empty()).map(SearchCursor::parse).transpose()?;
        Ok(Self { prefix: raw.to_lowercase(), limit, after })
    }
}

/// A match, ranked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    /// The account.
    pub account: crate::account::Account,
    /// Where it ranks.
    pub position: SearchCursor,
}

/// A page of matches as the caller sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    /// Best first.
    pub items: Vec<ProfileView>,
    /// Where the next page starts, when there is one.
    pub next_cursor: Option<SearchCursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_cased_once_each() {
        assert_eq!(name_words(Some("  Ada  LOVELACE ada ")), ["ada", "lovelace"]);
        assert!(name_words(None).is_empty());
    }

    #[test]
    fn queries_and_cursors() {
        assert!(SearchQuery::parse(None, None, None).is_err());
        assert!(SearchQuery::parse(Some("  "), None, None).is_err());
        assert!(SearchQuery::parse(Some(&"a".repeat(65)), None, None).is_err());
        assert!(SearchQuery::parse(Some("a"), Some(0), None).is_err());
        assert_eq!(SearchQuery::parse(Some(" @Ada"), None, None).unwrap().prefix, "ada");
        let cursor =
            SearchCursor { tier: Tier::Followed, followers: 42, id: AccountId::from_uuid(uuid::Uuid::now_v7()) };
        assert_eq!(SearchCursor::parse(&cursor.encode()), Ok(cursor));
        assert!(SearchCursor::parse("9.1.x").is_err());
    }
}
