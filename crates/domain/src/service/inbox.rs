//! A recipient's notifications: the list, the unread count, marking them seen, and
//! what a reconnecting stream missed.

use super::GraphService;
use crate::error::GraphError;
use crate::ids::{AccountId, NotificationId};
use crate::inbox::{Device, DeviceToken, InboxPage, KindFilter, NotificationView, Platform};
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier};

/// Most notifications one page or one replay returns.
pub const MAX_PAGE: i64 = 100;
/// Most missed notifications replayed to a reconnecting stream; older ones are in the list.
pub const MAX_REPLAY: i64 = 1000;

/// Notification use cases.
pub trait Inbox {
    /// A page of the recipient's notifications, newest first, with the unread count.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] for `limit` outside 1..=100 or a negative `offset`.
    fn inbox(&self, recipient: AccountId, filter: KindFilter, limit: i64, offset: i64)
    -> Result<InboxPage, GraphError>;

    /// How many of the recipient's notifications are unread.
    ///
    /// # Errors
    /// Store errors.
    fn unread_count(&self, recipient: AccountId) -> Result<i64, GraphError>;

    /// Marks the recipient's notifications seen (all, or those of `ids` that are
    /// theirs) and returns the new unread count, which every open stream of theirs
    /// is told.
    ///
    /// # Errors
    /// Store errors.
    fn mark_seen(&self, recipient: AccountId, ids: Option<Vec<NotificationId>>) -> Result<i64, GraphError>;

    /// The recipient's notifications after `after`, oldest first (at most 1000).
    ///
    /// # Errors
    /// Store errors.
    fn missed_since(&self, recipient: AccountId, after: NotificationId) -> Result<Vec<NotificationView>, GraphError>;

    /// Notifications by id, ready to show.
    ///
    /// # Errors
    /// Store errors.
    fn notification_views(&self, ids: &[NotificationId]) -> Result<Vec<NotificationView>, GraphError>;

    /// Registers a push target for the account.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] for a bad token or platform; store errors.
    fn register_device(&self, account: AccountId, token: &str, platform: &str) -> Result<Device, GraphError>;

    /// Removes one of the account's push targets; returns whether it existed.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] for a malformed token; store errors.
    fn remove_device(&self, account: AccountId, token: &str) -> Result<bool, GraphError>;
}

impl<A, G, S, C, I, N> Inbox for GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    fn inbox(
        &self,
        recipient: AccountId,
        filter: KindFilter,
        limit: i64,
        offset: i64,
    ) -> Result<InboxPage, GraphError> {
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(GraphError::InvalidInput(format!("limit must be between 1 and {MAX_PAGE}")));
        }
        if offset < 0 {
            return Err(GraphError::InvalidInput("offset must not be negative".into()));
        }
        let (items, total) = self.notifications.notifications(recipient, filter, limit, offset)?;
        let unread = self.notifications.unread_count(recipient)?;
        Ok(InboxPage { items, total, unread })
    }

    fn unread_count(&self, recipient: AccountId) -> Result<i64, GraphError> {
        Ok(self.notifications.unread_count(recipient)?)
    }

    fn mark_seen(&self, recipient: AccountId, ids: Option<Vec<NotificationId>>) -> Result<i64, GraphError> {
        let unread = self.notifications.mark_read(recipient, ids, self.clock.now())?;
        self.notifier.unread_changed(recipient, unread);
        Ok(unread)
    }

    fn missed_since(&self, recipient: AccountId, after: NotificationId) -> Result<Vec<NotificationView>, GraphError> {
        Ok(self.notifications.notifications_after(recipient, after, MAX_REPLAY)?)
    }

    fn notification_views(&self, ids: &[NotificationId]) -> Result<Vec<NotificationView>, GraphError> {
        Ok(self.notifications.notification_views(ids)?)
    }

    fn register_device(&self, account: AccountId, token: &str, platform: &str) -> Result<Device, GraphError> {
        let device = Device { token: DeviceToken::parse(token)?, platform: Platform::parse(platform)? };
        self.notifications.register_device(account, &device, self.clock.now())?;
        Ok(device)
    }

    fn remove_device(&self, account: AccountId, token: &str) -> Result<bool, GraphError> {
        Ok(self.notifications.remove_device(account, &DeviceToken::parse(token)?)?)
    }
}

#[cfg(test)]
mod tests {
    use mockall::predicate::eq;

    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn pages_are_bounded() {
        let me = account_id();
        let mut ports = Ports::new();
        ports.notifications.expect_notifications().returning(|_, _, _, _| Ok((Vec::new(), 0)));
        ports.notifications.expect_unread_count().return_const(Ok(3));
        let service = ports.service();
        assert!(service.inbox(me, KindFilter::All, 0, 0).is_err());
        assert!(service.inbox(me, KindFilter::All, 101, 0).is_err());
        assert!(service.inbox(me, KindFilter::All, 20, -1).is_err());
        assert_eq!(service.inbox(me, KindFilter::All, 20, 0).unwrap().unread, 3);
    }

    #[test]
    fn devices_are_validated() {
        let me = account_id();
        let mut ports = Ports::new();
        ports.notifications.expect_register_device().times(1).return_const(Ok(()));
        let service = ports.service();
        assert!(service.register_device(me, "", "android").is_err());
        assert!(service.register_device(me, "abc def", "android").is_err());
        assert!(service.register_device(me, "abc", "blackberry").is_err());
        assert_eq!(service.register_device(me, " abc ", "iOS").unwrap().platform, Platform::Ios);
    }

    #[test]
    fn marking_seen_tells_the_streams() {
        let me = account_id();
        let mut ports = Ports::new();
        ports.notifications.expect_mark_read().withf(move |r, ids, _| *r == me && ids.is_none()).return_const(Ok(0));
        ports.notifier.expect_unread_changed().with(eq(me), eq(0)).times(1).return_const(());
        assert_eq!(ports.service().mark_seen(me, None), Ok(0));
    }
}
