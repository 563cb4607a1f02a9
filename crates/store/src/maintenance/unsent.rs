//! Events an endpoint has not been given yet, exported as the deliveries the fan-out
//! would have queued for them.
//!
//! The fan-out queues an endpoint's deliveries a few milliseconds after their events
//! commit (the last ones before a shutdown wait for the next process), and a disabled
//! endpoint's events wait unqueued until it is enabled again. A move starts a new feed
//! and each imported endpoint starts at its head, so without these lines those events
//! would never reach their receivers. They are written as pending deliveries, due at
//! once, carrying the event's envelope.
//!
//! Their ids come from the database's content alone, so two exports of one database
//! are the same file and an imported copy exports the same lines: each sorts after
//! every delivery id the database holds (the export writes them after those, in id
//! order), numbered in the order written, the rest of its bits hashed from the
//! endpoint's and the event's ids.

use rookery_domain::event::StoredEvent;
use rookery_domain::{Delivery, DeliveryStatus};
use uuid::Uuid;

use crate::maintenance::records::DeliveryRecord;

/// The `index`-th unsent delivery of an export (0-based, in the order written), of
/// `event` to `webhook`, in a database whose greatest delivery id is `newest` (nil if
/// it holds none).
pub(crate) fn unsent_delivery(index: u64, newest: Uuid, webhook: Uuid, event: &StoredEvent) -> DeliveryRecord {
    DeliveryRecord {
        delivery: Delivery {
            id: unsent_id(index, newest, webhook, event.id),
            webhook_id: webhook,
            event_id: event.id,
            event_type: event.kind.clone(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            last_status_code: None,
            last_error: None,
            next_attempt_at: Some(event.created_at),
            delivered_at: None,
            created_at: event.created_at,
        },
        payload: event.envelope(),
    }
}

/// A UUIDv7 after `newest` whose order is `index`'s: the millisecond is one past
/// `newest`'s (its first 48 bits, whatever its version) plus `index / 4096`, and the
/// 12-bit counter field holds `index % 4096`; the last 62 bits come from a name-based
/// hash of the pair.
fn unsent_id(index: u64, newest: Uuid, webhook: Uuid, event: Uuid) -> Uuid {
    let bytes = newest.as_bytes();
    let newest_ms = bytes[..6].iter().fold(0_u64, |ms, b| (ms << 8) | u64::from(*b));
    let millis = newest_ms.saturating_add(1).saturating_add(index >> 12);
    let hashed = Uuid::new_v5(&webhook, event.as_bytes());
    let mut tail = [0_u8; 10];
    // The builder keeps the low nibble of the first byte and all of the second as the
    // counter field, and overwrites the version and variant bits.
    tail[0] = u8::try_from((index >> 8) & 0x0F).unwrap_or(0);
    tail[1] = u8::try_from(index & 0xFF).unwrap_or(0);
    tail[2..].copy_from_slice(&hashed.as_bytes()[8..]);
    uuid::Builder::from_unix_timestamp_millis(millis, &tail).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_newest_and_each_other() {
        let newest = Uuid::now_v7();
        let (webhook, event) = (Uuid::now_v7(), Uuid::now_v7());
        let ids: Vec<Uuid> = (0..10_000).map(|i| unsent_id(i, newest, webhook, event)).collect();
        assert!(ids[0] > newest);
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "ids rise with the index");
        assert!(ids.iter().all(|id| id.get_version_num() == 7));
        assert_eq!(unsent_id(5, newest, webhook, event), ids[5], "the same database gives the same id");
        assert_ne!(unsent_id(5, newest, Uuid::now_v7(), event), ids[5]);
        assert!(unsent_id(0, Uuid::nil(), webhook, event) > Uuid::nil());
    }
}
