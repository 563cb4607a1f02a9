//! The keys trusted at one moment, found by `kid`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::trusted_key::{KeyFingerprint, TrustedKey};

/// A set of trusted keys, each found by its `kid` when it has one.
#[derive(Debug, Default)]
pub struct KeyRing {
    keys: Vec<Arc<TrustedKey>>,
    by_kid: HashMap<String, Arc<TrustedKey>>,
    fingerprints: HashSet<KeyFingerprint>,
}

impl KeyRing {
    /// A ring of these keys. Of two keys with one `kid`, the first is found by it.
    #[must_use]
    pub fn new(keys: Vec<TrustedKey>) -> Self {
        let keys: Vec<Arc<TrustedKey>> = keys.into_iter().map(Arc::new).collect();
        let mut by_kid = HashMap::new();
        for key in &keys {
            if let Some(kid) = &key.kid {
                by_kid.entry(kid.clone()).or_insert_with(|| Arc::clone(key));
            }
        }
        let fingerprints = keys.iter().map(|key| key.fingerprint).collect();
        Self { keys, by_kid, fingerprints }
    }

    /// The key named `kid`.
    #[must_use]
    pub fn find(&self, kid: &str) -> Option<&Arc<TrustedKey>> {
        self.by_kid.get(kid)
    }

    /// Every key.
    #[must_use]
    pub fn all(&self) -> &[Arc<TrustedKey>] {
        &self.keys
    }

    /// Whether the key with this fingerprint is in the ring.
    #[must_use]
    pub fn holds(&self, fingerprint: KeyFingerprint) -> bool {
        self.fingerprints.contains(&fingerprint)
    }

    /// Whether both rings hold the same keys.
    #[must_use]
    pub fn same_keys(&self, other: &Self) -> bool {
        self.fingerprints == other.fingerprints
    }

    /// How many keys it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
