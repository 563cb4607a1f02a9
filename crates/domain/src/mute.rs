//! Mutes: one account hiding another from itself, privately, for a while or until
//! lifted. The rules of a mute live here, once: when it is in force, and what it
//! silences. Nothing needs a job to end a mute: every read compares `expires_at`
//! with now.

use crate::error::GraphError;
use crate::ids::AccountId;
use crate::time::Timestamp;

/// A mute as stored: `muter` hides `muted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mute {
    /// Who mutes.
    pub muter: AccountId,
    /// Who is muted.
    pub muted: AccountId,
    /// Whether the mute also silences notifications from the muted account.
    pub notifications: bool,
    /// When it ends by itself; `None` lasts until unmuted.
    pub expires_at: Option<Timestamp>,
    /// When it was made (or last changed).
    pub created_at: Timestamp,
}

impl Mute {
    /// The muter's side of it, as relations show it.
    #[must_use]
    pub const fn state(&self) -> MuteState {
        MuteState { notifications: self.notifications, expires_at: self.expires_at }
    }
}

/// How a mute stands, without the pair it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MuteState {
    /// Whether notifications from the muted account are silenced.
    pub notifications: bool,
    /// When it ends by itself; `None` lasts until unmuted.
    pub expires_at: Option<Timestamp>,
}

impl MuteState {
    /// The one rule of expiry: a mute is in force until its `expires_at` (exclusive).
    /// Stores filter with the same comparison (`expires_at IS NULL OR expires_at > now`).
    #[must_use]
    pub fn in_force(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|end| end > now)
    }

    /// Whether, at `at`, nothing from the muted account may become a notification
    /// for the muter (stored, streamed or pushed).
    #[must_use]
    pub fn silences_notifications(&self, at: Timestamp) -> bool {
        self.notifications && self.in_force(at)
    }
}

/// What `POST /mute` asks for, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MuteRequest {
    /// Whom to mute.
    pub muted: AccountId,
    /// How long, in seconds; `None` until unmuted.
    pub duration_secs: Option<i64>,
    /// Whether to silence notifications too (default true).
    pub notifications: bool,
}

impl MuteRequest {
    /// Longest mute with an end: one year.
    pub const MAX_DURATION_SECS: i64 = 365 * 24 * 60 * 60;

    /// Checks the duration (1 s to one year).
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] for a duration out of range.
    pub fn new(muted: AccountId, duration_secs: Option<i64>, notifications: Option<bool>) -> Result<Self, GraphError> {
        if duration_secs.is_some_and(|d| !(1..=Self::MAX_DURATION_SECS).contains(&d)) {
            return Err(GraphError::InvalidInput(format!(
                "duration_secs must be between 1 and {}",
                Self::MAX_DURATION_SECS
            )));
        }
        Ok(Self { muted, duration_secs, notifications: notifications.unwrap_or(true) })
    }

    /// The mute this request makes at `now`.
    #[must_use]
    pub fn at(&self, muter: AccountId, now: Timestamp) -> Mute {
        Mute {
            muter,
            muted: self.muted,
            notifications: self.notifications,
            expires_at: self.duration_secs.map(|secs| now + chrono::Duration::seconds(secs)),
            created_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::*;

    #[test]
    fn a_mute_ends_at_its_expiry_without_anything_running() {
        let now = Utc::now();
        let lasting = MuteState { notifications: true, expires_at: None };
        assert!(lasting.in_force(now + Duration::days(10_000)));
        let brief = MuteState { notifications: true, expires_at: Some(now + Duration::seconds(1)) };
        assert!(brief.in_force(now) && brief.silences_notifications(now));
        assert!(!brief.in_force(now + Duration::seconds(1)));
        let quiet_only = MuteState { notifications: false, expires_at: None };
        assert!(!quiet_only.silences_notifications(now));
    }

    #[test]
    fn durations_are_one_second_to_a_year() {
        let id = AccountId::from_uuid(uuid::Uuid::now_v7());
        assert!(MuteRequest::new(id, Some(0), None).is_err());
        assert!(MuteRequest::new(id, Some(MuteRequest::MAX_DURATION_SECS + 1), None).is_err());
        let request = MuteRequest::new(id, Some(1), None).unwrap();
        assert!(request.notifications);
        let now = Utc::now();
        assert_eq!(request.at(id, now).expires_at, Some(now + Duration::seconds(1)));
        assert_eq!(MuteRequest::new(id, None, Some(false)).unwrap().at(id, now).expires_at, None);
    }
}
