//! A key Rookery trusts, bound to the one algorithm it verifies, and the claim rules
//! every token must meet whatever key signed it.
//!
//! The algorithm comes from the key (its type, and the `alg` a JWK names), never from
//! the token: `jsonwebtoken::decode` refuses a token whose header names another one, so
//! an HS256 token keyed with an RSA public key's bytes, or `alg: none`, never verifies.

use std::hash::{DefaultHasher, Hash, Hasher};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::LEEWAY_SECS;

/// Identifies a key's material (and its `kid` and algorithm), so that a token
/// remembered as verified by it can be dropped when the key is no longer trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyFingerprint(u64);

impl KeyFingerprint {
    /// The fingerprint of these parts.
    pub fn of(parts: &[&[u8]]) -> Self {
        let mut hasher = DefaultHasher::new();
        parts.hash(&mut hasher);
        Self(hasher.finish())
    }
}

/// What a token's claims must satisfy: `exp` (30 s leeway), `nbf`, and the configured
/// issuer and audience, which must then be present, not merely right when present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimRules {
    /// Required `iss`.
    pub issuer: Option<String>,
    /// Required `aud`.
    pub audience: Option<String>,
}

impl ClaimRules {
    /// The validation of a token signed with `algorithm`, and only that.
    #[must_use]
    pub fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        match &self.audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        if let Some(iss) = &self.issuer {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        validation
    }
}

/// A key and the one algorithm it verifies.
pub struct TrustedKey {
    /// The `kid` tokens name it by, if it has one.
    pub kid: Option<String>,
    /// Identifies it among the keys ever trusted.
    pub fingerprint: KeyFingerprint,
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("TrustedKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl TrustedKey {
    /// `key`, verifying `algorithm` only, under `rules`.
    #[must_use]
    pub fn new(
        kid: Option<String>,
        algorithm: Algorithm,
        key: DecodingKey,
        fingerprint: KeyFingerprint,
        rules: &ClaimRules,
    ) -> Self {
        Self { kid, fingerprint, key, validation: rules.validation(algorithm) }
    }

    /// The algorithm it verifies.
    #[must_use]
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.validation.algorithms.first().copied()
    }

    /// Verifies `token`'s signature and claims with this key.
    ///
    /// # Errors
    /// Whatever `jsonwebtoken` found wrong.
    pub fn decode<T: serde::de::DeserializeOwned>(&self, token: &str) -> jsonwebtoken::errors::Result<T> {
        jsonwebtoken::decode::<T>(token, &self.key, &self.validation).map(|data| data.claims)
    }
}
