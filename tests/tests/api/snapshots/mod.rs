//! Exact answers of every dialect, pinned: for each seed, every error of its table and
//! every success shape of its endpoints, as a table of cases run in order against one
//! server. Each case is one named snapshot (`snapshots/<dialect>/<case>.snap`) holding
//! the request, the status, the headers a client reads (`Content-Type`, `Retry-After`,
//! `Allow`, `WWW-Authenticate`) and the body with its keys in wire order.
//!
//! What varies from run to run is replaced before snapshotting: the accounts' and
//! requests' ids by names (`<alice>`), other UUIDs by `[uuid N]`, timestamps by
//! `[timestamp]`, cursors by `[cursor]` and a 429's wait by `[seconds]`; so the same
//! files hold on SQLite and PostgreSQL.

mod anchor;
mod community;
mod drf;
mod rgram;

use reqwest::StatusCode;
use rookery_tests::pg_faults::{allow_connections, terminate_backends};
use rookery_tests::{Reply, TestApp, TestBackend, backend};
use serde_json::{Map, Value, json};

/// The headers a snapshot shows, when present, in this order.
const PINNED_HEADERS: [&str; 4] = ["content-type", "retry-after", "allow", "www-authenticate"];

/// An answer as snapshots show it: status, pinned headers and body (the text when the
/// body is not JSON, `null` when empty).
pub fn snapshot(reply: &Reply) -> Value {
    let mut headers = Map::new();
    for name in PINNED_HEADERS {
        if let Some(value) = reply.headers.get(name) {
            headers.insert(name.into(), value.to_str().unwrap().into());
        }
    }
    let body = match (&reply.body, reply.text.is_empty()) {
        (Value::Null, false) => Value::String(reply.text.clone()),
        (body, _) => body.clone(),
    };
    json!({ "status": reply.status.as_u16(), "headers": headers, "body": body })
}

/// One row of a dialect's table: a name (the snapshot's) and the request.
pub type Case = (&'static str, reqwest::RequestBuilder);

/// Runs a dialect's cases in order, each against its named snapshot.
pub struct Table<'a> {
    app: &'a TestApp,
    dialect: &'static str,
    names: Vec<(String, String)>,
    millis: bool,
}

impl<'a> Table<'a> {
    /// A table for `dialect`'s snapshots, on `app`.
    pub fn new(app: &'a TestApp, dialect: &'static str) -> Self {
        Self { app, dialect, names: Vec::new(), millis: false }
    }

    /// Shows `id` as `<name>` wherever it appears (bodies, messages, request lines).
    pub fn name(&mut self, id: impl ToString, name: &str) -> &mut Self {
        self.names.push((id.to_string(), format!("<{name}>")));
        self
    }

    /// Checks that every timestamp has exactly milliseconds (`2024-01-01T00:00:00.000Z`,
    /// as JavaScript writes them), a shape the redaction would otherwise hide.
    pub fn millisecond_timestamps(&mut self) -> &mut Self {
        self.millis = true;
        self
    }

    /// Sends each case in turn and checks its snapshot.
    pub async fn run(&self, cases: Vec<Case>) {
        let mut seen = std::collections::HashSet::new();
        for (name, request) in cases {
            assert!(seen.insert(name), "two cases named {name}");
            let request = request.build().unwrap();
            let line = match request.url().query() {
                Some(query) => format!("{} {}?{query}", request.method(), request.url().path()),
                None => format!("{} {}", request.method(), request.url().path()),
            };
            let sent = request.body().and_then(reqwest::Body::as_bytes).map(|bytes| {
                match (serde_json::from_slice(bytes), std::str::from_utf8(bytes)) {
                    _ if bytes.len() > 1024 => Value::String(format!("<{} bytes>", bytes.len())),
                    (Ok(json), _) => json,
                    (Err(_), Ok(text)) => Value::String(text.into()),
                    (Err(_), Err(_)) => Value::String(format!("<{} bytes>", bytes.len())),
                }
            });
            let reply = TestApp::reply(self.app.client.execute(request).await.unwrap()).await;
            if !reply.body.is_null() {
                // The parsed body, keys in order, is the whole answer: nothing on the
                // wire (spacing, escapes, numbers) is lost in the snapshot.
                assert_eq!(serde_json::to_string(&reply.body).unwrap(), reply.text, "{name}: the wire text");
            }
            let mut value = json!({ "request": line });
            if let Some(sent) = sent {
                value["request_body"] = sent;
            }
            if let Value::Object(answer) = snapshot(&reply) {
                value.as_object_mut().unwrap().extend(answer);
            }
            let seconds = (reply.status == StatusCode::TOO_MANY_REQUESTS)
                .then(|| reply.headers.get("retry-after").map(|v| v.to_str().unwrap().to_owned()))
                .flatten();
            self.check_with(name, value, seconds.as_deref());
        }
    }

    /// Checks anything else a dialect sends (a stream's events) against its snapshot.
    pub fn check(&self, name: &str, value: Value) {
        self.check_with(name, value, None);
    }

    fn check_with(&self, name: &str, mut value: Value, seconds: Option<&str>) {
        self.redact(&mut value, seconds, &mut Vec::new());
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(self.dialect);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_json_snapshot!(name, value));
    }

    /// `others` numbers the UUIDs without a name in order of appearance, so a snapshot
    /// still shows which of them are the same.
    fn redact(&self, value: &mut Value, seconds: Option<&str>, others: &mut Vec<String>) {
        match value {
            Value::String(text) => *text = self.redact_text(text, seconds, others),
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact(v, seconds, others)),
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    match (key.as_str(), &*v) {
                        ("next_cursor" | "cursor", Value::String(_)) => *v = "[cursor]".into(),
                        ("retry-after", Value::String(_)) if seconds.is_some() => *v = "[seconds]".into(),
                        _ => self.redact(v, seconds, others),
                    }
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    fn redact_text(&self, text: &str, seconds: Option<&str>, others: &mut Vec<String>) -> String {
        if chrono::DateTime::parse_from_rfc3339(text).is_ok() {
            let millis = text.len() == 24 && text.as_bytes()[19] == b'.';
            return if text.ends_with('Z') && (millis || !self.millis) {
                "[timestamp]".into()
            } else {
                format!("[timestamp of another shape: {text}]")
            };
        }
        let mut text = text.to_owned();
        for (id, name) in &self.names {
            text = text.replace(id.as_str(), name);
        }
        text = replace_uuids(&text, others);
        if let Some(seconds) = seconds {
            text = text.replace(&format!(" {seconds} "), " [seconds] ");
        }
        text
    }
}

/// Replaces every UUID-shaped run (8-4-4-4-12 hex digits) by `[uuid N]`, N its place
/// in `seen`.
fn replace_uuids(text: &str, seen: &mut Vec<String>) -> String {
    let bytes = text.as_bytes();
    let (mut out, mut i) = (String::with_capacity(text.len()), 0);
    while i < bytes.len() {
        if let Some(candidate) = text.get(i..i + 36)
            && uuid::Uuid::try_parse(candidate).is_ok()
            && candidate.as_bytes()[8] == b'-'
        {
            let n = match seen.iter().position(|s| s == candidate) {
                Some(at) => at + 1,
                None => {
                    seen.push(candidate.to_owned());
                    seen.len()
                }
            };
            out.push_str(&format!("[uuid {n}]"));
            i += 36;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Runs `cases` with the database refusing connections, so each answers 503 (the
/// seeds' "try again" answer). PostgreSQL only: elsewhere it fails rather than pass
/// unseen.
pub async fn run_without_database(table: &Table<'_>, cases: Vec<Case>) {
    assert_eq!(backend(), TestBackend::Postgres, "needs PostgreSQL: make test-postgres");
    allow_connections(&table.app.database_url, false);
    terminate_backends(&table.app.database_url);
    table.run(cases).await;
    allow_connections(&table.app.database_url, true);
}

/// A JSON body over the 64 KiB limit: one long string `field`.
pub fn oversized(field: &str) -> String {
    format!("{{\"{field}\": \"{}\"}}", "x".repeat(70 * 1024))
}
