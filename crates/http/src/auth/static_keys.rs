//! Keys known at start: a shared secret, or PEM public keys (several files, or a
//! bundle of several keys in one), each optionally named by a `kid`.

use jsonwebtoken::{Algorithm, DecodingKey};

use super::KeyError;
use super::trusted_key::{ClaimRules, KeyFingerprint, TrustedKey};

/// A key and, through its type, the algorithm it verifies.
#[derive(Clone)]
pub enum VerificationKey {
    /// HS256 with a shared secret.
    Hs256(Vec<u8>),
    /// RS256 with an RSA public key (PEM).
    Rs256(Vec<u8>),
    /// ES256 with an EC P-256 public key (PEM).
    Es256(Vec<u8>),
    /// EdDSA with an Ed25519 public key (PEM).
    EdDsa(Vec<u8>),
}

impl std::fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.write_str(match self {
            Self::Hs256(_) => "Hs256(..)",
            Self::Rs256(_) => "Rs256(..)",
            Self::Es256(_) => "Es256(..)",
            Self::EdDsa(_) => "EdDsa(..)",
        })
    }
}

impl VerificationKey {
    /// The key, ready to verify under `rules`, named `kid`.
    ///
    /// # Errors
    /// [`KeyError`] when a PEM key does not parse or a secret is empty.
    pub fn trusted(&self, kid: Option<String>, rules: &ClaimRules) -> Result<TrustedKey, KeyError> {
        let pem_error = |e: jsonwebtoken::errors::Error| KeyError(e.to_string());
        let (algorithm, key, material) = match self {
            Self::Hs256(secret) if secret.is_empty() => return Err(KeyError("empty secret".into())),
            Self::Hs256(secret) => (Algorithm::HS256, DecodingKey::from_secret(secret), secret),
            Self::Rs256(pem) => (Algorithm::RS256, DecodingKey::from_rsa_pem(pem).map_err(pem_error)?, pem),
            Self::Es256(pem) => (Algorithm::ES256, DecodingKey::from_ec_pem(pem).map_err(pem_error)?, pem),
            Self::EdDsa(pem) => (Algorithm::EdDSA, DecodingKey::from_ed_pem(pem).map_err(pem_error)?, pem),
        };
        let fingerprint = KeyFingerprint::of(&[kid.as_deref().unwrap_or_default().as_bytes(), material]);
        Ok(TrustedKey::new(kid, algorithm, key, fingerprint, rules))
    }
}

/// A key known at start and the `kid` that names it, if any.
#[derive(Debug, Clone)]
pub struct StaticKey {
    /// The `kid` tokens signed with it carry.
    pub kid: Option<String>,
    /// The key.
    pub key: VerificationKey,
}

/// The public keys in a PEM file: one, or a bundle of several. An RSA key means
/// RS256, an EC P-256 key ES256, an Ed25519 key EdDSA; anything else (a private key,
/// a certificate) is refused.
///
/// # Errors
/// [`KeyError`] for a file without keys or with a block that is no such public key.
pub fn public_keys_in_pem(text: &[u8]) -> Result<Vec<VerificationKey>, KeyError> {
    let text = std::str::from_utf8(text).map_err(|_| KeyError("a PEM file is text".into()))?;
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = rest.get(start..).unwrap_or_default();
        let end_marker = block.find("-----END ").ok_or_else(|| KeyError("unterminated PEM block".into()))?;
        let after_end = block.get(end_marker..).unwrap_or_default();
        let end = after_end
            .get(9..)
            .and_then(|tail| tail.find("-----"))
            .map(|i| end_marker.saturating_add(9).saturating_add(i).saturating_add(5))
            .ok_or_else(|| KeyError("unterminated PEM block".into()))?;
        let pem = block.get(..end).unwrap_or_default();
        keys.push(public_key(pem.as_bytes())?);
        rest = block.get(end..).unwrap_or_default();
    }
    if keys.is_empty() {
        return Err(KeyError("no PEM public key found".into()));
    }
    Ok(keys)
}

/// One PEM block, typed by trying each kind of key: a SubjectPublicKeyInfo PEM
/// names no algorithm.
fn public_key(pem: &[u8]) -> Result<VerificationKey, KeyError> {
    if pem.starts_with(b"-----BEGIN") && pem.windows(11).any(|w| w == b"PRIVATE KEY") {
        return Err(KeyError("a PEM block holds a private key: give Rookery the public half only".into()));
    }
    if DecodingKey::from_rsa_pem(pem).is_ok() {
        return Ok(VerificationKey::Rs256(pem.to_vec()));
    }
    if DecodingKey::from_ec_pem(pem).is_ok() {
        return Ok(VerificationKey::Es256(pem.to_vec()));
    }
    if DecodingKey::from_ed_pem(pem).is_ok() {
        return Ok(VerificationKey::EdDsa(pem.to_vec()));
    }
    Err(KeyError("a PEM block is neither an RSA, an EC P-256 nor an Ed25519 public key".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/idp/");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}{name}")).unwrap()
    }

    #[test]
    fn reads_each_kind_of_public_key_and_bundles_of_them() {
        let bundle = [fixture("rsa-a.pub"), fixture("ec-p256.pub"), fixture("ed25519.pub")].concat();
        let keys = public_keys_in_pem(&bundle).unwrap();
        let kinds: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
        assert_eq!(kinds, ["Rs256(..)", "Es256(..)", "EdDsa(..)"]);
        for key in keys {
            assert!(key.trusted(None, &ClaimRules::default()).is_ok());
        }
    }

    #[test]
    fn refuses_what_is_no_public_key() {
        assert!(public_keys_in_pem(b"").is_err());
        assert!(public_keys_in_pem(b"not a pem").is_err());
        assert!(public_keys_in_pem(&fixture("rsa-a.key")).is_err(), "a private key is no public key");
        assert!(public_keys_in_pem(b"-----BEGIN PUBLIC KEY-----\nAAAA\n").is_err());
    }
}
