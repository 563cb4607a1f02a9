//! Typed identifiers. Each wraps a UUID so an account id can never be passed where a
//! request id is expected.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// The text given was not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid UUID: {0:?}")]
pub struct ParseIdError(pub String);

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps an existing UUID.
            #[must_use]
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            #[must_use]
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| ParseIdError(s.to_owned()))
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

uuid_id!(
    /// Identifies an account. It is the `sub` of the account's tokens, or, with mapped
    /// subjects, derived from their `iss` and `sub`.
    AccountId
);
uuid_id!(
    /// Identifies a follow request.
    RequestId
);
uuid_id!(
    /// Identifies a notification; UUID v7, so ids sort by creation time.
    NotificationId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_hyphenated() {
        let text = "550e8400-e29b-41d4-a716-446655440000";
        let id: AccountId = text.parse().unwrap();
        assert_eq!(id.to_string(), text);
    }

    #[test]
    fn rejects_non_uuid() {
        assert_eq!("42".parse::<AccountId>(), Err(ParseIdError("42".into())));
    }
}
