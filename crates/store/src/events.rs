//! Events other instances must hear about, and the listener that hears them.
//!
//! On PostgreSQL every transaction that stores a notification or marks some read also
//! issues `NOTIFY rookery_events` (see `BackendSql::announce`), and each instance runs
//! one listener connection that turns those into [`StoreEvent`]s for its own streams.

use std::thread;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use rookery_domain::{AccountId, NotificationId};

/// The `LISTEN`/`NOTIFY` channel.
pub const CHANNEL: &str = "rookery_events";

/// How often the listener looks for notifications that arrived; bounds the extra
/// delivery latency across instances.
const POLL: Duration = Duration::from_millis(20);

/// Something committed that open streams may need to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreEvent {
    /// A notification was stored.
    Notification {
        /// Whom it is for.
        recipient: AccountId,
        /// Which.
        id: NotificationId,
    },
    /// Some of the recipient's notifications were marked read.
    Unread {
        /// Whose.
        recipient: AccountId,
        /// How many stay unread.
        count: i64,
    },
}

impl StoreEvent {
    /// The compact text sent as a `NOTIFY` payload.
    #[must_use]
    pub fn encode(&self) -> String {
        match self {
            Self::Notification { recipient, id } => format!("n:{recipient}:{id}"),
            Self::Unread { recipient, count } => format!("u:{recipient}:{count}"),
        }
    }

    /// Reads [`StoreEvent::encode`]'s output.
    #[must_use]
    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, ':');
        let (kind, recipient, rest) = (parts.next()?, parts.next()?, parts.next()?);
        let recipient: AccountId = recipient.parse().ok()?;
        match kind {
            "n" => Some(Self::Notification { recipient, id: rest.parse().ok()? }),
            "u" => Some(Self::Unread { recipient, count: rest.parse().ok()? }),
            _ => None,
        }
    }
}

/// What the listener reports to its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// An event committed by some instance.
    Event(StoreEvent),
    /// The `LISTEN` connection is established (again): from now on every committed
    /// event is heard. Events committed before, while it was down, were not.
    Listening,
    /// The `LISTEN` connection was lost: events committed from now until the next
    /// [`Heard::Listening`] are not heard.
    Lost,
}

/// Listens on a PostgreSQL database for [`StoreEvent`]s from every instance (this one
/// included) and hands each to `on`, on a thread of its own, with
/// [`Heard::Listening`] whenever the connection is (re)established and
/// [`Heard::Lost`] whenever it fails; it reconnects until the process ends. Returns
/// at once.
///
/// # Errors
/// The thread could not be started.
pub fn spawn_listener(url: String, on: impl Fn(Heard) + Send + 'static) -> std::io::Result<thread::JoinHandle<()>> {
    thread::Builder::new().name("rookery-listener".into()).spawn(move || {
        let mut listening = false;
        loop {
            if let Err(error) = listen(&url, &on, &mut listening) {
                if listening {
                    tracing::warn!(%error, "event listener lost its connection; reconnecting");
                    on(Heard::Lost);
                    listening = false;
                } else {
                    tracing::debug!(%error, "event listener cannot connect yet");
                }
            }
            thread::sleep(RECONNECT);
        }
    })
}

/// How long the listener waits before connecting again. Streams are ended when it
/// loses its connection, so this delays live events, never loses them; and a thread
/// inside libpq's connect when the process exits can crash it (a test process that
/// dropped its database meanwhile did), so it does not try more often than this.
const RECONNECT: Duration = Duration::from_secs(1);

/// How often an idle listener checks that its connection still answers: a server that
/// vanished without closing the socket (a network partition) is noticed within this.
const PROBE: Duration = Duration::from_secs(5);

fn listen(url: &str, on: &impl Fn(Heard), listening: &mut bool) -> Result<(), diesel::result::Error> {
    let mut conn = PgConnection::establish(url).map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
    conn.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    tracing::info!("listening for events from other instances");
    *listening = true;
    on(Heard::Listening);
    let mut probed = Instant::now();
    loop {
        for notification in conn.notifications_iter() {
            let notification = notification?;
            match StoreEvent::decode(&notification.payload) {
                Some(event) => on(Heard::Event(event)),
                None => tracing::warn!(payload = %notification.payload, "unreadable event"),
            }
        }
        if probed.elapsed() >= PROBE {
            conn.batch_execute("SELECT 1")?;
            probed = Instant::now();
        }
        thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip() {
        let recipient = AccountId::from_uuid(uuid::Uuid::now_v7());
        for event in [
            StoreEvent::Notification { recipient, id: NotificationId::from_uuid(uuid::Uuid::now_v7()) },
            StoreEvent::Unread { recipient, count: 7 },
        ] {
            assert_eq!(StoreEvent::decode(&event.encode()), Some(event));
        }
        assert_eq!(StoreEvent::decode("x:y:z"), None);
    }
}
