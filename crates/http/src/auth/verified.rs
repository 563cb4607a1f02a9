//! Tokens that already verified, so that a client's next request with the same token
//! costs a hash lookup instead of a signature check.
//!
//! A client sends one token for hours. Checking it on every request cost about 6% of
//! an actix worker's CPU under follows with HS256 (base64, HMAC, two JSON parses), and
//! an RS256 or ES256 signature costs more to check than an HMAC. What a token proves
//! does not change while it is valid: once `nbf` has passed only `exp` can end it, or
//! the key that verified it leaving the trusted set. So a token is kept, by its exact
//! text, only after it verified, with the moment it expires (`exp` plus the leeway)
//! and the fingerprint of the key that verified it; past that moment, or once the
//! verifier no longer trusts that key (an identity provider removed it from its JWK
//! Set), it is verified again (and refused). A token differing in any byte, a forged
//! signature included, is another entry and goes through the full check.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::Caller;
use super::trusted_key::KeyFingerprint;

/// Tokens kept at most. A full cache first drops what expired, then everything: a
/// simple bound (a megabyte or two), and never slower than verifying.
const CAPACITY: usize = 4096;

/// Verified tokens and the callers they prove, shared by the workers.
#[derive(Debug, Default)]
pub struct VerifiedTokens {
    entries: Mutex<HashMap<Box<str>, Verified>>,
}

#[derive(Debug)]
struct Verified {
    caller: Caller,
    /// The key that verified it.
    key: KeyFingerprint,
    /// Seconds since the epoch after which the token no longer verifies.
    valid_until: u64,
}

impl VerifiedTokens {
    /// The caller `token` proved, and the key that verified it, if it verified
    /// before and is still valid at `now`.
    pub fn get(&self, token: &str, now: u64) -> Option<(Caller, KeyFingerprint)> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(token).filter(|v| now <= v.valid_until).map(|v| (v.caller.clone(), v.key))
    }

    /// Keeps `token`, which `key` has just verified as `caller`, until `valid_until`.
    pub fn insert(&self, token: &str, caller: Caller, key: KeyFingerprint, valid_until: u64, now: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.retain(|_, v| now <= v.valid_until);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(token.into(), Verified { caller, key, valid_until });
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use rookery_domain::{AccountId, Identity};

    use super::*;

    fn caller(name: &str) -> Caller {
        let id: AccountId = uuid::Uuid::now_v7().to_string().parse().unwrap();
        Caller { identity: Identity { id, username: Some(name.into()), name: None }, is_admin: false }
    }

    fn key() -> KeyFingerprint {
        KeyFingerprint::of(&[b"key"])
    }

    #[test]
    fn serves_a_token_until_it_expires_and_only_that_exact_token() {
        let tokens = VerifiedTokens::default();
        let jane = caller("jane");
        tokens.insert("a.b.c", jane.clone(), key(), 100, 50);
        assert_eq!(tokens.get("a.b.c", 60), Some((jane.clone(), key())));
        assert_eq!(tokens.get("a.b.c", 100), Some((jane, key())));
        assert_eq!(tokens.get("a.b.c", 101), None);
        assert_eq!(tokens.get("a.b.d", 60), None);
        assert_eq!(tokens.get("a.b.", 60), None);
    }

    #[test]
    fn stays_within_its_capacity() {
        let tokens = VerifiedTokens::default();
        for i in 0..CAPACITY {
            // Half of them expired by the time the cache fills.
            let valid_until = if i % 2 == 0 { 10 } else { 1000 };
            tokens.insert(&format!("token-{i}"), caller("x"), key(), valid_until, 0);
        }
        assert_eq!(tokens.len(), CAPACITY);
        tokens.insert("one-more", caller("y"), key(), 1000, 20);
        assert_eq!(tokens.len(), CAPACITY / 2 + 1, "the expired half went first");
        assert!(tokens.get("token-1", 20).is_some());

        for i in 0..CAPACITY {
            tokens.insert(&format!("fresh-{i}"), caller("z"), key(), 1000, 20);
        }
        assert!(tokens.len() <= CAPACITY);
        assert!(tokens.get(&format!("fresh-{}", CAPACITY - 1), 20).is_some());
    }
}
