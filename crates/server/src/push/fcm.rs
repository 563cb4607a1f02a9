//! The FCM HTTP v1 client: a service-account OAuth2 token (a JWT signed RS256 with the
//! account's key, exchanged at the token URL and cached until near expiry) and the
//! send call with seed 002's payloads.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rookery_domain::{NotificationKind, NotificationView};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Mutex;

/// The OAuth2 scope FCM sends need.
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// Google's token endpoint, when neither the setting nor the key file names one.
const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// A cached token is renewed this long before it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(60);
/// No call to FCM may hold a dispatcher up longer than this.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The fields of a service-account key file Rookery uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceAccount {
    /// The Firebase project.
    pub project_id: String,
    /// The account's e-mail: the JWT's issuer.
    pub client_email: String,
    /// Its RSA private key (PEM).
    pub private_key: String,
    /// Its token endpoint.
    #[serde(default)]
    pub token_uri: Option<String>,
}

/// Where and as whom to send.
#[derive(Debug, Clone)]
pub struct FcmConfig {
    /// The service account.
    pub account: ServiceAccount,
    /// The OAuth2 token endpoint.
    pub token_url: String,
    /// The send endpoint.
    pub send_url: String,
}

impl FcmConfig {
    /// Reads the key file; the URLs default to Google's.
    ///
    /// # Errors
    /// An unreadable or malformed key file.
    pub fn load(path: &Path, token_url: Option<String>, send_url: Option<String>) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading ROOKERY_FCM_SERVICE_ACCOUNT {}", path.display()))?;
        let account: ServiceAccount = serde_json::from_str(&text).context("parsing the service-account file")?;
        let token_url = token_url.or_else(|| account.token_uri.clone()).unwrap_or_else(|| GOOGLE_TOKEN_URL.into());
        let send_url = send_url
            .unwrap_or_else(|| format!("https://fcm.googleapis.com/v1/projects/{}/messages:send", account.project_id));
        Ok(Self { account, token_url, send_url })
    }
}

/// What FCM said about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted.
    Delivered,
    /// The token is dead: the app was uninstalled or the token rotated.
    Unregistered,
    /// Worth trying again later; the text says why.
    Retry(String),
}

#[derive(Serialize)]
struct Assertion<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default = "default_lifetime")]
    expires_in: u64,
}

const fn default_lifetime() -> u64 {
    3600
}

/// Sends messages to FCM.
pub struct FcmClient {
    http: reqwest::Client,
    config: FcmConfig,
    key: EncodingKey,
    token: Mutex<Option<(String, Instant)>>,
}

impl FcmClient {
    /// A client for `config`.
    ///
    /// # Errors
    /// The private key does not parse, or no HTTP client can be built.
    pub fn new(config: FcmConfig) -> anyhow::Result<Self> {
        let key = EncodingKey::from_rsa_pem(config.account.private_key.as_bytes())
            .context("the service account's private_key is not an RSA key in PEM")?;
        let http = reqwest::Client::builder().timeout(HTTP_TIMEOUT).build()?;
        Ok(Self { http, config, key, token: Mutex::new(None) })
    }

    /// A valid access token, fetched again only near expiry.
    async fn access_token(&self) -> Result<String, String> {
        let mut cached = self.token.lock().await;
        if let Some((token, expires)) = cached.as_ref() {
            if Instant::now() + RENEW_BEFORE < *expires {
                return Ok(token.clone());
            }
        }
        let now = chrono::Utc::now().timestamp().unsigned_abs();
        let claims = Assertion {
            iss: &self.config.account.client_email,
            scope: SCOPE,
            aud: &self.config.token_url,
            iat: now,
            exp: now + 3600,
        };
        let assertion = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map_err(|e| format!("signing the token request: {e}"))?;
        let response = self
            .http
            .post(&self.config.token_url)
            .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion.as_str())])
            .send()
            .await
            .map_err(|e| format!("token endpoint unreachable: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("token endpoint answered {}", response.status()));
        }
        let answer: TokenAnswer = response.json().await.map_err(|e| format!("token endpoint's answer: {e}"))?;
        let expires = Instant::now() + Duration::from_secs(answer.expires_in);
        *cached = Some((answer.access_token.clone(), expires));
        Ok(answer.access_token)
    }

    /// Sends one notification to one device.
    pub async fn send(&self, view: &NotificationView, token: &str) -> Outcome {
        let access = match self.access_token().await {
            Ok(access) => access,
            Err(reason) => return Outcome::Retry(reason),
        };
        let response =
            match self.http.post(&self.config.send_url).bearer_auth(access).json(&message(view, token)).send().await {
                Ok(response) => response,
                Err(error) => return Outcome::Retry(format!("FCM unreachable: {error}")),
            };
        let status = response.status();
        if status.is_success() {
            return Outcome::Delivered;
        }
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if is_unregistered(status.as_u16(), &body) {
            return Outcome::Unregistered;
        }
        if status == reqwest::StatusCode::UNAUTHORIZED {
            // The token may have been revoked early: fetch a new one next time.
            *self.token.lock().await = None;
        }
        Outcome::Retry(format!("FCM answered {status}: {body}"))
    }
}

/// FCM reports a dead token as 404 `NOT_FOUND` with the `UNREGISTERED` error code.
fn is_unregistered(status: u16, body: &Value) -> bool {
    let error = body.get("error");
    let codes = error
        .and_then(|e| e.get("details"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("errorCode").and_then(Value::as_str));
    status == 404
        || error.and_then(|e| e.get("status")).and_then(Value::as_str) == Some("NOT_FOUND")
        || codes.into_iter().any(|c| c == "UNREGISTERED")
}

/// Seed 002's FCM payloads: a `data` block (string values, as FCM requires) and a
/// `notification` block with title and body.
pub fn message(view: &NotificationView, token: &str) -> Value {
    let kind = view.notification.kind;
    let title = match kind {
        NotificationKind::Follow => "New Follower",
        NotificationKind::FollowRequest => "New Follow Request",
        NotificationKind::FollowRequestAccepted => "Follow Request Accepted",
    };
    json!({
        "message": {
            "token": token,
            "notification": { "title": title, "body": view.message() },
            "data": {
                "type": kind.as_str(),
                "notification_id": view.notification.id.to_string(),
                "actor_id": view.actor.id.to_string(),
                "actor_username": view.actor.username.as_str(),
                "actor_profile_image_url": view.actor.profile_image_url.clone().unwrap_or_default(),
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_dead_tokens() {
        let unregistered = json!({ "error": { "status": "NOT_FOUND", "details": [{ "errorCode": "UNREGISTERED" }] } });
        assert!(is_unregistered(404, &unregistered));
        assert!(is_unregistered(400, &json!({ "error": { "details": [{ "errorCode": "UNREGISTERED" }] } })));
        assert!(!is_unregistered(503, &json!({ "error": { "status": "UNAVAILABLE" } })));
        assert!(!is_unregistered(500, &Value::Null));
    }
}
