//! Verifies bearer tokens against the configured keys.
//!
//! A token is checked only against keys that could have signed it: the key its `kid`
//! names, or, without a `kid` (or, for keys known at start, with a `kid` none of them
//! carries), each trusted key in turn, every key with its own algorithm. With an
//! identity provider's JWK Set, a `kid` the set lacks makes one refetch (rate-limited,
//! see `jwks`) and is refused if still unknown.

use std::sync::Arc;

use super::jwks::{JwksTiming, KeyLocation, ProviderKeys, ProviderStatus};
use super::key_ring::KeyRing;
use super::static_keys::StaticKey;
use super::subject::SubjectMode;
use super::trusted_key::{ClaimRules, KeyFingerprint, TrustedKey};
use super::verified::VerifiedTokens;
use super::{AuthError, Caller, Claims, KeyError, LEEWAY_SECS};
use rookery_domain::Identity;

/// Where the keys that verify tokens come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Known at start: a shared secret, or public keys.
    Static(Vec<StaticKey>),
    /// An identity provider's JWK Set, fetched and kept fresh.
    Provider(KeyLocation),
}

/// Everything that decides which tokens are accepted.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// The keys.
    pub keys: KeySource,
    /// Required `iss` and `aud`.
    pub rules: ClaimRules,
    /// How `sub` names an account.
    pub subjects: SubjectMode,
    /// How often a provider's keys are fetched.
    pub jwks_timing: JwksTiming,
}

impl VerifierConfig {
    /// Static keys, no issuer or audience, UUID subjects.
    #[must_use]
    pub fn with_keys(keys: Vec<StaticKey>) -> Self {
        Self {
            keys: KeySource::Static(keys),
            rules: ClaimRules::default(),
            subjects: SubjectMode::Uuid,
            jwks_timing: JwksTiming::default(),
        }
    }
}

enum Keys {
    Static(KeyRing),
    Provider(Arc<ProviderKeys>),
}

/// The outcome of a check that did not wait for anything.
pub enum Attempt {
    /// Accepted or refused.
    Settled(Result<Caller, AuthError>),
    /// The token names a key the provider's set lacks: refetch, then check again.
    UnknownKey,
}

/// Verifies bearer tokens.
pub struct JwtVerifier {
    keys: Keys,
    subjects: SubjectMode,
    verified: VerifiedTokens,
}

impl JwtVerifier {
    /// A verifier for this configuration. A provider's keys start being fetched now,
    /// in the background (on the current tokio runtime).
    ///
    /// # Errors
    /// [`KeyError`] when a key does not parse, a secret is empty, no key is given, or
    /// a provider's keys cannot be fetched from here (no runtime).
    pub fn new(config: VerifierConfig) -> Result<Self, KeyError> {
        let keys = match config.keys {
            KeySource::Static(keys) if keys.is_empty() => return Err(KeyError("no key configured".into())),
            KeySource::Static(keys) => Keys::Static(KeyRing::new(
                keys.into_iter().map(|k| k.key.trusted(k.kid, &config.rules)).collect::<Result<_, _>>()?,
            )),
            KeySource::Provider(location) => {
                Keys::Provider(ProviderKeys::start(location, config.rules, config.jwks_timing)?)
            }
        };
        Ok(Self { keys, subjects: config.subjects, verified: VerifiedTokens::default() })
    }

    /// Verifies a token and reads the caller from it, refetching the provider's keys
    /// once if it names an unknown one.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for any bad token: no key found for it, wrong algorithm
    /// or signature, expired, not yet valid, wrong issuer or audience, or a `sub` that
    /// names no account.
    pub async fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        match self.attempt(token) {
            Attempt::Settled(result) => result,
            Attempt::UnknownKey => {
                if let Keys::Provider(provider) = &self.keys {
                    provider.refetch_for_unknown_kid().await;
                }
                match self.attempt(token) {
                    Attempt::Settled(result) => result,
                    Attempt::UnknownKey => {
                        tracing::debug!("token refused: no key for it");
                        Err(AuthError::Invalid)
                    }
                }
            }
        }
    }

    /// Checks a token with the keys at hand, without waiting.
    pub fn attempt(&self, token: &str) -> Attempt {
        let now = jsonwebtoken::get_current_timestamp();
        if let Some((caller, key)) = self.verified.get(token, now)
            && self.still_trusts(key)
        {
            return Attempt::Settled(Ok(caller));
        }
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Attempt::Settled(Err(AuthError::Invalid));
        };
        let ring = match &self.keys {
            Keys::Static(ring) => {
                return Attempt::Settled(self.check(token, candidates(ring, header.kid.as_deref(), true), now));
            }
            Keys::Provider(provider) => provider.ring(),
        };
        match (header.kid.as_deref(), ring.is_empty()) {
            (Some(kid), _) if ring.find(kid).is_none() => Attempt::UnknownKey,
            (None, true) => Attempt::UnknownKey,
            (kid, _) => Attempt::Settled(self.check(token, candidates(&ring, kid, false), now)),
        }
    }

    /// The identity provider's keys, when they come from one.
    #[must_use]
    pub fn provider_status(&self) -> Option<ProviderStatus> {
        match &self.keys {
            Keys::Static(_) => None,
            Keys::Provider(provider) => Some(provider.status()),
        }
    }

    fn still_trusts(&self, key: KeyFingerprint) -> bool {
        match &self.keys {
            Keys::Static(_) => true,
            Keys::Provider(provider) => provider.holds(key),
        }
    }

    /// The first of `keys` that verifies the token decides who it is.
    fn check(&self, token: &str, keys: &[Arc<TrustedKey>], now: u64) -> Result<Caller, AuthError> {
        let mut refusal = None;
        for key in keys {
            match key.decode::<Claims>(token) {
                Ok(claims) => return self.accept(token, claims, key.fingerprint, now),
                Err(e) => refusal = Some(e),
            }
        }
        tracing::debug!(error = ?refusal.map(|e| e.to_string()), "token refused");
        Err(AuthError::Invalid)
    }

    fn accept(&self, token: &str, claims: Claims, key: KeyFingerprint, now: u64) -> Result<Caller, AuthError> {
        let id = self.subjects.account_id(claims.iss.as_deref(), &claims.sub).ok_or(AuthError::Invalid)?;
        let caller = Caller {
            identity: Identity { id, username: claims.username.or(claims.preferred_username), name: claims.name },
            is_admin: claims.role.as_deref() == Some("admin"),
        };
        self.verified.insert(token, caller.clone(), key, claims.exp.saturating_add(LEEWAY_SECS), now);
        Ok(caller)
    }
}

/// The keys that may have signed a token naming `kid`. For keys known at start, a
/// `kid` none of them carries tries them all; a provider's set is refetched instead.
fn candidates<'a>(ring: &'a KeyRing, kid: Option<&str>, unknown_kid_tries_all: bool) -> &'a [Arc<TrustedKey>] {
    match kid.and_then(|kid| ring.find(kid)) {
        Some(key) => std::slice::from_ref(key),
        None if kid.is_none() || unknown_kid_tries_all => ring.all(),
        None => &[],
    }
}
