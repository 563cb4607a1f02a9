//! Bearer-token authentication.
//!
//! The algorithm is fixed by configuration, never read from the token: a token
//! signed with anything else (`alg: none`, HS256 against an RSA key, ...) is refused.
//! `exp` is required and checked with 30 s of leeway; `sub` must be a UUID. A token
//! that verified is remembered until it expires (`verified`), so a client's next
//! request skips the signature check.

mod verified;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rookery_domain::{AccountId, Identity};
use serde::{Deserialize, Serialize};

use crate::community::envelope;

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 30;

/// The claims Rookery reads. Unknown claims are ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The account id (a UUID).
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
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

/// The key that verifies tokens, which also fixes the algorithm.
#[derive(Clone)]
pub enum VerificationKey {
    /// HS256 with a shared secret.
    Hs256(Vec<u8>),
    /// RS256 with an RSA public key (PEM).
    Rs256(Vec<u8>),
    /// ES256 with an EC P-256 public key (PEM).
    Es256(Vec<u8>),
}

impl std::fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.write_str(match self {
            Self::Hs256(_) => "Hs256(..)",
            Self::Rs256(_) => "Rs256(..)",
            Self::Es256(_) => "Es256(..)",
        })
    }
}

/// A key that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid JWT key: {0}")]
pub struct KeyError(String);

/// Verifies bearer tokens.
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
    verified: verified::VerifiedTokens,
}

impl JwtVerifier {
    /// A verifier for `key`, optionally also checking `iss` and `aud`.
    ///
    /// # Errors
    /// [`KeyError`] when a PEM key does not parse or a secret is empty.
    pub fn new(key: &VerificationKey, issuer: Option<&str>, audience: Option<&str>) -> Result<Self, KeyError> {
        let (algorithm, key) = match key {
            VerificationKey::Hs256(secret) if secret.is_empty() => return Err(KeyError("empty secret".into())),
            VerificationKey::Hs256(secret) => (Algorithm::HS256, DecodingKey::from_secret(secret)),
            VerificationKey::Rs256(pem) => {
                (Algorithm::RS256, DecodingKey::from_rsa_pem(pem).map_err(|e| KeyError(e.to_string()))?)
            }
            VerificationKey::Es256(pem) => {
                (Algorithm::ES256, DecodingKey::from_ec_pem(pem).map_err(|e| KeyError(e.to_string()))?)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        // A configured issuer or audience must be present, not merely right when present.
        let mut required = vec!["exp", "sub"];
        match audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        if let Some(iss) = issuer {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        Ok(Self { key, validation, verified: verified::VerifiedTokens::default() })
    }

    /// Verifies a token and reads the caller from it.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for any bad token: wrong algorithm or signature,
    /// expired, not yet valid, wrong issuer or audience, or a `sub` that is no UUID.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let now = jsonwebtoken::get_current_timestamp();
        if let Some(caller) = self.verified.get(token, now) {
            return Ok(caller);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(|e| {
            tracing::debug!(error = %e, "token refused");
            AuthError::Invalid
        })?;
        let claims = data.claims;
        let id: AccountId = claims.sub.parse().map_err(|_| AuthError::Invalid)?;
        let caller = Caller {
            identity: Identity { id, username: claims.username.or(claims.preferred_username), name: claims.name },
            is_admin: claims.role.as_deref() == Some("admin"),
        };
        self.verified.insert(token, caller.clone(), claims.exp.saturating_add(LEEWAY_SECS), now);
        Ok(caller)
    }
}

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

/// Rendered in the canonical envelope (the [`Caller`] extractor's dialect).
impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }

    fn error_response(&self) -> HttpResponse {
        envelope::error(StatusCode::UNAUTHORIZED, &self.to_string())
    }
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
pub fn authenticate(req: &HttpRequest) -> Result<Caller, AuthError> {
    authenticate_with(req, None)
}

/// As [`authenticate`], also accepting a token from elsewhere (a query parameter)
/// when the request has no `Authorization` header.
///
/// # Errors
/// As [`authenticate`].
pub fn authenticate_with(req: &HttpRequest, fallback: Option<&str>) -> Result<Caller, AuthError> {
    let token = match (bearer_token(req), fallback.filter(|t| !t.is_empty())) {
        (Err(AuthError::Missing), Some(token)) => token,
        (result, _) => result?,
    };
    let verifier = req.app_data::<web::Data<JwtVerifier>>().ok_or(AuthError::Invalid)?;
    verifier.verify(token)
}

/// The canonical dialect's extractor; other dialects use
/// [`crate::dialect::Authed`] to answer in their own envelope.
impl FromRequest for Caller {
    type Error = AuthError;
    type Future = Ready<Result<Self, AuthError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(sub: &str, exp: u64) -> Claims {
        Claims {
            sub: sub.into(),
            exp,
            iat: None,
            username: Some("jane".into()),
            preferred_username: None,
            name: None,
            role: None,
        }
    }

    fn now() -> u64 {
        u64::try_from(chrono::Utc::now().timestamp()).unwrap()
    }

    #[test]
    fn accepts_a_good_token_and_refuses_forgeries() {
        let verifier = JwtVerifier::new(&VerificationKey::Hs256(b"secret".to_vec()), None, None).unwrap();
        let sub = uuid::Uuid::now_v7().to_string();
        let good = issue_hs256(b"secret", &claims(&sub, now() + 60)).unwrap();
        assert_eq!(verifier.verify(&good).unwrap().identity.username.as_deref(), Some("jane"));

        let foreign = issue_hs256(b"other", &claims(&sub, now() + 60)).unwrap();
        assert_eq!(verifier.verify(&foreign), Err(AuthError::Invalid));
        let expired = issue_hs256(b"secret", &claims(&sub, now() - 120)).unwrap();
        assert_eq!(verifier.verify(&expired), Err(AuthError::Invalid));
        let within_leeway = issue_hs256(b"secret", &claims(&sub, now() - 10)).unwrap();
        assert!(verifier.verify(&within_leeway).is_ok());
        let not_uuid = issue_hs256(b"secret", &claims("42", now() + 60)).unwrap();
        assert_eq!(verifier.verify(&not_uuid), Err(AuthError::Invalid));
    }

    #[test]
    fn a_remembered_token_proves_nothing_for_its_forgeries() {
        let verifier = JwtVerifier::new(&VerificationKey::Hs256(b"secret".to_vec()), None, None).unwrap();
        let sub = uuid::Uuid::now_v7().to_string();
        let good = issue_hs256(b"secret", &claims(&sub, now() + 60)).unwrap();
        let first = verifier.verify(&good).unwrap();
        assert_eq!(verifier.verify(&good), Ok(first), "the second check answers as the first");

        // The same header and claims under another key's signature.
        let foreign = issue_hs256(b"other", &claims(&sub, now() + 60)).unwrap();
        let (signed, _) = good.rsplit_once('.').unwrap();
        let (_, signature) = foreign.rsplit_once('.').unwrap();
        assert_eq!(verifier.verify(&format!("{signed}.{signature}")), Err(AuthError::Invalid));
        assert_eq!(verifier.verify(&format!("{signed}.")), Err(AuthError::Invalid));
    }

    #[test]
    fn refuses_alg_none() {
        use base64_like::encode;
        let verifier = JwtVerifier::new(&VerificationKey::Hs256(b"secret".to_vec()), None, None).unwrap();
        let header = encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = encode(format!(r#"{{"sub":"{}","exp":{}}}"#, uuid::Uuid::now_v7(), now() + 60).as_bytes());
        assert_eq!(verifier.verify(&format!("{header}.{body}.")), Err(AuthError::Invalid));
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
