//! Usernames: parsed once at the edge, trusted everywhere after.

use std::fmt;

/// Why a username was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// Empty, or longer than [`Username::MAX_LEN`] characters.
    #[error("username must be 1 to {} characters", Username::MAX_LEN)]
    Length,
    /// Contains something other than ASCII letters, digits, `_` and `.`.
    #[error("username may contain only letters, digits, '_' and '.'")]
    Characters,
}

/// A valid username. Unique among live accounts, compared case-insensitively
/// (see [`Username::key`]); the original spelling is kept for display.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// The longest username accepted.
    pub const MAX_LEN: usize = 30;

    /// Parses a username, trimming surrounding white space and a leading `@`.
    ///
    /// # Errors
    /// [`UsernameError`] when the text is empty, too long or has other characters.
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let trimmed = raw.trim();
        let name = trimmed.strip_prefix('@').unwrap_or(trimmed);
        if name.is_empty() || name.chars().count() > Self::MAX_LEN {
            return Err(UsernameError::Length);
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            return Err(UsernameError::Characters);
        }
        Ok(Self(name.to_owned()))
    }

    /// Turns arbitrary text (an identity provider's claim, say) into a valid username
    /// by dropping what is not allowed; `None` when nothing usable is left.
    #[must_use]
    pub fn sanitize(raw: &str) -> Option<Self> {
        let cleaned: String =
            raw.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.').take(Self::MAX_LEN).collect();
        Self::parse(&cleaned).ok()
    }

    /// Wraps a name read back from storage, where only parsed names are written.
    /// Adapters use it for trusted data only; everything from outside goes through
    /// [`Username::parse`].
    #[must_use]
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }

    /// The key uniqueness is checked on: the lower-cased name.
    #[must_use]
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// The name as the user spelled it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn accepts_and_strips_at() {
        assert_eq!(Username::parse(" @Jane_Doe.1 ").unwrap().as_str(), "Jane_Doe.1");
    }

    #[test]
    fn rejects_bad_names() {
        assert_eq!(Username::parse(""), Err(UsernameError::Length));
        assert_eq!(Username::parse(&"a".repeat(31)), Err(UsernameError::Length));
        assert_eq!(Username::parse("jane doe"), Err(UsernameError::Characters));
    }

    #[test]
    fn key_is_case_insensitive() {
        assert_eq!(Username::parse("JaNe").unwrap().key(), Username::parse("jane").unwrap().key());
    }

    proptest! {
        #[test]
        fn sanitize_yields_parseable_names(raw in ".{0,60}") {
            if let Some(name) = Username::sanitize(&raw) {
                prop_assert_eq!(Username::parse(name.as_str()), Ok(name.clone()));
            }
        }
    }
}
