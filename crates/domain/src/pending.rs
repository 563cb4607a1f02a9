//! A store's answer that arrives later, awaited without holding a thread.
//!
//! The store's writes and the reads of the follow path are asynchronous at the port
//! ([`crate::ports`]): a store that group-commits (SPEC section 3, "write path")
//! answers each caller once its batch committed, and one that must block (Diesel is
//! synchronous) does so on threads of its own, behind the port. A caller on an async
//! executor awaits a [`Pending`]; the store keeps the matching [`Reply`] and sends
//! through it when done. A caller that is a blocking thread already (the synchronous
//! use cases, run on an adapter's blocking pool) calls [`Pending::wait`].
//! Runtime-agnostic: the domain knows no executor.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_channel::oneshot;

use crate::error::StoreError;
use crate::relationship::Applied;

/// What a store call answers.
pub type StoreResult<T> = Result<T, StoreError>;

/// What [`GraphStore::apply`](crate::ports::GraphStore::apply) answers.
pub type ApplyOutcome = StoreResult<Vec<Applied>>;

/// The store's side of an apply.
pub type ApplyReply = Reply<Vec<Applied>>;

/// The caller's side of an apply.
pub type PendingApply = Pending<Vec<Applied>>;

/// The store's side: answers one call, once.
#[derive(Debug)]
pub struct Reply<T>(oneshot::Sender<StoreResult<T>>);

/// The caller's side: resolves to the store's answer.
#[derive(Debug)]
#[must_use = "the store's answer arrives only by awaiting it"]
pub struct Pending<T>(oneshot::Receiver<StoreResult<T>>);

/// A connected pair: the store keeps the [`Reply`], the caller awaits the [`Pending`].
pub fn pending<T>() -> (Reply<T>, Pending<T>) {
    let (reply, answer) = oneshot::channel();
    (Reply(reply), Pending(answer))
}

/// A connected pair for an apply.
pub fn pending_apply() -> (ApplyReply, PendingApply) {
    pending()
}

impl<T> Reply<T> {
    /// Answers the call. A caller that stopped waiting needs no answer.
    pub fn send(self, outcome: StoreResult<T>) {
        let _ = self.0.send(outcome);
    }
}

impl<T> Pending<T> {
    /// An answer known at once.
    pub fn ready(outcome: StoreResult<T>) -> Self {
        let (reply, pending) = pending();
        reply.send(outcome);
        pending
    }

    /// Blocks the current thread until the answer arrives: for synchronous callers,
    /// which run on a blocking pool. Never call it on an async executor's thread.
    ///
    /// # Errors
    /// The store's error.
    pub fn wait(mut self) -> StoreResult<T> {
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(answer) = Pin::new(&mut self).poll(&mut cx) {
                return answer;
            }
            std::thread::park();
        }
    }
}

/// Wakes a thread parked in [`Pending::wait`].
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

impl<T> Future for Pending<T> {
    type Output = StoreResult<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<StoreResult<T>> {
        // A dropped reply means the store's thread is gone (shutdown) before answering:
        // nothing was committed for this caller.
        Pin::new(&mut self.0).poll(cx).map(|answer| {
            answer.unwrap_or_else(|_| Err(StoreError::Unavailable("the database writer has stopped".into())))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::ready as now;

    #[test]
    fn the_reply_resolves_the_pending_answer() {
        let (reply, pending) = pending_apply();
        reply.send(Ok(vec![Applied::Changed]));
        assert_eq!(now(pending), Ok(vec![Applied::Changed]));
    }

    #[test]
    fn a_dropped_reply_is_an_unavailable_store() {
        let (reply, pending) = pending_apply();
        drop(reply);
        assert!(matches!(now(pending), Err(StoreError::Unavailable(_))));
    }

    #[test]
    fn a_blocking_caller_waits_for_an_answer_sent_from_another_thread() {
        let (reply, pending) = pending::<u32>();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            reply.send(Ok(7));
        });
        assert_eq!(pending.wait(), Ok(7));
        sender.join().unwrap();
    }
}
