//! A local stand-in for Google's OAuth2 token endpoint and FCM's send endpoint, so
//! push delivery is tested end to end without the network.

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

/// The test key pair's private half, as a service-account file carries it.
pub const PRIVATE_KEY: &str = include_str!("../fixtures/fcm-test-service-account.key");
const PUBLIC_KEY: &str = include_str!("../fixtures/fcm-test-service-account.pub");
const ACCESS_TOKEN: &str = "fake-access-token";

/// How the fake answers sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 200, except 404 UNREGISTERED for tokens starting with `dead`.
    Healthy,
    /// 500 for everything.
    Down,
}

/// What the fake saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Accepted token requests (the assertion verified).
    pub token_requests: usize,
    /// Send bodies that carried the issued access token.
    pub messages: Vec<Value>,
    /// Sends refused for a bad or missing access token.
    pub unauthorized: usize,
}

/// A running fake.
pub struct FakeFcm {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// What it saw.
    pub seen: Arc<Mutex<Seen>>,
    /// The service-account file pointing at it.
    pub service_account: tempfile::NamedTempFile,
}

struct State {
    seen: Arc<Mutex<Seen>>,
    mode: Mode,
    token_url: String,
}

async fn token(state: web::Data<State>, form: web::Form<Vec<(String, String)>>) -> HttpResponse {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if field("grant_type").as_deref() != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return HttpResponse::BadRequest().json(json!({ "error": "unsupported_grant_type" }));
    }
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[state.token_url.as_str()]);
    validation.set_issuer(&["rookery-test@rookery-test.iam.gserviceaccount.com"]);
    let key = DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()).unwrap();
    match jsonwebtoken::decode::<Value>(&field("assertion").unwrap_or_default(), &key, &validation) {
        Ok(data) if data.claims["scope"] == "https://www.googleapis.com/auth/firebase.messaging" => {
            state.seen.lock().unwrap().token_requests += 1;
            HttpResponse::Ok().json(json!({ "access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer" }))
        }
        _ => HttpResponse::BadRequest().json(json!({ "error": "invalid_grant" })),
    }
}

async fn send(state: web::Data<State>, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    let bearer = req.headers().get("Authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if bearer != format!("Bearer {ACCESS_TOKEN}") {
        state.seen.lock().unwrap().unauthorized += 1;
        return HttpResponse::Unauthorized().json(json!({ "error": { "code": 401, "status": "UNAUTHENTICATED" } }));
    }
    let device = body["message"]["token"].as_str().unwrap_or_default().to_owned();
    state.seen.lock().unwrap().messages.push(body.into_inner());
    if state.mode == Mode::Down {
        return HttpResponse::InternalServerError().json(json!({ "error": { "code": 500, "status": "INTERNAL" } }));
    }
    if device.starts_with("dead") {
        return HttpResponse::NotFound().json(json!({
            "error": {
                "code": 404,
                "message": "Requested entity was not found.",
                "status": "NOT_FOUND",
                "details": [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED" }]
            }
        }));
    }
    HttpResponse::Ok().json(json!({ "name": "projects/rookery-test/messages/1" }))
}

impl FakeFcm {
    /// Starts the fake on a free port.
    pub async fn start(mode: Mode) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let seen = Arc::new(Mutex::new(Seen::default()));
        let state = web::Data::new(State { seen: Arc::clone(&seen), mode, token_url: format!("{address}/token") });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/token", web::post().to(token))
                .route("/v1/projects/rookery-test/messages:send", web::post().to(send))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        let service_account = tempfile::NamedTempFile::new().unwrap();
        let file = json!({
            "type": "service_account",
            "project_id": "rookery-test",
            "client_email": "rookery-test@rookery-test.iam.gserviceaccount.com",
            "private_key": PRIVATE_KEY,
            "token_uri": format!("{address}/token"),
        });
        std::fs::write(service_account.path(), file.to_string()).unwrap();
        Self { address, seen, service_account }
    }

    /// The send URL, as `ROOKERY_FCM_SEND_URL` takes it.
    pub fn send_url(&self) -> String {
        format!("{}/v1/projects/rookery-test/messages:send", self.address)
    }

    /// Waits (up to five seconds) until `done` holds for what was seen.
    pub async fn wait_for(&self, done: impl Fn(&Seen) -> bool) -> bool {
        for _ in 0..100 {
            if done(&self.seen.lock().unwrap()) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        false
    }
}
