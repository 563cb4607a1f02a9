//! Which dialects a server mounts (`ROOKERY_DIALECTS`).

use std::fmt;

/// The set of mounted dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialects {
    /// Seed 002, the canonical API, under `/api/v1/community` (and the admin API).
    pub community: bool,
    /// Seed 000, Django REST framework style, `/api/follows/`.
    pub drf: bool,
    /// Seed 003, "Rgram", `/api/follow-request/*`, `/api/follow/{id}`, ...
    pub rgram: bool,
    /// Seed 004, "Anchor", `/users/{id}/follow*` and `/api/v1/users/...`.
    pub anchor: bool,
}

/// A dialect name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown dialect {0:?}: choose from community, drf, rgram, anchor")]
pub struct UnknownDialect(pub String);

impl Dialects {
    /// All four.
    #[must_use]
    pub const fn all() -> Self {
        Self { community: true, drf: true, rgram: true, anchor: true }
    }

    /// Parses a comma-separated list such as `community,anchor`.
    ///
    /// # Errors
    /// [`UnknownDialect`] for a name that is not a dialect, or an empty list.
    pub fn parse(list: &str) -> Result<Self, UnknownDialect> {
        let mut dialects = Self { community: false, drf: false, rgram: false, anchor: false };
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "community" => dialects.community = true,
                "drf" => dialects.drf = true,
                "rgram" => dialects.rgram = true,
                "anchor" => dialects.anchor = true,
                other => return Err(UnknownDialect(other.to_owned())),
            }
        }
        if dialects == (Self { community: false, drf: false, rgram: false, anchor: false }) {
            return Err(UnknownDialect(list.to_owned()));
        }
        Ok(dialects)
    }
}

impl Default for Dialects {
    fn default() -> Self {
        Self::all()
    }
}

impl fmt::Display for Dialects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [("community", self.community), ("drf", self.drf), ("rgram", self.rgram), ("anchor", self.anchor)];
        let on: Vec<&str> = names.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
        f.write_str(&on.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists() {
        assert_eq!(Dialects::parse("community,drf,rgram,anchor").unwrap(), Dialects::all());
        let some = Dialects::parse(" anchor , community").unwrap();
        assert!(some.anchor && some.community && !some.drf && !some.rgram);
        assert!(Dialects::parse("graphql").is_err());
        assert!(Dialects::parse(" , ").is_err());
        assert_eq!(some.to_string(), "community,anchor");
    }
}
