//! A local identity provider: an OIDC discovery document and a JWK Set served from
//! keys the test chooses, which it can rotate, slow down or take offline, and which
//! counts the fetches it answers. It signs tokens with the test key pairs in
//! `fixtures/idp/`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// The test key pairs: (fixture name, algorithm).
pub const RSA_A: (&str, Algorithm) = ("rsa-a", Algorithm::RS256);
/// A second RSA key, for rotations.
pub const RSA_B: (&str, Algorithm) = ("rsa-b", Algorithm::RS256);
/// An EC P-256 key.
pub const EC_P256: (&str, Algorithm) = ("ec-p256", Algorithm::ES256);
/// An Ed25519 key.
pub const ED25519: (&str, Algorithm) = ("ed25519", Algorithm::EdDSA);

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/idp/");

/// A fixture file's bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}{name}")).unwrap()
}

/// The path of a fixture file.
pub fn fixture_path(name: &str) -> std::path::PathBuf {
    format!("{FIXTURES}{name}").into()
}

/// The public JWK of a test key, named `kid`.
pub fn public_jwk(key: (&str, Algorithm), kid: &str) -> Value {
    let all: Value = serde_json::from_slice(&fixture("public-jwks.json")).unwrap();
    let mut jwk = all[key.0].clone();
    jwk["kid"] = json!(kid);
    jwk["use"] = json!("sig");
    jwk
}

/// Signs `claims` with a test key's private half, naming `kid` (if any) in the header.
pub fn sign(key: (&str, Algorithm), kid: Option<&str>, claims: &Value) -> String {
    let pem = fixture(&format!("{}.key", key.0));
    let encoding = match key.1 {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem),
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem),
        _ => EncodingKey::from_ed_pem(&pem),
    }
    .unwrap();
    let mut header = Header::new(key.1);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &encoding).unwrap()
}

/// What the provider serves and what it saw.
#[derive(Debug, Default)]
pub struct Provider {
    /// The JWKs served.
    pub keys: Vec<Value>,
    /// `Cache-Control` of the JWK Set, if any.
    pub cache_control: Option<String>,
    /// Answer 503 to everything.
    pub down: bool,
    /// How long each JWK Set answer takes.
    pub delay: Duration,
    /// JWK Set requests answered (down or not).
    pub jwks_fetches: usize,
    /// Discovery requests answered.
    pub discovery_fetches: usize,
}

/// A running fake provider.
pub struct FakeIdp {
    /// `http://127.0.0.1:PORT`: the issuer.
    pub issuer: String,
    /// What it serves and saw.
    pub state: Arc<Mutex<Provider>>,
}

async fn discovery(state: web::Data<Arc<Mutex<Provider>>>, issuer: web::Data<String>) -> HttpResponse {
    let mut provider = state.lock().unwrap();
    provider.discovery_fetches += 1;
    if provider.down {
        return HttpResponse::ServiceUnavailable().finish();
    }
    HttpResponse::Ok().json(json!({
        "issuer": issuer.as_str(),
        "jwks_uri": format!("{}/keys/jwks.json", issuer.as_str()),
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
    }))
}

async fn jwks(state: web::Data<Arc<Mutex<Provider>>>) -> HttpResponse {
    let (delay, answer) = {
        let mut provider = state.lock().unwrap();
        provider.jwks_fetches += 1;
        let answer = (!provider.down).then(|| (json!({ "keys": provider.keys }), provider.cache_control.clone()));
        (provider.delay, answer)
    };
    tokio::time::sleep(delay).await;
    match answer {
        None => HttpResponse::ServiceUnavailable().finish(),
        Some((body, cache_control)) => {
            let mut response = HttpResponse::Ok();
            if let Some(value) = cache_control {
                response.insert_header(("Cache-Control", value));
            }
            response.json(body)
        }
    }
}

impl FakeIdp {
    /// Starts a provider serving `keys` on a free port.
    pub async fn start(keys: Vec<Value>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(Mutex::new(Provider { keys, ..Provider::default() }));
        let shared = web::Data::new(Arc::clone(&state));
        let named = web::Data::new(issuer.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .app_data(named.clone())
                .route("/.well-known/openid-configuration", web::get().to(discovery))
                .route("/keys/jwks.json", web::get().to(jwks))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Self { issuer, state }
    }

    /// The JWK Set URL.
    pub fn jwks_url(&self) -> String {
        format!("{}/keys/jwks.json", self.issuer)
    }

    /// Serves these keys from now on.
    pub fn publish(&self, keys: Vec<Value>) {
        self.state.lock().unwrap().keys = keys;
    }

    /// Takes the provider offline, or back.
    pub fn set_down(&self, down: bool) {
        self.state.lock().unwrap().down = down;
    }

    /// JWK Set requests so far.
    pub fn jwks_fetches(&self) -> usize {
        self.state.lock().unwrap().jwks_fetches
    }

    /// Waits (up to five seconds) until the JWK Set was fetched `n` times.
    pub async fn wait_for_fetches(&self, n: usize) {
        for _ in 0..100 {
            if self.jwks_fetches() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the JWK Set was fetched {} times, not {n}", self.jwks_fetches());
    }
}
