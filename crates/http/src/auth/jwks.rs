//! An identity provider's keys, fetched from its JWK Set (found directly, or through
//! OIDC discovery from the issuer) and kept fresh.
//!
//! - The set is fetched in the background at start and again when it goes stale: after
//!   the response's `Cache-Control: max-age`, bounded by [`JwksTiming`] (1 min to 1 h;
//!   5 min without one). A failed fetch (an error, an unreadable document, or a set
//!   without one usable key) is retried after `retry`; the keys fetched earlier keep
//!   verifying meanwhile, however long the provider is down.
//! - A token naming a `kid` the set lacks makes one refetch, at most once per
//!   `unknown_kid_refetch` (30 s) whatever the traffic: concurrent requests wait for
//!   the fetch in flight instead of starting their own, and past that any request with
//!   an unknown `kid` is refused at once.
//! - Fetches run on the runtime that built the verifier (the server's), never on an
//!   actix worker's, so that pooled connections outlive no runtime.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::KeyError;
use super::cache_control::max_age;
use super::jwk::key_ring;
use super::key_ring::KeyRing;
use super::trusted_key::{ClaimRules, KeyFingerprint};

/// Largest discovery document or JWK Set read.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Where the provider's keys are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLocation {
    /// A JWK Set URL.
    JwksUrl(String),
    /// An OIDC issuer: its `/.well-known/openid-configuration` names the JWK Set.
    Issuer(String),
}

/// How often the key set is fetched. Production values by default; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksTiming {
    /// Least time between two refetches caused by unknown `kid`s.
    pub unknown_kid_refetch: Duration,
    /// Shortest freshness, whatever `max-age` says.
    pub min_fresh: Duration,
    /// Longest freshness, whatever `max-age` says.
    pub max_fresh: Duration,
    /// Freshness of a set served without `max-age`.
    pub default_fresh: Duration,
    /// Wait before fetching again after a failed fetch.
    pub retry: Duration,
    /// Longest a fetch may take, discovery included each.
    pub fetch_timeout: Duration,
}

impl Default for JwksTiming {
    fn default() -> Self {
        Self {
            unknown_kid_refetch: Duration::from_secs(30),
            min_fresh: Duration::from_secs(60),
            max_fresh: Duration::from_secs(3600),
            default_fresh: Duration::from_secs(300),
            retry: Duration::from_secs(30),
            fetch_timeout: Duration::from_secs(5),
        }
    }
}

/// What only one fetch at a time may touch.
#[derive(Debug, Default)]
struct FetchState {
    /// The JWK Set URL, once known (given, or discovered).
    jwks_uri: Option<String>,
    /// When an unknown `kid` last caused a fetch.
    last_unknown_kid_refetch: Option<Instant>,
}

/// The provider's keys and how they are kept.
#[derive(Debug)]
pub struct ProviderKeys {
    location: KeyLocation,
    rules: ClaimRules,
    timing: JwksTiming,
    client: reqwest::Client,
    runtime: Handle,
    ring: RwLock<Arc<KeyRing>>,
    fetching: Arc<Mutex<FetchState>>,
    /// Fetches attempted so far, successful or not.
    attempts: AtomicU64,
    /// When a fetch last succeeded.
    last_success: RwLock<Option<Instant>>,
}

/// How a provider's keys are kept, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProviderStatus {
    /// Keys trusted now.
    pub keys: usize,
    /// Seconds since a fetch last succeeded; `None` before the first.
    pub seconds_since_fetch: Option<f64>,
}

impl ProviderKeys {
    /// Starts keeping the provider's keys: the first fetch starts now, in the
    /// background, on the current tokio runtime.
    ///
    /// # Errors
    /// [`KeyError`] outside a tokio runtime, or when no HTTP client can be built.
    pub fn start(location: KeyLocation, rules: ClaimRules, timing: JwksTiming) -> Result<Arc<Self>, KeyError> {
        let runtime = Handle::try_current().map_err(|_| KeyError("JWK Sets are fetched on a tokio runtime".into()))?;
        let client = reqwest::Client::builder()
            .timeout(timing.fetch_timeout)
            .connect_timeout(timing.fetch_timeout)
            .user_agent(concat!("rookery/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| KeyError(format!("HTTP client: {e}")))?;
        let jwks_uri = match &location {
            KeyLocation::JwksUrl(url) => Some(url.clone()),
            KeyLocation::Issuer(_) => None,
        };
        let keys = Arc::new(Self {
            location,
            rules,
            timing,
            client,
            runtime: runtime.clone(),
            ring: RwLock::new(Arc::new(KeyRing::default())),
            fetching: Arc::new(Mutex::new(FetchState { jwks_uri, last_unknown_kid_refetch: None })),
            attempts: AtomicU64::new(0),
            last_success: RwLock::new(None),
        });
        // Taken before the first request can come: requests arriving before the first
        // fetch ends wait for it rather than fetching themselves.
        let first = Arc::clone(&keys.fetching)
            .try_lock_owned()
            .map_err(|_| KeyError("the key fetcher is already running".into()))?;
        runtime.spawn(keep_fresh(Arc::downgrade(&keys), first));
        Ok(keys)
    }

    /// The keys trusted now.
    #[must_use]
    pub fn ring(&self) -> Arc<KeyRing> {
        Arc::clone(&self.ring.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether the key with this fingerprint is still in the set.
    #[must_use]
    pub fn holds(&self, fingerprint: KeyFingerprint) -> bool {
        self.ring.read().unwrap_or_else(PoisonError::into_inner).holds(fingerprint)
    }

    /// How many keys are trusted, and how old they are.
    #[must_use]
    pub fn status(&self) -> ProviderStatus {
        let last = *self.last_success.read().unwrap_or_else(PoisonError::into_inner);
        ProviderStatus { keys: self.ring().len(), seconds_since_fetch: last.map(|at| at.elapsed().as_secs_f64()) }
    }

    /// A token named a key the set lacks: fetch the set again, unless a fetch ended
    /// while this one waited or an unknown `kid` already caused one within
    /// `unknown_kid_refetch`.
    pub async fn refetch_for_unknown_kid(&self) {
        let seen = self.attempts.load(Ordering::Acquire);
        let mut state = self.fetching.lock().await;
        if self.attempts.load(Ordering::Acquire) != seen {
            return;
        }
        if state.last_unknown_kid_refetch.is_some_and(|at| at.elapsed() < self.timing.unknown_kid_refetch) {
            return;
        }
        state.last_unknown_kid_refetch = Some(Instant::now());
        self.fetch(&mut state).await;
    }

    /// Fetches the set and, if it could be read, trusts it from now on. Returns how
    /// long it stays fresh, or `None` when the fetch failed (the old keys stay).
    async fn fetch(&self, state: &mut FetchState) -> Option<Duration> {
        let fetch = fetch_key_set(self.client.clone(), self.location.clone(), state.jwks_uri.clone());
        let outcome = self.runtime.spawn(fetch).await.unwrap_or_else(|e| Err(format!("fetch task failed: {e}")));
        self.attempts.fetch_add(1, Ordering::AcqRel);
        let fetched = match outcome {
            Ok(fetched) => fetched,
            Err(error) => {
                if matches!(self.location, KeyLocation::Issuer(_)) {
                    state.jwks_uri = None;
                }
                tracing::warn!(%error, location = ?self.location, "cannot fetch the identity provider's keys; the keys fetched earlier stay");
                return None;
            }
        };
        let ring = match key_ring(&fetched.document, &self.rules) {
            // No provider publishes a set without keys: a misbehaving proxy or cache
            // does. Taking it would refuse every token.
            Ok(ring) if ring.is_empty() => {
                tracing::warn!(url = %fetched.jwks_uri, "the identity provider's JWK Set holds no usable key; the keys fetched earlier stay");
                return None;
            }
            Ok(ring) => ring,
            Err(error) => {
                tracing::warn!(%error, url = %fetched.jwks_uri, "the identity provider's JWK Set is unreadable; the keys fetched earlier stay");
                return None;
            }
        };
        let kids: Vec<&str> = ring.all().iter().filter_map(|key| key.kid.as_deref()).collect();
        if self.ring().same_keys(&ring) {
            tracing::debug!(url = %fetched.jwks_uri, ?kids, "the identity provider's keys are unchanged");
        } else {
            tracing::info!(url = %fetched.jwks_uri, keys = ring.len(), ?kids, "trusting the identity provider's keys");
        }
        state.jwks_uri = Some(fetched.jwks_uri);
        *self.ring.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(ring);
        *self.last_success.write().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        let fresh = fetched.max_age.map_or(self.timing.default_fresh, |age| {
            age.clamp(self.timing.min_fresh, self.timing.max_fresh.max(self.timing.min_fresh))
        });
        Some(fresh)
    }
}

/// Fetches at start, then whenever the set goes stale or after a failure, for as long
/// as the verifier lives.
async fn keep_fresh(keys: Weak<ProviderKeys>, first: OwnedMutexGuard<FetchState>) {
    let mut held = Some(first);
    loop {
        let Some(strong) = keys.upgrade() else { return };
        let mut state = match held.take() {
            Some(state) => state,
            None => Arc::clone(&strong.fetching).lock_owned().await,
        };
        let wait = strong.fetch(&mut state).await.unwrap_or(strong.timing.retry);
        drop(state);
        drop(strong);
        tokio::time::sleep(wait).await;
    }
}

/// A JWK Set as fetched.
struct Fetched {
    jwks_uri: String,
    document: Vec<u8>,
    max_age: Option<Duration>,
}

/// Discovers the JWK Set's URL when it is not known yet, then fetches the set.
async fn fetch_key_set(
    client: reqwest::Client,
    location: KeyLocation,
    jwks_uri: Option<String>,
) -> Result<Fetched, String> {
    let jwks_uri = match (jwks_uri, &location) {
        (Some(uri), _) => uri,
        (None, KeyLocation::JwksUrl(url)) => url.clone(),
        (None, KeyLocation::Issuer(issuer)) => discover(&client, issuer).await?,
    };
    let response = get(&client, &jwks_uri).await?;
    let max_age =
        response.headers().get(reqwest::header::CACHE_CONTROL).and_then(|value| value.to_str().ok()).and_then(max_age);
    let document = body(response).await?;
    Ok(Fetched { jwks_uri, document, max_age })
}

/// The `jwks_uri` of the issuer's OpenID Connect discovery document.
async fn discover(client: &reqwest::Client, issuer: &str) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Discovery {
        issuer: Option<String>,
        jwks_uri: String,
    }
    let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let document = body(get(client, &url).await?).await?;
    let discovery: Discovery =
        serde_json::from_slice(&document).map_err(|e| format!("{url} is no discovery document: {e}"))?;
    if discovery.issuer.as_deref().is_some_and(|named| named.trim_end_matches('/') != issuer.trim_end_matches('/')) {
        tracing::warn!(configured = issuer, named = ?discovery.issuer, "the discovery document names another issuer; tokens must still carry the configured one");
    }
    if !(discovery.jwks_uri.starts_with("https://") || discovery.jwks_uri.starts_with("http://")) {
        return Err(format!("{url} names no usable jwks_uri"));
    }
    Ok(discovery.jwks_uri)
}

async fn get(client: &reqwest::Client, url: &str) -> Result<reqwest::Response, String> {
    let response = client.get(url).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("GET {url}: {}", response.status()));
    }
    Ok(response)
}

/// The body, refused past [`MAX_DOCUMENT_BYTES`].
async fn body(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let url = response.url().to_string();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("reading {url}: {e}"))? {
        if body.len().saturating_add(chunk.len()) > MAX_DOCUMENT_BYTES {
            return Err(format!("{url} is larger than {MAX_DOCUMENT_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
