//! Standard Webhooks signatures: `v1,` and the base64 of HMAC-SHA256 over
//! `{id}.{timestamp}.{body}`, keyed by the secret's decoded bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// An endpoint's secret, decoded and keyed once: each delivery's signature starts
/// from a copy of this state instead of decoding the secret and hashing the key again.
#[derive(Clone)]
pub struct SigningKey(Hmac<Sha256>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// Reads a `whsec_...` secret.
    ///
    /// # Errors
    /// The secret is not `whsec_` followed by base64.
    pub fn from_secret(secret: &str) -> Result<Self, String> {
        let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
        let key = STANDARD.decode(encoded).map_err(|e| format!("unreadable signing secret: {e}"))?;
        Hmac::<Sha256>::new_from_slice(&key).map(Self).map_err(|e| format!("unusable signing secret: {e}"))
    }

    /// The `webhook-signature` header's value for one delivery (`timestamp` in Unix
    /// seconds, as sent in `webhook-timestamp`).
    #[must_use]
    pub fn sign(&self, id: &str, timestamp: &str, body: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks reference libraries (svix's test vector).
    #[test]
    fn matches_the_reference_vector() {
        let key = SigningKey::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let (id, body) = ("msg_p5jXN8AQM9LWM0D4loKWxJek", r#"{"test": 2432232314}"#);
        assert_eq!(key.sign(id, "1614265330", body), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_secret_that_is_not_base64_is_refused() {
        assert!(SigningKey::from_secret("whsec_not base64!").is_err());
    }
}
