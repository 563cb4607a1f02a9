//! Follow requests: answering, cancelling, listing, and their status.

use super::{GraphService, MAX_ATTEMPTS};
use crate::error::GraphError;
use crate::event::EndReason;
use crate::ids::{AccountId, NotificationId, RequestId};
use crate::listing::RequestListing;
use crate::notification::NotificationKind;
use crate::page::{Page, PageRequest};
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier};
use crate::relationship::{
    Applied, Follow, FollowRequest, RequestStatus, Transition, check_answerable, check_cancellable, notification,
};

/// Follow-request use cases.
pub trait Requests {
    /// The target of a pending request accepts it: the requester now follows them.
    ///
    /// # Errors
    /// [`GraphError::RequestNotFound`], [`GraphError::RequestNotYours`] when the actor
    /// is not its target;
    /// [`GraphError::RequestAlreadyAccepted`] / [`GraphError::RequestAlreadyDeclined`].
    fn accept_request(&self, actor: AccountId, request: RequestId) -> Result<FollowRequest, GraphError>;

    /// The target of a pending request declines it; the requester may ask again.
    ///
    /// # Errors
    /// As [`Requests::accept_request`].
    fn decline_request(&self, actor: AccountId, request: RequestId) -> Result<FollowRequest, GraphError>;

    /// The requester withdraws their pending request to `target`.
    ///
    /// # Errors
    /// [`GraphError::NoPendingRequest`] when there is none.
    fn cancel_request(&self, actor: AccountId, target: AccountId) -> Result<(), GraphError>;

    /// The requester withdraws a pending request named by its id; returns it as it was.
    ///
    /// # Errors
    /// [`GraphError::RequestNotFound`], [`GraphError::RequestNotYours`] when the actor
    /// did not make it, the "already answered" variants when it is no longer pending.
    fn cancel_request_by_id(&self, actor: AccountId, request: RequestId) -> Result<FollowRequest, GraphError>;

    /// The status of the actor's latest request to `target`, if any.
    ///
    /// # Errors
    /// [`GraphError::UserNotFound`] when `target` does not exist.
    fn request_status(&self, actor: AccountId, target: AccountId) -> Result<Option<RequestStatus>, GraphError>;

    /// Pending requests to the actor, newest first.
    ///
    /// # Errors
    /// Store errors.
    fn received_requests(&self, actor: AccountId, page: PageRequest) -> Result<Page<RequestListing>, GraphError>;

    /// Requests from the actor (all, or those with `status`), newest first.
    ///
    /// # Errors
    /// Store errors.
    fn sent_requests(
        &self,
        actor: AccountId,
        status: Option<RequestStatus>,
        page: PageRequest,
    ) -> Result<Page<RequestListing>, GraphError>;
}

/// Which answer the target gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Accept,
    Decline,
}

impl<A, G, S, C, I, N> Requests for GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    fn accept_request(&self, actor: AccountId, request: RequestId) -> Result<FollowRequest, GraphError> {
        self.answer(actor, request, Answer::Accept)
    }

    fn decline_request(&self, actor: AccountId, request: RequestId) -> Result<FollowRequest, GraphError> {
        self.answer(actor, request, Answer::Decline)
    }

    fn cancel_request(&self, actor: AccountId, target: AccountId) -> Result<(), GraphError> {
        let cancel =
            Transition::Cancel { requester: actor, target, at: self.clock.now(), reason: EndReason::Cancelled };
        match self.apply_one(cancel)? {
            Applied::Changed => Ok(()),
            Applied::Unchanged | Applied::Exhausted { .. } => Err(GraphError::NoPendingRequest),
        }
    }

    fn request_status(&self, actor: AccountId, target: AccountId) -> Result<Option<RequestStatus>, GraphError> {
        let state = self.graph.pair(actor, target).wait()?;
        if !state.target_standing.is_live() {
            return Err(GraphError::UserNotFound);
        }
        Ok(state.request.map(|r| r.status))
    }

    fn received_requests(&self, actor: AccountId, page: PageRequest) -> Result<Page<RequestListing>, GraphError> {
        Ok(self.graph.requests_received(actor, page)?)
    }

    fn sent_requests(
        &self,
        actor: AccountId,
        status: Option<RequestStatus>,
        page: PageRequest,
    ) -> Result<Page<RequestListing>, GraphError> {
        Ok(self.graph.requests_sent(actor, status, page)?)
    }

    fn cancel_request_by_id(&self, actor: AccountId, id: RequestId) -> Result<FollowRequest, GraphError> {
        for _ in 0..MAX_ATTEMPTS {
            let pending = check_cancellable(self.graph.request(id)?.as_ref(), actor)?;
            let cancel = Transition::Cancel {
                requester: pending.requester,
                target: pending.target,
                at: self.clock.now(),
                reason: EndReason::Cancelled,
            };
            if self.apply_one(cancel)? == Applied::Changed {
                return Ok(pending);
            }
        }
        Err(GraphError::Store(crate::ports::StoreError::Unavailable("the request kept changing; try again".into())))
    }
}

impl<A, G, S, C, I, N> GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    fn answer(&self, actor: AccountId, id: RequestId, answer: Answer) -> Result<FollowRequest, GraphError> {
        for _ in 0..MAX_ATTEMPTS {
            let pending = check_answerable(self.graph.request(id)?.as_ref(), actor)?;
            let now = self.clock.now();
            let (transition, status) = match answer {
                Answer::Accept => {
                    let note_id = NotificationId::from_uuid(self.ids.new_id());
                    let transition = Transition::Accept {
                        request: id,
                        edge: Follow { follower: pending.requester, followee: pending.target, created_at: now },
                        notification: notification(
                            note_id,
                            pending.requester,
                            pending.target,
                            NotificationKind::FollowRequestAccepted,
                            now,
                        ),
                    };
                    (transition, RequestStatus::Accepted)
                }
                Answer::Decline => {
                    let decline = Transition::Decline {
                        request: id,
                        requester: pending.requester,
                        target: pending.target,
                        at: now,
                    };
                    (decline, RequestStatus::Declined)
                }
            };
            if self.apply_one(transition)? == Applied::Changed {
                return Ok(FollowRequest { status, updated_at: Some(now), ..pending });
            }
        }
        Err(GraphError::Store(crate::ports::StoreError::Unavailable("the request kept changing; try again".into())))
    }
}

#[cfg(test)]
mod tests {
    use crate::pending::Pending;
    use mockall::predicate::eq;

    use super::super::fixtures::*;
    use super::*;
    use crate::ports::StoreError;

    #[test]
    fn accepting_creates_the_edge_and_notifies_the_requester() {
        let (a, b) = (account_id(), account_id());
        let pending = request(a, b, RequestStatus::Pending);
        let mut ports = Ports::new();
        ports.graph.expect_request().with(eq(pending.id)).return_const(Ok(Some(pending)));
        ports
            .graph
            .expect_apply()
            .withf(move |t| {
                matches!(t.as_slice(), [Transition::Accept { request, edge, notification }]
                if *request == pending.id && edge.follower == a && edge.followee == b
                    && notification.recipient == a && notification.kind == NotificationKind::FollowRequestAccepted)
            })
            .returning(|_| Pending::ready(Ok(vec![Applied::Changed])));
        ports.notifier.expect_publish().times(1).return_const(());
        let accepted = ports.service().accept_request(b, pending.id).unwrap();
        assert_eq!(accepted.status, RequestStatus::Accepted);
        assert_eq!(accepted.updated_at, Some(now()));
    }

    #[test]
    fn declining_marks_it_declined_without_notifying() {
        let (a, b) = (account_id(), account_id());
        let pending = request(a, b, RequestStatus::Pending);
        let mut ports = Ports::new();
        ports.graph.expect_request().return_const(Ok(Some(pending)));
        ports
            .graph
            .expect_apply()
            .withf(move |t| {
                t.as_slice() == [Transition::Decline { request: pending.id, requester: a, target: b, at: now() }]
            })
            .returning(|_| Pending::ready(Ok(vec![Applied::Changed])));
        ports.notifier.expect_publish().never();
        assert_eq!(ports.service().decline_request(b, pending.id).unwrap().status, RequestStatus::Declined);
    }

    #[test]
    fn only_the_target_may_answer() {
        let (a, b) = (account_id(), account_id());
        let pending = request(a, b, RequestStatus::Pending);
        let mut ports = Ports::new();
        ports.graph.expect_request().return_const(Ok(Some(pending)));
        ports.graph.expect_apply().never();
        assert_eq!(ports.service().accept_request(a, pending.id), Err(GraphError::RequestNotYours));
    }

    #[test]
    fn a_request_answered_meanwhile_reports_its_new_status() {
        let (a, b) = (account_id(), account_id());
        let pending = request(a, b, RequestStatus::Pending);
        let declined = FollowRequest { status: RequestStatus::Declined, ..pending };
        let mut ports = Ports::new();
        let mut reads = mockall::Sequence::new();
        ports.graph.expect_request().times(1).in_sequence(&mut reads).return_const(Ok(Some(pending)));
        ports.graph.expect_request().times(1).in_sequence(&mut reads).return_const(Ok(Some(declined)));
        ports.graph.expect_apply().times(1).returning(|_| Pending::ready(Ok(vec![Applied::Unchanged])));
        assert_eq!(ports.service().accept_request(b, pending.id), Err(GraphError::RequestAlreadyDeclined));
    }

    #[test]
    fn cancel_needs_a_pending_request() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports
            .graph
            .expect_apply()
            .withf(move |t| {
                t.as_slice()
                    == [Transition::Cancel { requester: a, target: b, at: now(), reason: EndReason::Cancelled }]
            })
            .times(2)
            .returning({
                let mut calls = 0;
                move |_| {
                    calls += 1;
                    Pending::ready(Ok(vec![if calls == 1 { Applied::Changed } else { Applied::Unchanged }]))
                }
            });
        let service = ports.service();
        assert_eq!(service.cancel_request(a, b), Ok(()));
        assert_eq!(service.cancel_request(a, b), Err(GraphError::NoPendingRequest));
    }

    #[test]
    fn cancel_by_id_is_the_requesters_alone() {
        let (a, b) = (account_id(), account_id());
        let pending = request(a, b, RequestStatus::Pending);
        let mut ports = Ports::new();
        ports.graph.expect_request().return_const(Ok(Some(pending)));
        ports
            .graph
            .expect_apply()
            .withf(move |t| {
                t.as_slice()
                    == [Transition::Cancel { requester: a, target: b, at: now(), reason: EndReason::Cancelled }]
            })
            .times(1)
            .returning(|_| Pending::ready(Ok(vec![Applied::Changed])));
        let service = ports.service();
        assert_eq!(service.cancel_request_by_id(b, pending.id), Err(GraphError::RequestNotYours));
        assert_eq!(service.cancel_request_by_id(a, pending.id), Ok(pending));
    }

    #[test]
    fn status_reads_the_latest_request() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        let mut state = pair(a, b, true);
        state.request = Some(request(a, b, RequestStatus::Declined));
        ports.graph.expect_pair().returning(move |_, _| Pending::ready(Ok(state)));
        assert_eq!(ports.service().request_status(a, b), Ok(Some(RequestStatus::Declined)));

        let mut ports = Ports::new();
        let mut gone = pair(a, b, true);
        gone.target_standing = crate::relationship::Standing::Missing;
        ports.graph.expect_pair().returning(move |_, _| Pending::ready(Ok(gone)));
        assert_eq!(ports.service().request_status(a, b), Err(GraphError::UserNotFound));
    }

    #[test]
    fn lists_come_from_the_store() {
        let a = account_id();
        let mut ports = Ports::new();
        let empty = || Page { items: Vec::new(), total: 0, request: PageRequest::default() };
        ports
            .graph
            .expect_requests_received()
            .with(eq(a), eq(PageRequest::default()))
            .returning(move |_, _| Ok(empty()));
        ports.graph.expect_requests_sent().returning(|_, _, _| Err(StoreError::Unavailable("pool".into())));
        let service = ports.service();
        assert_eq!(service.received_requests(a, PageRequest::default()).unwrap().total, 0);
        assert!(service.sent_requests(a, None, PageRequest::default()).is_err());
    }
}
