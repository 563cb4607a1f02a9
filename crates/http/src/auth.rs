//! Bearer-token authentication.
//!
//! The algorithm is fixed by the key, never read from the token: a token signed with
//! anything else (`alg: none`, HS256 against an RSA key, ...) is refused. The keys are
//! a shared secret, public keys known at start, or an identity provider's JWK Set
//! (`jwks`), each key found by the token's `kid`. `exp` is required and checked with
//! 30 s of leeway; `sub` must name an account (`subject`). A token that verified is
//! remembered until it expires (`verified`), so a client's next request skips the
//! signature check.

mod cache_control;
mod jwk;
mod jwks;
mod key_ring;
mod static_keys;
mod subject;
mod trusted_key;
mod verified;
mod verifier;

use std::future::Future;
use std::pin::Pin;

use actix_web::{HttpRequest, web};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rookery_domain::Identity;
use serde::{Deserialize, Serialize};

pub use jwks::{JwksTiming, KeyLocation, ProviderStatus};
pub use static_keys::{StaticKey, VerificationKey, public_keys_in_pem};
pub use subject::{SubjectMode, UnknownSubjectMode, mapped_account_id};
pub use trusted_key::ClaimRules;
pub use verifier::{Attempt, JwtVerifier, KeySource, VerifierConfig};

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 30;

/// The claims Rookery reads. Unknown claims are ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The account id (a UUID), or with [`SubjectMode::Map`] any subject.
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// The issuer; with [`SubjectMode::Map`] it namespaces the subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// A username for provisioning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The OpenID Connect name for the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// A display name for provisioning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `admin` unlocks the admin API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// A key that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid JWT key: {0}")]
pub struct KeyError(String);

/// Signs an HS256 token, for `rookery token` and tests.
///
/// # Errors
/// [`KeyError`] when signing fails.
pub fn issue_hs256(secret: &[u8], claims: &Claims) -> Result<String, KeyError> {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret))
        .map_err(|e| KeyError(e.to_string()))
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Who the token says it is.
    pub identity: Identity,
    /// Whether the token carries `role: admin`.
    pub is_admin: bool,
}

/// Why a request is not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("Authentication required")]
    Missing,
    /// A token was given but is not acceptable.
    #[error("Invalid or expired token")]
    Invalid,
}

/// Reads the bearer token of a request, if there is one.
///
/// # Errors
/// [`AuthError::Missing`] without an `Authorization` header, [`AuthError::Invalid`]
/// when it is not of the form `Bearer <token>`.
pub fn bearer_token(req: &HttpRequest) -> Result<&str, AuthError> {
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION).ok_or(AuthError::Missing)?;
    let value = header.to_str().map_err(|_| AuthError::Invalid)?.trim();
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Invalid);
    }
    Ok(token.trim())
}

/// Verifies the request's bearer token with the app's [`JwtVerifier`].
///
/// # Errors
/// [`AuthError::Missing`] without a token, [`AuthError::Invalid`] for a bad one.
pub async fn authenticate(req: &HttpRequest) -> Result<Caller, AuthError> {
    authenticate_with(req, None).await
}

/// As [`authenticate`], also accepting a token from elsewhere (a query parameter)
/// when the request has no `Authorization` header.
///
/// # Errors
/// As [`authenticate`].
pub async fn authenticate_with(req: &HttpRequest, fallback: Option<&str>) -> Result<Caller, AuthError> {
    let token = match (bearer_token(req), fallback.filter(|t| !t.is_empty())) {
        (Err(AuthError::Missing), Some(token)) => token,
        (result, _) => result?,
    };
    let verifier = req.app_data::<web::Data<JwtVerifier>>().ok_or(AuthError::Invalid)?;
    verifier.verify(token).await
}

/// What the extractors return: most requests settle at once; one naming a key the
/// provider's set lacks waits for the refetch.
pub type Authenticating<T, E> = Pin<Box<dyn Future<Output = Result<T, E>>>>;

/// Authenticates `req`, then turns the outcome into the extractor's own.
pub fn authenticating<T: 'static, E: 'static>(
    req: &HttpRequest,
    finish: impl FnOnce(Result<Caller, AuthError>) -> Result<T, E> + 'static,
) -> Authenticating<T, E> {
    let req = req.clone();
    Box::pin(async move { finish(authenticate(&req).await) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(sub: &str, exp: u64) -> Claims {
        Claims {
            sub: sub.into(),
            exp,
            iat: None,
            iss: None,
            username: Some("jane".into()),
            preferred_username: None,
            name: None,
            role: None,
        }
    }

    fn hs256(secret: &[u8]) -> JwtVerifier {
        let key = StaticKey { kid: None, key: VerificationKey::Hs256(secret.to_vec()) };
        JwtVerifier::new(VerifierConfig::with_keys(vec![key])).unwrap()
    }

    /// Static keys never wait: every check settles at once.
    fn verify(verifier: &JwtVerifier, token: &str) -> Result<Caller, AuthError> {
        match verifier.attempt(token) {
            Attempt::Settled(result) => result,
            Attempt::UnknownKey => panic!("static keys never wait for a fetch"),
        }
    }

    fn now() -> u64 {
        u64::try_from(chrono::Utc::now().timestamp()).unwrap()
    }

    #[test]
    fn accepts_a_good_token_and_refuses_forgeries() {
        let verifier = hs256(b"secret");
        let sub = uuid::Uuid::now_v7().to_string();
        let good = issue_hs256(b"secret", &claims(&sub, now() + 60)).unwrap();
        assert_eq!(verify(&verifier, &good).unwrap().identity.username.as_deref(), Some("jane"));

        let foreign = issue_hs256(b"other", &claims(&sub, now() + 60)).unwrap();
        assert_eq!(verify(&verifier, &foreign), Err(AuthError::Invalid));
        let expired = issue_hs256(b"secret", &claims(&sub, now() - 120)).unwrap();
        assert_eq!(verify(&verifier, &expired), Err(AuthError::Invalid));
        let within_leeway = issue_hs256(b"secret", &claims(&sub, now() - 10)).unwrap();
        assert!(verify(&verifier, &within_leeway).is_ok());
        let not_uuid = issue_hs256(b"secret", &claims("42", now() + 60)).unwrap();
        assert_eq!(verify(&verifier, &not_uuid), Err(AuthError::Invalid));
    }

    #[test]
    fn a_remembered_token_proves_nothing_for_its_forgeries() {
        let verifier = hs256(b"secret");
        let sub = uuid::Uuid::now_v7().to_string();
        let good = issue_hs256(b"secret", &claims(&sub, now() + 60)).unwrap();
        let first = verify(&verifier, &good).unwrap();
        assert_eq!(verify(&verifier, &good), Ok(first), "the second check answers as the first");

        // The same header and claims under another key's signature.
        let foreign = issue_hs256(b"other", &claims(&sub, now() + 60)).unwrap();
        let (signed, _) = good.rsplit_once('.').unwrap();
        let (_, signature) = foreign.rsplit_once('.').unwrap();
        assert_eq!(verify(&verifier, &format!("{signed}.{signature}")), Err(AuthError::Invalid));
        assert_eq!(verify(&verifier, &format!("{signed}.")), Err(AuthError::Invalid));
    }

    #[test]
    fn refuses_alg_none() {
        use base64_like::encode;
        let verifier = hs256(b"secret");
        let header = encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = encode(format!(r#"{{"sub":"{}","exp":{}}}"#, uuid::Uuid::now_v7(), now() + 60).as_bytes());
        assert_eq!(verify(&verifier, &format!("{header}.{body}.")), Err(AuthError::Invalid));
    }

    /// URL-safe base64 without padding, enough to forge a token by hand.
    mod base64_like {
        pub fn encode(bytes: &[u8]) -> String {
            const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
                let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
                for i in 0..=chunk.len() {
                    out.push(char::from(ALPHABET[usize::try_from((n >> (18 - 6 * i)) & 63).unwrap()]));
                }
            }
            out
        }
    }
}
