//! Everything `rookery serve` can be told, from flags with environment fallbacks.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
pub use rookery_http::auth::{JwksTiming, SubjectMode};

/// Where the database lives; every command reads it.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://rookery.db";

/// Settings of the HTTP service.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ROOKERY_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// HTTP worker threads (0: one per CPU core).
    #[arg(long, env = "ROOKERY_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// Browser origins allowed to call the API: comma-separated, or `*` for any.
    #[arg(long, env = "ROOKERY_CORS_ORIGINS")]
    pub cors_origins: Option<String>,

    /// Follows and follow requests each account may create per hour (0: no limit).
    #[arg(long, env = "ROOKERY_RATE_LIMIT_FOLLOWS_PER_HOUR", default_value_t = 100)]
    pub follows_per_hour: u32,

    /// Dialects to mount, comma-separated: community, drf, rgram, anchor.
    #[arg(long, env = "ROOKERY_DIALECTS", default_value = "community,drf,rgram,anchor")]
    pub dialects: String,

    /// Seconds that requests already received get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "ROOKERY_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    #[command(flatten)]
    pub database: DatabaseSettings,

    #[command(flatten)]
    pub jwt: JwtSettings,

    #[command(flatten)]
    pub streams: StreamSettings,

    #[command(flatten)]
    pub push: PushSettings,

    #[command(flatten)]
    pub webhooks: WebhookSettings,
}

/// The event feed's retention and webhook delivery (issue 24).
#[derive(Debug, Clone, Args)]
pub struct WebhookSettings {
    /// Waits before each retry of a failed delivery, comma-separated (`5s,5m,2h`);
    /// after the last the delivery is `failed`. Each wait is jittered by ±20%.
    #[arg(long = "webhook-retry-schedule", env = "ROOKERY_WEBHOOK_RETRY_SCHEDULE", default_value = crate::webhooks::config::DEFAULT_SCHEDULE)]
    pub retry_schedule: String,

    /// Deliveries failed in a row that disable an endpoint.
    #[arg(long = "webhook-disable-after-failures", env = "ROOKERY_WEBHOOK_DISABLE_AFTER_FAILURES", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub disable_after_failures: u32,

    /// Deliver to loopback, private and link-local addresses too (tests, private networks).
    #[arg(long = "webhook-allow-private", env = "ROOKERY_WEBHOOK_ALLOW_PRIVATE", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub allow_private: bool,

    /// How long events are kept (`7d`, `12h`, `90m`); an older cursor is answered 410.
    #[arg(long = "events-retention", env = "ROOKERY_EVENTS_RETENTION", default_value = "7d")]
    pub events_retention: String,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            retry_schedule: crate::webhooks::config::DEFAULT_SCHEDULE.to_owned(),
            disable_after_failures: 50,
            allow_private: false,
            events_retention: "7d".to_owned(),
        }
    }
}

impl WebhookSettings {
    /// The worker's configuration.
    ///
    /// # Errors
    /// A schedule or retention that does not parse.
    pub fn config(&self) -> anyhow::Result<crate::webhooks::config::WebhookConfig> {
        use crate::webhooks::config::{parse_retention, parse_schedule};
        Ok(crate::webhooks::config::WebhookConfig {
            schedule: parse_schedule(&self.retry_schedule)
                .map_err(|e| anyhow::anyhow!("ROOKERY_WEBHOOK_RETRY_SCHEDULE: {e}"))?,
            disable_after: i32::try_from(self.disable_after_failures).unwrap_or(i32::MAX),
            allow_private: self.allow_private,
            retention: parse_retention(&self.events_retention)
                .map_err(|e| anyhow::anyhow!("ROOKERY_EVENTS_RETENTION: {e}"))?,
        })
    }
}

/// Push delivery through FCM; off unless a service account is given.
#[derive(Debug, Clone, Default, Args)]
pub struct PushSettings {
    /// Service-account JSON file of the Firebase project.
    #[arg(long = "fcm-service-account", env = "ROOKERY_FCM_SERVICE_ACCOUNT")]
    pub service_account: Option<PathBuf>,

    /// OAuth2 token endpoint (default: the key file's `token_uri`, else Google's).
    #[arg(long = "fcm-token-url", env = "ROOKERY_FCM_TOKEN_URL")]
    pub token_url: Option<String>,

    /// Send endpoint (default: Google's FCM v1 URL for the project).
    #[arg(long = "fcm-send-url", env = "ROOKERY_FCM_SEND_URL")]
    pub send_url: Option<String>,
}

/// Notification streams.
#[derive(Debug, Clone, Args)]
pub struct StreamSettings {
    /// Seconds between heartbeat comments on idle streams.
    #[arg(long, env = "ROOKERY_SSE_HEARTBEAT_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    pub heartbeat_secs: u64,

    /// Most streams one account may hold open.
    #[arg(long, env = "ROOKERY_SSE_MAX_STREAMS_PER_ACCOUNT", default_value_t = 8, value_parser = at_least_one)]
    pub max_streams_per_account: usize,
}

/// A count that 0 would make meaningless (no streams at all, a pool of no connections).
fn at_least_one(raw: &str) -> Result<usize, String> {
    match raw.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

impl StreamSettings {
    /// As the hub takes them.
    #[must_use]
    pub fn hub_config(&self) -> rookery_http::sse::HubConfig {
        rookery_http::sse::HubConfig {
            heartbeat: std::time::Duration::from_secs(self.heartbeat_secs.max(1)),
            max_streams_per_account: self.max_streams_per_account.max(1),
        }
    }
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self { heartbeat_secs: 15, max_streams_per_account: 8 }
    }
}

/// The database.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// `sqlite://PATH`, `sqlite::memory:` or `postgres://USER@HOST/DB`.
    #[arg(long = "database-url", env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub url: String,

    /// Read replicas for list reads (PostgreSQL streaming replicas, same schema):
    /// one URL, or several separated by commas or spaces (a URL may itself name
    /// several hosts, `postgres://a:5432,b:5432/db`).
    #[arg(long = "read-database-url", env = "ROOKERY_READ_DATABASE_URL", global = true)]
    pub read_url: Option<String>,

    /// How far a read replica may lag behind the primary and still serve reads
    /// (`5s`, `500ms`, or seconds); one that lags more is skipped until it catches up.
    #[arg(long = "replica-max-lag", env = "ROOKERY_REPLICA_MAX_LAG", default_value = "5s", global = true, value_parser = parse_lag)]
    pub replica_max_lag: Duration,

    /// Most database connections open at once.
    #[arg(long, env = "ROOKERY_DB_MAX_CONNECTIONS", default_value_t = 16, global = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Writer threads that commit concurrent graph changes together (group commit);
    /// default 1 on SQLite, 2 on PostgreSQL; 0 commits each change on its own.
    #[arg(long = "db-writers", env = "ROOKERY_DB_WRITERS", global = true)]
    pub writers: Option<usize>,
}

impl DatabaseSettings {
    /// The replicas' URLs, split where the next begins with a scheme.
    #[must_use]
    pub fn read_urls(&self) -> Vec<String> {
        split_urls(self.read_url.as_deref().unwrap_or_default())
    }
}

/// Splits a list of database URLs on commas and whitespace, except the commas of a
/// multi-host URL (the piece after such a comma has no scheme).
fn split_urls(raw: &str) -> Vec<String> {
    let mut urls: Vec<String> = Vec::new();
    for piece in raw.split(|c: char| c == ',' || c.is_whitespace()).filter(|p| !p.is_empty()) {
        match urls.last_mut() {
            Some(url) if !piece.contains(':') || !piece.split(':').next().is_some_and(is_scheme) => {
                url.push(',');
                url.push_str(piece);
            }
            _ => urls.push(piece.to_owned()),
        }
    }
    urls
}

fn is_scheme(word: &str) -> bool {
    matches!(word, "postgres" | "postgresql" | "sqlite")
}

/// `5s`, `500ms`, `1.5s` or a number of seconds.
fn parse_lag(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let (number, unit) = if let Some(ms) = raw.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = raw.strip_suffix('s') {
        (s, 1.0)
    } else {
        (raw, 1.0)
    };
    let value: f64 = number.trim().parse().map_err(|_| format!("{raw:?} is not a duration like 5s or 500ms"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("{raw:?} is not a duration like 5s or 500ms"));
    }
    Ok(Duration::from_secs_f64(value * unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_urls_split_but_multi_host_urls_stay_whole() {
        assert_eq!(
            split_urls("postgres://a/db, postgresql://b:1,c:2/db?target_session_attrs=any postgres://d/db"),
            vec!["postgres://a/db", "postgresql://b:1,c:2/db?target_session_attrs=any", "postgres://d/db"]
        );
        assert!(split_urls("").is_empty());
    }

    #[test]
    fn lags_read_as_durations() {
        assert_eq!(parse_lag("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_lag("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_lag("2"), Ok(Duration::from_secs(2)));
        assert!(parse_lag("soon").is_err());
        assert!(parse_lag("-1s").is_err());
    }
}

/// Token verification: one source of keys, the first set of a JWK Set URL, public
/// key files, a secret, or an issuer (OIDC discovery). Without any, SQLite
/// deployments get a generated secret kept beside the database file.
#[derive(Debug, Clone, Default, Args)]
pub struct JwtSettings {
    /// HS256 shared secret.
    #[arg(long, env = "ROOKERY_JWT_SECRET", hide_env_values = true, global = true)]
    pub secret: Option<String>,

    /// PEM files (or directories of `*.pem` files) with public keys, comma-separated
    /// (RSA: RS256, EC P-256: ES256, Ed25519: EdDSA); a file may bundle several. A
    /// file holding one key is named by its file name without extension, matched
    /// against tokens' `kid`.
    #[arg(long, env = "ROOKERY_JWT_PUBLIC_KEY", value_delimiter = ',', global = true)]
    pub public_key: Vec<PathBuf>,

    /// An identity provider's JWK Set URL: keys picked by `kid`, kept fresh.
    #[arg(long = "jwks-url", env = "ROOKERY_JWT_JWKS_URL", global = true)]
    pub jwks_url: Option<String>,

    /// Required `iss` claim, when set. Alone (no JWKS URL, key or secret), its OIDC
    /// discovery document names the JWK Set.
    #[arg(long, env = "ROOKERY_JWT_ISSUER", global = true)]
    pub issuer: Option<String>,

    /// Required `aud` claim, when set.
    #[arg(long, env = "ROOKERY_JWT_AUDIENCE", global = true)]
    pub audience: Option<String>,

    /// How `sub` names an account: `uuid` (it is the account id) or `map` (any
    /// subject; the account id is uuid5(uuid5(NAMESPACE_URL, iss), sub)).
    #[arg(long = "subject", env = "ROOKERY_JWT_SUBJECT", default_value = "uuid", global = true)]
    pub subject: SubjectMode,

    /// How often a provider's keys are fetched (production values; tests shorten them).
    #[arg(skip)]
    pub jwks_timing: JwksTiming,
}
