//! How an account shows its graph: who may read its followers and following lists,
//! and whether others see its counts. The settings only; the rules that read them
//! are in `visibility`.

use crate::error::GraphError;

/// Who may read one of an account's lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Anyone (for a private account: its accepted followers at most).
    #[default]
    Everyone,
    /// The account's accepted followers.
    Followers,
    /// The account alone.
    OnlySelf,
}

impl Audience {
    /// The wire and storage name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::Followers => "followers",
            Self::OnlySelf => "self",
        }
    }

    /// Parses a wire name.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] naming `field` for anything else.
    pub fn parse(field: &str, raw: &str) -> Result<Self, GraphError> {
        match raw {
            "everyone" => Ok(Self::Everyone),
            "followers" => Ok(Self::Followers),
            "self" => Ok(Self::OnlySelf),
            _ => Err(GraphError::InvalidInput(format!("{field} must be everyone, followers or self"))),
        }
    }

    /// Parses a stored name (the CHECK constraint admits only the three).
    #[must_use]
    pub fn from_stored(raw: &str) -> Self {
        Self::parse("", raw).unwrap_or(Self::OnlySelf)
    }
}

/// An account's choices about its lists and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphPrivacy {
    /// Who reads its followers list.
    pub followers: Audience,
    /// Who reads its following list.
    pub following: Audience,
    /// Whether others see its follower and following counts.
    pub counts_visible: bool,
}

impl Default for GraphPrivacy {
    fn default() -> Self {
        Self { followers: Audience::Everyone, following: Audience::Everyone, counts_visible: true }
    }
}
