//! An answer that arrives after a commit, awaited without holding a thread.
//!
//! A store that group-commits (SPEC section 3, "write path") answers each caller once
//! its batch committed. A caller on a blocking thread waits for that answer with the
//! thread parked: two context switches per request, and on two cores those were a
//! tenth of the server's CPU under a stream of follows. [`PendingApply`] lets a caller
//! on an async executor await the same answer instead; the store keeps the matching
//! [`ApplyReply`] and sends through it after the commit. Runtime-agnostic: the domain
//! knows no executor.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::oneshot;

use crate::ports::StoreError;
use crate::relationship::Applied;

/// What [`GraphStore::apply`](crate::ports::GraphStore::apply) answers.
pub type ApplyOutcome = Result<Vec<Applied>, StoreError>;

/// The store's side: answers one submission, once.
#[derive(Debug)]
pub struct ApplyReply(oneshot::Sender<ApplyOutcome>);

/// The caller's side: resolves to the outcome of its submission.
#[derive(Debug)]
#[must_use = "the outcome of a submission arrives only by awaiting it"]
pub struct PendingApply(oneshot::Receiver<ApplyOutcome>);

/// A connected pair: the store keeps the [`ApplyReply`], the caller awaits the
/// [`PendingApply`].
pub fn pending_apply() -> (ApplyReply, PendingApply) {
    let (reply, answer) = oneshot::channel();
    (ApplyReply(reply), PendingApply(answer))
}

impl ApplyReply {
    /// Answers the submission. A caller that stopped waiting needs no answer.
    pub fn send(self, outcome: ApplyOutcome) {
        let _ = self.0.send(outcome);
    }
}

impl Future for PendingApply {
    type Output = ApplyOutcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ApplyOutcome> {
        // A dropped reply means the store's writer is gone (shutdown) before answering:
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
}
