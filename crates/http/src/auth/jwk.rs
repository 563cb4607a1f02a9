//! A JWK Set's keys as trusted keys. Each key's algorithm is bound by its type (RSA:
//! RS256 unless the JWK names another RSA signature algorithm; EC P-256: ES256; EC
//! P-384: ES384; OKP Ed25519: EdDSA), and a JWK whose `alg` contradicts its type is
//! skipped. Symmetric (`oct`) keys, encryption keys and unknown kinds are skipped: a
//! key set never gives an HMAC secret.

use std::str::FromStr;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use super::key_ring::KeyRing;
use super::trusted_key::{ClaimRules, KeyFingerprint, TrustedKey};

/// Keys read from one document at most; the rest are ignored.
pub const MAX_KEYS: usize = 64;

/// `{"keys": [...]}`, each key read on its own so that one odd key does not spoil
/// the set.
#[derive(Debug, Deserialize)]
struct JwkSetDocument {
    keys: Vec<serde_json::Value>,
}

/// A JWK Set that could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("not a JWK Set: {0}")]
pub struct JwkSetError(String);

/// The usable keys of a JWK Set document.
///
/// # Errors
/// [`JwkSetError`] when the document is no JWK Set.
pub fn key_ring(document: &[u8], rules: &ClaimRules) -> Result<KeyRing, JwkSetError> {
    let set: JwkSetDocument = serde_json::from_slice(document).map_err(|e| JwkSetError(e.to_string()))?;
    if set.keys.len() > MAX_KEYS {
        tracing::warn!(keys = set.keys.len(), kept = MAX_KEYS, "JWK Set larger than expected");
    }
    let keys = set
        .keys
        .into_iter()
        .take(MAX_KEYS)
        .filter_map(|value| match trusted_key(&value, rules) {
            Ok(key) => Some(key),
            Err(reason) => {
                tracing::debug!(kid = ?value.get("kid"), %reason, "JWK skipped");
                None
            }
        })
        .collect();
    Ok(KeyRing::new(keys))
}

/// One JWK as a trusted key, or why it is not used.
fn trusted_key(value: &serde_json::Value, rules: &ClaimRules) -> Result<TrustedKey, String> {
    let jwk: Jwk = serde_json::from_value(value.clone()).map_err(|e| format!("unreadable: {e}"))?;
    if let Some(usage) = &jwk.common.public_key_use
        && *usage != PublicKeyUse::Signature
    {
        return Err("not a signature key".into());
    }
    let algorithm = bound_algorithm(&jwk, value.get("alg").and_then(serde_json::Value::as_str))?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| format!("unusable: {e}"))?;
    let material = serde_json::to_vec(&jwk.algorithm).map_err(|e| e.to_string())?;
    let kid = jwk.common.key_id.clone();
    let fingerprint = KeyFingerprint::of(&[
        kid.as_deref().unwrap_or_default().as_bytes(),
        format!("{algorithm:?}").as_bytes(),
        &material,
    ]);
    Ok(TrustedKey::new(kid, algorithm, key, fingerprint, rules))
}

/// The one algorithm a JWK verifies, given the `alg` it names.
fn bound_algorithm(jwk: &Jwk, named: Option<&str>) -> Result<Algorithm, String> {
    let (default, allowed): (Algorithm, &[Algorithm]) = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => (
            Algorithm::RS256,
            &[
                Algorithm::RS256,
                Algorithm::RS384,
                Algorithm::RS512,
                Algorithm::PS256,
                Algorithm::PS384,
                Algorithm::PS512,
            ],
        ),
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => (Algorithm::ES256, &[Algorithm::ES256]),
            EllipticCurve::P384 => (Algorithm::ES384, &[Algorithm::ES384]),
            _ => return Err("unsupported curve".into()),
        },
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            (Algorithm::EdDSA, &[Algorithm::EdDSA])
        }
        AlgorithmParameters::OctetKeyPair(_) => return Err("unsupported curve".into()),
        AlgorithmParameters::OctetKey(_) => return Err("symmetric keys are never taken from a JWK Set".into()),
    };
    match named {
        None => Ok(default),
        // RFC 9864's fully-specified name for EdDSA over Ed25519.
        Some("Ed25519") if default == Algorithm::EdDSA => Ok(Algorithm::EdDSA),
        Some(name) => {
            let named = Algorithm::from_str(name).map_err(|_| format!("unknown alg {name:?}"))?;
            if allowed.contains(&named) { Ok(named) } else { Err(format!("alg {named:?} does not fit the key type")) }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const JWKS: &str = include_str!("../../../../tests/fixtures/idp/public-jwks.json");

    fn fixture_jwk(name: &str, extra: serde_json::Value) -> serde_json::Value {
        let all: serde_json::Value = serde_json::from_str(JWKS).unwrap();
        let mut jwk = all[name].clone();
        for (k, v) in extra.as_object().unwrap() {
            jwk[k] = v.clone();
        }
        jwk
    }

    fn ring(keys: Vec<serde_json::Value>) -> KeyRing {
        key_ring(json!({ "keys": keys }).to_string().as_bytes(), &ClaimRules::default()).unwrap()
    }

    #[test]
    fn binds_each_key_to_its_algorithm() {
        let set = ring(vec![
            fixture_jwk("rsa-a", json!({ "kid": "r" })),
            fixture_jwk("rsa-b", json!({ "kid": "p", "alg": "PS256" })),
            fixture_jwk("ec-p256", json!({ "kid": "e", "use": "sig" })),
            fixture_jwk("ed25519", json!({ "kid": "d", "alg": "EdDSA" })),
            fixture_jwk("ed25519", json!({ "kid": "d2", "alg": "Ed25519" })),
        ]);
        let alg = |kid: &str| set.find(kid).and_then(|k| k.algorithm());
        assert_eq!(alg("r"), Some(Algorithm::RS256));
        assert_eq!(alg("p"), Some(Algorithm::PS256));
        assert_eq!(alg("e"), Some(Algorithm::ES256));
        assert_eq!(alg("d"), Some(Algorithm::EdDSA));
        assert_eq!(alg("d2"), Some(Algorithm::EdDSA));
    }

    #[test]
    fn skips_keys_that_must_not_or_cannot_verify() {
        let set = ring(vec![
            json!({ "kty": "oct", "kid": "hmac", "k": "c2VjcmV0" }),
            fixture_jwk("rsa-a", json!({ "kid": "enc", "use": "enc" })),
            fixture_jwk("rsa-a", json!({ "kid": "hs", "alg": "HS256" })),
            fixture_jwk("ec-p256", json!({ "kid": "ec-as-rsa", "alg": "RS256" })),
            fixture_jwk("rsa-a", json!({ "kid": "none", "alg": "none" })),
            fixture_jwk("rsa-a", json!({ "kid": "future", "alg": "ML-DSA-44" })),
            json!({ "kty": "EC", "kid": "k1", "crv": "secp256k1", "x": "AA", "y": "AA" }),
            json!({ "kty": "weird", "kid": "w" }),
            fixture_jwk("rsa-b", json!({ "kid": "good" })),
        ]);
        assert_eq!(set.len(), 1);
        assert!(set.find("good").is_some());
        assert!(key_ring(b"{}", &ClaimRules::default()).is_err());
        assert!(key_ring(b"not json", &ClaimRules::default()).is_err());
    }
}
