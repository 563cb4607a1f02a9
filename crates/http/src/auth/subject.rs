//! Which account a token's `sub` names.
//!
//! By default `sub` must be the account id itself (a UUID). Identity providers have
//! their own subjects (Auth0 `auth0|5f7c...`, Firebase a 28-character uid), so with
//! `map` every subject names the account `uuid5(uuid5(NAMESPACE_URL, iss), sub)`: the
//! same issuer and subject always give the same id, on every instance and after an
//! export and import, with no table to keep. A token without `iss` maps as if `iss`
//! were the empty string.

use std::str::FromStr;

use rookery_domain::AccountId;
use uuid::Uuid;

/// How `sub` becomes an account id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SubjectMode {
    /// `sub` is the account id (a UUID); anything else is refused.
    #[default]
    Uuid,
    /// Any `sub` names the account `uuid5(uuid5(NAMESPACE_URL, iss), sub)`.
    Map,
}

impl SubjectMode {
    /// The account `subject`, issued by `issuer`, names; `None` when it names none.
    #[must_use]
    pub fn account_id(self, issuer: Option<&str>, subject: &str) -> Option<AccountId> {
        match self {
            Self::Uuid => subject.parse().ok(),
            Self::Map if subject.is_empty() => None,
            Self::Map => Some(mapped_account_id(issuer.unwrap_or_default(), subject)),
        }
    }
}

/// `uuid5(uuid5(NAMESPACE_URL, issuer), subject)`.
#[must_use]
pub fn mapped_account_id(issuer: &str, subject: &str) -> AccountId {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, issuer.as_bytes());
    AccountId::from_uuid(Uuid::new_v5(&namespace, subject.as_bytes()))
}

/// `uuid` or `map` was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("subject mode must be `uuid` or `map`, not {0:?}")]
pub struct UnknownSubjectMode(String);

impl FromStr for SubjectMode {
    type Err = UnknownSubjectMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "uuid" => Ok(Self::Uuid),
            "map" => Ok(Self::Map),
            _ => Err(UnknownSubjectMode(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_any_subject_to_a_stable_id_per_issuer() {
        let auth0 = SubjectMode::Map.account_id(Some("https://t.auth0.com/"), "auth0|abc").unwrap();
        assert_eq!(SubjectMode::Map.account_id(Some("https://t.auth0.com/"), "auth0|abc"), Some(auth0));
        assert_ne!(SubjectMode::Map.account_id(Some("https://other/"), "auth0|abc"), Some(auth0));
        assert_ne!(SubjectMode::Map.account_id(Some("https://t.auth0.com/"), "auth0|abd"), Some(auth0));
        // Documented as uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, iss), sub) in Python.
        assert_eq!(auth0.to_string(), "c232b272-5769-5afb-acf0-747d6c4a54c5");
        assert_eq!(SubjectMode::Map.account_id(None, ""), None);
    }

    #[test]
    fn uuid_mode_takes_uuids_only() {
        let id = Uuid::now_v7();
        assert_eq!(SubjectMode::Uuid.account_id(None, &id.to_string()), Some(AccountId::from_uuid(id)));
        assert_eq!(SubjectMode::Uuid.account_id(None, "auth0|abc"), None);
        assert_eq!("MAP".parse::<SubjectMode>(), Ok(SubjectMode::Map));
        assert!("table".parse::<SubjectMode>().is_err());
    }
}
