//! Each user's notifications (mentions, SLA warnings and breaches, escalations): their own only.

use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use trellis_core::{Notification, NotificationId, Store, UserId};

fn me(principal: &Principal) -> ServiceResult<UserId> {
    principal.require(Permission::ReadInbox)?;
    principal
        .user_id
        .ok_or_else(|| ServiceError::Invalid("notifications belong to a signed-in user".into()))
}

/// The caller's notifications, newest first.
pub async fn list(
    store: &dyn Store,
    principal: &Principal,
    unread_only: bool,
    limit: u32,
) -> ServiceResult<Vec<Notification>> {
    let user = me(principal)?;
    if !(1..=500).contains(&limit) {
        return Err(ServiceError::invalid_parameter("limit", "limit must be between 1 and 500"));
    }
    Ok(store.notifications(user, unread_only, limit).await?)
}

/// Marks one of the caller's notifications read; someone else's is "not found".
pub async fn mark_read(
    store: &dyn Store,
    principal: &Principal,
    id: NotificationId,
) -> ServiceResult<Notification> {
    let user = me(principal)?;
    let notification = store.get_notification(id).await?;
    if notification.notification.user_id != user {
        return Err(ServiceError::NotFound(format!("notification {id} not found")));
    }
    store.mark_notification_read(id).await?;
    Ok(store.get_notification(id).await?)
}

/// Marks every unread notification of the caller read; how many.
pub async fn mark_all_read(store: &dyn Store, principal: &Principal) -> ServiceResult<usize> {
    let user = me(principal)?;
    let mut marked = 0;
    loop {
        let unread = store.notifications(user, true, 500).await?;
        if unread.is_empty() {
            return Ok(marked);
        }
        for notification in &unread {
            store.mark_notification_read(notification.id).await?;
        }
        marked += unread.len();
    }
}
