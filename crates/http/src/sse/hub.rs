//! The registry of open streams, and the task that feeds them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::web;
use rookery_domain::ports::Notifier;
use rookery_domain::{AccountId, Notification, NotificationId, SocialGraph};
use tokio::sync::mpsc;

use super::frames::{self, Frame};

/// Frames buffered per stream before the stream is judged too slow and dropped.
const STREAM_BUFFER: usize = 64;
/// Events buffered between committing requests and the delivery task. When full,
/// events are dropped with a warning: they are stored, and clients catch up by
/// `Last-Event-ID` or the list.
const EVENT_BUFFER: usize = 16_384;
/// Events the delivery task takes at once, so a burst costs one store round-trip.
const EVENT_BATCH: usize = 256;

/// Stream settings (`ROOKERY_SSE_*`).
#[derive(Debug, Clone, Copy)]
pub struct HubConfig {
    /// Time between heartbeat comments.
    pub heartbeat: Duration,
    /// Most streams one account may hold open at once.
    pub max_streams_per_account: usize,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self { heartbeat: Duration::from_secs(15), max_streams_per_account: 8 }
    }
}

/// Something committed that streams may need to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubEvent {
    /// A notification was stored for `recipient`.
    Notification {
        /// For whom.
        recipient: AccountId,
        /// Which.
        id: NotificationId,
    },
    /// `recipient`'s unread count dropped to `count`.
    Unread {
        /// Whose.
        recipient: AccountId,
        /// The new count.
        count: i64,
    },
}

struct Slot {
    id: u64,
    frames: mpsc::Sender<Frame>,
}

/// Why a stream could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// The account has its maximum of streams open.
    TooMany,
    /// The server is shutting down.
    Closing,
}

/// The open streams of this process.
pub struct Hub {
    config: HubConfig,
    slots: Mutex<HashMap<AccountId, Vec<Slot>>>,
    next_id: AtomicU64,
    closing: AtomicBool,
    events: mpsc::Sender<HubEvent>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("open_streams", &self.open_streams()).finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub and the receiving end of its event queue, for [`deliver`].
    #[must_use]
    pub fn new(config: HubConfig) -> (Arc<Self>, mpsc::Receiver<HubEvent>) {
        let (events, receiver) = mpsc::channel(EVENT_BUFFER);
        let hub = Self {
            config,
            slots: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            closing: AtomicBool::new(false),
            events,
        };
        (Arc::new(hub), receiver)
    }

    /// The settings.
    #[must_use]
    pub const fn config(&self) -> HubConfig {
        self.config
    }

    /// Queues an event for delivery without waiting; callable from any thread. When
    /// the queue is full the event is lost to the live streams, so they are all ended
    /// rather than left open short of it: their clients reconnect with
    /// `Last-Event-ID` and replay it from the store.
    pub fn push(&self, event: HubEvent) {
        if let Err(error) = self.events.try_send(event) {
            let ended = self.end_streams();
            tracing::warn!(%error, ended, "live event dropped; streams ended so clients replay on reconnect");
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<AccountId, Vec<Slot>>> {
        // A panic while holding the lock leaves the map consistent (each operation is
        // a single insert or retain), so a poisoned lock is still usable.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a stream for `account`: its id and the receiving end of its frames.
    pub(super) fn open(&self, account: AccountId) -> Result<(u64, mpsc::Receiver<Frame>), OpenError> {
        if self.closing.load(Ordering::Acquire) {
            return Err(OpenError::Closing);
        }
        let mut slots = self.slots();
        let mine = slots.entry(account).or_default();
        mine.retain(|slot| !slot.frames.is_closed());
        if mine.len() >= self.config.max_streams_per_account {
            return Err(OpenError::TooMany);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (frames, receiver) = mpsc::channel(STREAM_BUFFER);
        mine.push(Slot { id, frames });
        Ok((id, receiver))
    }

    /// Forgets a stream (its client went away).
    pub(super) fn close(&self, account: AccountId, id: u64) {
        let mut slots = self.slots();
        if let Some(mine) = slots.get_mut(&account) {
            mine.retain(|slot| slot.id != id);
            if mine.is_empty() {
                slots.remove(&account);
            }
        }
    }

    /// Ends the streams of `accounts` (they could not be given an event).
    fn end_streams_of(&self, accounts: &[AccountId]) {
        let mut slots = self.slots();
        for account in accounts {
            slots.remove(account);
        }
    }

    fn has_streams(&self, account: AccountId) -> bool {
        self.slots().get(&account).is_some_and(|mine| !mine.is_empty())
    }

    /// Hands a frame to every stream of `account`, dropping those that cannot take it.
    fn send(&self, account: AccountId, frame: &Frame) {
        let mut slots = self.slots();
        if let Some(mine) = slots.get_mut(&account) {
            mine.retain(|slot| match slot.frames.try_send(frame.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::info!(%account, "dropping a stream that is not keeping up");
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
            if mine.is_empty() {
                slots.remove(&account);
            }
        }
    }

    /// Streams open now.
    #[must_use]
    pub fn open_streams(&self) -> usize {
        self.slots().values().map(Vec::len).sum()
    }

    /// Ends every stream and refuses new ones: for shutdown, so that in-flight
    /// requests can finish while streams do not hold the server open.
    pub fn close_all(&self) {
        self.closing.store(true, Ordering::Release);
        self.slots().clear();
    }

    /// Ends every open stream but keeps accepting new ones, and returns how many were
    /// ended: for when live events may have been missed (the store's listener lost its
    /// connection), so that no stream stays open silently short of an event. Clients
    /// reconnect with `Last-Event-ID` and replay what they missed from the store.
    pub fn end_streams(&self) -> usize {
        let mut slots = self.slots();
        let ended = slots.values().map(Vec::len).sum();
        slots.clear();
        ended
    }
}

/// The domain's notifier, feeding the hub in-process. On PostgreSQL it stays silent
/// (`local: false`): the store's `NOTIFY`, heard by every instance's listener, is the
/// one path there, so each event arrives exactly once per instance.
#[derive(Debug, Clone)]
pub struct HubNotifier {
    hub: Arc<Hub>,
    local: bool,
}

impl HubNotifier {
    /// A notifier that publishes into `hub` when `local`.
    #[must_use]
    pub const fn new(hub: Arc<Hub>, local: bool) -> Self {
        Self { hub, local }
    }
}

impl Notifier for HubNotifier {
    fn publish(&self, notifications: &[Notification]) {
        if self.local {
            for n in notifications {
                self.hub.push(HubEvent::Notification { recipient: n.recipient, id: n.id });
            }
        }
    }

    fn unread_changed(&self, recipient: AccountId, unread: i64) {
        if self.local {
            self.hub.push(HubEvent::Unread { recipient, count: unread });
        }
    }
}

/// Delivers queued events to the open streams until the queue closes. Notifications
/// nobody is listening for cost nothing: they are skipped before any store access.
pub async fn deliver<G: SocialGraph>(hub: Arc<Hub>, graph: web::Data<G>, mut events: mpsc::Receiver<HubEvent>) {
    let mut batch = Vec::with_capacity(EVENT_BATCH);
    while events.recv_many(&mut batch, EVENT_BATCH).await > 0 {
        let mut wanted = Vec::new();
        let mut recipients = Vec::new();
        for event in batch.drain(..) {
            match event {
                HubEvent::Unread { recipient, count } => hub.send(recipient, &frames::unread(count)),
                HubEvent::Notification { recipient, id } if hub.has_streams(recipient) => {
                    wanted.push(id);
                    recipients.push(recipient);
                }
                HubEvent::Notification { .. } => {}
            }
        }
        if wanted.is_empty() {
            continue;
        }
        let graph = graph.clone();
        let loaded = web::block(move || -> Result<_, rookery_domain::GraphError> {
            let views = graph.notification_views(&wanted)?;
            let mut unread: HashMap<AccountId, i64> = HashMap::new();
            let mut frames = Vec::with_capacity(views.len());
            for view in views {
                let recipient = view.notification.recipient;
                let count = match unread.get(&recipient) {
                    Some(count) => *count,
                    None => *unread.entry(recipient).or_insert(graph.unread_count(recipient)?),
                };
                frames.push((recipient, frames::notification(&view, count)));
            }
            Ok(frames)
        })
        .await;
        match loaded {
            Ok(Ok(frames)) => {
                for (recipient, frame) in frames {
                    hub.send(recipient, &frame);
                }
            }
            Ok(Err(error)) => {
                // The database is unavailable: these streams would silently miss the
                // events. Ended, their clients replay them with `Last-Event-ID`.
                hub.end_streams_of(&recipients);
                tracing::warn!(%error, "could not load notifications for live delivery; their streams ended");
            }
            Err(_) => return,
        }
    }
}
