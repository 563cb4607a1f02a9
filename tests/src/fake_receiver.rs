//! A local webhook receiver: records what it is sent, answers as scripted, and checks
//! signatures with its own implementation of the Standard Webhooks scheme (written
//! from the specification, not shared with the server).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: String,
    /// `webhook-signature`.
    pub signature: String,
    /// `content-type`.
    pub content_type: String,
    /// The raw body.
    pub body: String,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }

    /// Whether the signature verifies with `secret` (`whsec_...`), per Standard
    /// Webhooks: HMAC-SHA256 keyed by the secret's base64-decoded bytes over
    /// `{id}.{timestamp}.{body}`, base64, behind `v1,` (one of space-separated
    /// signatures).
    pub fn verifies(&self, secret: &str) -> bool {
        let key = STANDARD.decode(secret.trim_start_matches("whsec_")).expect("base64 secret");
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
        mac.update(self.id.as_bytes());
        mac.update(b".");
        mac.update(self.timestamp.as_bytes());
        mac.update(b".");
        mac.update(self.body.as_bytes());
        let expected = STANDARD.encode(mac.finalize().into_bytes());
        self.signature.split(' ').any(|sig| sig.strip_prefix("v1,") == Some(expected.as_str()))
    }
}

#[derive(Default)]
struct State {
    received: Mutex<Vec<Received>>,
    /// Statuses to answer, in order; then `otherwise`.
    script: Mutex<VecDeque<u16>>,
    otherwise: Mutex<u16>,
    /// TCP connections accepted.
    connections: AtomicUsize,
}

/// What it answers besides the status, as receivers written with a web framework do:
/// a short body (a sender that leaves it unread cannot reuse the connection).
const ANSWER: &str = r#"{"received":true}"#;

/// A running receiver.
pub struct FakeReceiver {
    /// `http://127.0.0.1:PORT/hook`.
    pub url: String,
    state: Arc<State>,
}

async fn hook(state: web::Data<State>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    state.received.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        content_type: header("content-type"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let status = state.script.lock().unwrap().pop_front().unwrap_or(*state.otherwise.lock().unwrap());
    // The body a moment after the head, in a write of its own, as many servers send
    // it: a client that never reads it cannot tell it is complete.
    let body = futures::stream::once(async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        Ok::<_, std::convert::Infallible>(web::Bytes::from_static(ANSWER.as_bytes()))
    });
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .content_type("application/json")
        .streaming(body)
}

impl FakeReceiver {
    /// Starts a receiver answering 200.
    pub async fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
        let state = Arc::new(State { otherwise: Mutex::new(200), ..State::default() });
        let data = web::Data::from(Arc::clone(&state));
        let counted = Arc::clone(&state);
        let server = HttpServer::new(move || App::new().app_data(data.clone()).route("/hook", web::post().to(hook)))
            .on_connect(move |_, _| {
                counted.connections.fetch_add(1, Ordering::Relaxed);
            })
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
        tokio::spawn(server);
        Self { url, state }
    }

    /// Answers these statuses to the next requests, in order.
    pub fn script(&self, statuses: &[u16]) {
        self.state.script.lock().unwrap().extend(statuses);
    }

    /// Answers `status` once the script is used up.
    pub fn answer(&self, status: u16) {
        *self.state.otherwise.lock().unwrap() = status;
    }

    /// TCP connections it accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::Relaxed)
    }

    /// What it got so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until it got at least `n` requests; answers them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the receiver got {} requests, not {n}", self.received().len());
    }
}
