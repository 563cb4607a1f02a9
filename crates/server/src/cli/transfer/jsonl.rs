//! The JSON Lines format of `rookery export` and `rookery import`: one object per
//! line, `"type": "account"` or `"type": "follow"`, ids as hyphenated UUIDs and
//! instants as RFC 3339 UTC. docs/operations.md describes it for users.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use rookery_domain::{AccountId, Timestamp, Username};
use rookery_store::maintenance::{AccountRecord, FollowRecord};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Serialize)]
struct AccountOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: Uuid,
    username: &'a str,
    full_name: Option<&'a str>,
    bio: Option<&'a str>,
    profile_image_url: Option<&'a str>,
    banner_image_url: Option<&'a str>,
    is_private: bool,
    is_verified: bool,
    posts_count: i64,
    created_at: String,
}

#[derive(Serialize)]
struct FollowOut {
    #[serde(rename = "type")]
    kind: &'static str,
    follower_id: Uuid,
    followee_id: Uuid,
    created_at: String,
}

fn rfc3339(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Writes one account line.
///
/// # Errors
/// The writer failed.
pub fn write_account(out: &mut impl Write, record: &AccountRecord) -> std::io::Result<()> {
    let line = AccountOut {
        kind: "account",
        id: record.id.as_uuid(),
        username: record.username.as_str(),
        full_name: record.full_name.as_deref(),
        bio: record.bio.as_deref(),
        profile_image_url: record.profile_image_url.as_deref(),
        banner_image_url: record.banner_image_url.as_deref(),
        is_private: record.is_private,
        is_verified: record.is_verified,
        posts_count: record.posts_count,
        created_at: rfc3339(record.created_at),
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

/// Writes one follow line.
///
/// # Errors
/// The writer failed.
pub fn write_follow(out: &mut impl Write, record: &FollowRecord) -> std::io::Result<()> {
    let line = FollowOut {
        kind: "follow",
        follower_id: record.follower_id.as_uuid(),
        followee_id: record.followee_id.as_uuid(),
        created_at: rfc3339(record.created_at),
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

/// One line as read: every field optional, so that a missing one is reported by
/// name instead of as a JSON error. Borrowed where the text has no escapes.
#[derive(Deserialize)]
struct RawLine<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    username: Option<String>,
    full_name: Option<String>,
    bio: Option<String>,
    profile_image_url: Option<String>,
    banner_image_url: Option<String>,
    is_private: Option<bool>,
    is_verified: Option<bool>,
    posts_count: Option<i64>,
    #[serde(borrow)]
    follower_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    followee_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    created_at: Option<Cow<'a, str>>,
}

/// A line that could be read.
#[derive(Debug)]
pub enum Line {
    /// An account.
    Account(AccountRecord),
    /// A follow edge.
    Follow(FollowRecord),
}

/// Why a line was skipped before reaching the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// Not a JSON object of the expected shape.
    Json(String),
    /// `type` missing or neither `account` nor `follow`.
    Type(Option<String>),
    /// A required field is absent.
    Missing(&'static str),
    /// A field that must be a UUID is not.
    Uuid(&'static str, String),
    /// The username fails the domain's rules.
    Username(String),
    /// `created_at` is not RFC 3339.
    Instant(String),
    /// Follower and followee are the same account.
    SelfFollow,
}

impl LineError {
    /// A short name for the tally of skipped lines.
    pub const fn category(&self) -> &'static str {
        match self {
            Self::Json(_) => "bad JSON",
            Self::Type(_) => "unknown type",
            Self::Missing(_) => "missing field",
            Self::Uuid(..) => "bad UUID",
            Self::Username(_) => "invalid username",
            Self::Instant(_) => "bad created_at",
            Self::SelfFollow => "self-follow",
        }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(e) => write!(f, "bad JSON: {e}"),
            Self::Type(Some(t)) => write!(f, "unknown type {t:?} (expected \"account\" or \"follow\")"),
            Self::Type(None) => f.write_str("missing \"type\""),
            Self::Missing(field) => write!(f, "missing {field:?}"),
            Self::Uuid(field, value) => write!(f, "{field} {value:?} is not a UUID"),
            Self::Username(e) => write!(f, "invalid username: {e}"),
            Self::Instant(value) => write!(f, "created_at {value:?} is not an RFC 3339 timestamp"),
            Self::SelfFollow => f.write_str("self-follow"),
        }
    }
}

/// Reads one line (without its line break). `now` stands in for a missing
/// `created_at`.
///
/// # Errors
/// Why the line cannot be imported.
pub fn parse(line: &[u8], now: Timestamp) -> Result<Line, LineError> {
    let raw: RawLine<'_> = serde_json::from_slice(line).map_err(|e| LineError::Json(e.to_string()))?;
    let created_at = match raw.created_at.as_deref() {
        None => now,
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|_| LineError::Instant(text.to_owned()))?,
    };
    match raw.kind.as_deref() {
        Some("account") => {
            let id = account_id("id", raw.id.as_deref())?;
            let name = raw.username.ok_or(LineError::Missing("username"))?;
            let username = Username::parse(&name).map_err(|e| LineError::Username(format!("{name:?}: {e}")))?;
            Ok(Line::Account(AccountRecord {
                id,
                username,
                full_name: raw.full_name,
                bio: raw.bio,
                profile_image_url: raw.profile_image_url,
                banner_image_url: raw.banner_image_url,
                is_private: raw.is_private.unwrap_or(false),
                is_verified: raw.is_verified.unwrap_or(false),
                posts_count: raw.posts_count.unwrap_or(0),
                created_at,
            }))
        }
        Some("follow") => {
            let follower_id = account_id("follower_id", raw.follower_id.as_deref())?;
            let followee_id = account_id("followee_id", raw.followee_id.as_deref())?;
            if follower_id == followee_id {
                return Err(LineError::SelfFollow);
            }
            Ok(Line::Follow(FollowRecord { follower_id, followee_id, created_at }))
        }
        other => Err(LineError::Type(other.map(str::to_owned))),
    }
}

fn account_id(field: &'static str, value: Option<&str>) -> Result<AccountId, LineError> {
    let text = value.ok_or(LineError::Missing(field))?;
    Uuid::try_parse(text).map(AccountId::from_uuid).map_err(|_| LineError::Uuid(field, text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    #[test]
    fn an_exported_account_reads_back_the_same() {
        let record = AccountRecord {
            id: AccountId::from_uuid(Uuid::now_v7()),
            username: Username::parse("Ada.L").unwrap(),
            full_name: Some("Ada \"L\" Lovelace".into()),
            bio: None,
            profile_image_url: Some("https://example.com/a.png".into()),
            banner_image_url: None,
            is_private: true,
            is_verified: false,
            posts_count: 7,
            created_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
        };
        let mut out = Vec::new();
        write_account(&mut out, &record).unwrap();
        assert_eq!(out.last(), Some(&b'\n'));
        let Line::Account(back) = parse(&out[..out.len() - 1], now()).unwrap() else { panic!("not an account") };
        assert_eq!(back, record);
    }

    #[test]
    fn an_exported_follow_reads_back_the_same() {
        let record = FollowRecord {
            follower_id: AccountId::from_uuid(Uuid::now_v7()),
            followee_id: AccountId::from_uuid(Uuid::now_v7()),
            created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        };
        let mut out = Vec::new();
        write_follow(&mut out, &record).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(r#"{"type":"follow","follower_id":""#), "{text}");
        assert!(text.ends_with("\"created_at\":\"2023-11-14T22:13:20Z\"}\n"), "{text}");
        let Line::Follow(back) = parse(text.trim_end().as_bytes(), now()).unwrap() else { panic!("not a follow") };
        assert_eq!(back, record);
    }

    #[test]
    fn bad_lines_say_why() {
        let id = Uuid::now_v7();
        let cases: [(&str, &str); 8] = [
            ("{not json", "bad JSON"),
            (r#"{"type":"post"}"#, "unknown type"),
            (r#"{"type":"account","username":"x"}"#, "missing field"),
            (r#"{"type":"account","id":"nope","username":"x"}"#, "bad UUID"),
            (&format!(r#"{{"type":"account","id":"{id}","username":"no spaces"}}"#), "invalid username"),
            (&format!(r#"{{"type":"account","id":"{id}","username":"x","created_at":"yesterday"}}"#), "bad created_at"),
            (&format!(r#"{{"type":"follow","follower_id":"{id}","followee_id":"{id}"}}"#), "self-follow"),
            (r#"{"type":"follow","follower_id":"x"}"#, "bad UUID"),
        ];
        for (line, category) in cases {
            let error = parse(line.as_bytes(), now()).unwrap_err();
            assert_eq!(error.category(), category, "{line}: {error}");
        }
    }

    #[test]
    fn defaults_fill_optional_fields() {
        let id = Uuid::now_v7();
        let line = format!(r#"{{"type":"account","id":"{id}","username":"@bob","extra":1}}"#);
        let Line::Account(record) = parse(line.as_bytes(), now()).unwrap() else { panic!("not an account") };
        assert_eq!(record.username.as_str(), "bob");
        assert_eq!(record.created_at, now());
        assert!(!record.is_private && record.posts_count == 0 && record.full_name.is_none());
    }
}
