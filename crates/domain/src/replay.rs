//! Answers kept for retries (`Idempotency-Key`): the first answer to a write is kept
//! per account and key for a day, and a retry of the same request gets it again.
//! The domain holds the rules (what a key is, how long an answer is kept, what a
//! retry must match); an inbound adapter decides which requests use them.

use crate::error::GraphError;
use crate::ids::AccountId;
use crate::time::Timestamp;

/// How long a kept answer is replayed.
pub const KEPT_FOR: chrono::Duration = chrono::Duration::hours(24);

/// How long a first request may run before a retry may take its key over (the first
/// is then taken to have died without answering).
pub const ABANDONED_AFTER: chrono::Duration = chrono::Duration::minutes(5);

/// A client's key for one intent, scoped to the account that sent it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReplayKey {
    /// Whose key (the verified caller).
    pub account: AccountId,
    /// The key as sent: 1 to 255 visible ASCII characters.
    pub key: String,
}

impl ReplayKey {
    /// Longest key accepted.
    pub const MAX_LEN: usize = 255;

    /// Checks a key as sent.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] when empty, too long, or not visible ASCII.
    pub fn parse(account: AccountId, raw: &str) -> Result<Self, GraphError> {
        if raw.is_empty() || raw.len() > Self::MAX_LEN || !raw.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(GraphError::InvalidInput(format!(
                "Idempotency-Key must be 1 to {} visible ASCII characters",
                Self::MAX_LEN
            )));
        }
        Ok(Self { account, key: raw.to_owned() })
    }
}

/// What a retry must repeat to be the same request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPrint {
    /// The method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// A digest of the body.
    pub body_hash: String,
}

/// A kept answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    /// Its status code.
    pub status: u16,
    /// Its body, as sent.
    pub body: Vec<u8>,
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or its answer expired, or its first request was abandoned):
    /// this request runs, and its answer is kept with [`ReplayStore::keep`].
    Fresh,
    /// The same request was answered: here is the answer.
    Replay(KeptAnswer),
    /// The key was used for another request.
    Mismatch,
    /// The same request is running now.
    InProgress,
}

/// Kept answers, per account and key.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait ReplayStore: Send + Sync + 'static {
    /// Claims `key` for `request` at `now`, in one transaction: a key without a
    /// record, or whose record is older than [`KEPT_FOR`], or whose first request has
    /// run for longer than [`ABANDONED_AFTER`] without an answer, is recorded as
    /// running and answers [`Claim::Fresh`]; otherwise the record decides (another
    /// method, path or body: [`Claim::Mismatch`]; no answer yet:
    /// [`Claim::InProgress`]; else [`Claim::Replay`]). Of two concurrent claims of one
    /// key, exactly one is fresh.
    ///
    /// # Errors
    /// Store errors.
    fn claim(&self, key: &ReplayKey, request: &RequestPrint, now: Timestamp) -> Result<Claim, crate::StoreError>;

    /// Keeps the answer of a claimed key.
    ///
    /// # Errors
    /// Store errors.
    fn keep(&self, key: &ReplayKey, answer: &KeptAnswer) -> Result<(), crate::StoreError>;

    /// Forgets a claim whose request produced no answer worth keeping (a server
    /// error), so a retry runs again.
    ///
    /// # Errors
    /// Store errors.
    fn release(&self, key: &ReplayKey) -> Result<(), crate::StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_characters() {
        let me = AccountId::from_uuid(uuid::Uuid::now_v7());
        assert!(ReplayKey::parse(me, "").is_err());
        assert!(ReplayKey::parse(me, &"k".repeat(256)).is_err());
        assert!(ReplayKey::parse(me, "tab\there").is_err());
        assert!(ReplayKey::parse(me, "é").is_err());
        assert_eq!(ReplayKey::parse(me, &"k".repeat(255)).unwrap().key.len(), 255);
        assert!(ReplayKey::parse(me, "3f1c-retry key").is_ok());
    }
}
