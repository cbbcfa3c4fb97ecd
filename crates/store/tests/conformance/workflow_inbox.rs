//! What agents and followers keep beside conversations: canned replies, notifications and the
//! positions of change-feed followers.

use crate::harness::{at, Harness};
use crate::workflow_fixtures::{agent, changes_after, conversations, kinds};
use trellis_core::{
    CannedReplyId, CannedReplyInput, ChangeKind, ConversationId, NewNotification, NotificationId,
    Seq, StoreError, UserId,
};

crate::conformance!(
    canned_replies_are_listed_by_shortcut_and_a_taken_shortcut_conflicts,
    notifications_come_newest_first_and_are_read_once,
    follower_positions_start_at_zero_and_are_kept_per_follower,
);

fn reply(shortcut: &str, title: &str) -> CannedReplyInput {
    CannedReplyInput {
        shortcut: shortcut.to_owned(),
        title: title.to_owned(),
        body: format!("Hello! About {title}: we are on it."),
    }
}

async fn canned_replies_are_listed_by_shortcut_and_a_taken_shortcut_conflicts(h: &Harness) {
    let store = &*h.store;
    let refund = store.create_canned_reply(reply("/refund", "Refund")).await.unwrap();
    let apology = store.create_canned_reply(reply("/apology", "Apology")).await.unwrap();
    assert_eq!(store.list_canned_replies().await.unwrap(), [apology.clone(), refund.clone()]);

    let taken = store.create_canned_reply(reply("/refund", "Another")).await;
    assert!(matches!(&taken, Err(StoreError::Conflict(m)) if m.contains("/refund")), "{taken:?}");
    let taken = store.update_canned_reply(apology.id, reply("/refund", "Apology")).await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    let spaced = store.create_canned_reply(reply("/re fund", "Refund")).await;
    assert!(matches!(spaced, Err(StoreError::Invalid(_))));

    let sorry = store.update_canned_reply(apology.id, reply("/sorry", "Sorry")).await.unwrap();
    assert_eq!((sorry.id, sorry.created_at), (apology.id, apology.created_at));
    assert_eq!(store.list_canned_replies().await.unwrap(), [refund.clone(), sorry]);
    let missing = store.update_canned_reply(CannedReplyId(999), reply("/x", "X")).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "canned reply", .. })));

    store.delete_canned_reply(refund.id).await.unwrap();
    let again = store.delete_canned_reply(refund.id).await;
    assert!(matches!(again, Err(StoreError::NotFound { entity: "canned reply", .. })));
    assert_eq!(store.list_canned_replies().await.unwrap().len(), 1);
    // A deleted reply's shortcut is free again.
    store.create_canned_reply(reply("/refund", "Refund")).await.unwrap();
}

async fn notifications_come_newest_first_and_are_read_once(h: &Harness) {
    let store = &*h.store;
    let (ana, ben) = (agent(store, "ana").await, agent(store, "ben").await);
    let id = conversations(h, "acme", 1).await[0];
    let note = |user: UserId, seconds: i64| NewNotification {
        user_id: user,
        conversation_id: Some(id),
        kind: "sla_warning".into(),
        text: format!("first response due in {seconds} min"),
        at: at(seconds),
    };
    let seq = store.latest_seq().await.unwrap();
    let mut ids = Vec::new();
    for seconds in [1, 3, 2] {
        ids.push(store.notify(note(ana, seconds)).await.unwrap().id);
    }
    let general = NewNotification { conversation_id: None, ..note(ben, 4) };
    let for_ben = store.notify(general.clone()).await.unwrap();
    assert_eq!((for_ben.notification, for_ben.read_at), (general, None));
    let changes = changes_after(store, seq).await;
    assert_eq!(kinds(&changes), [ChangeKind::NotificationCreated; 4]);
    assert_eq!((changes[0].entity_id, changes[0].conversation_id), (ids[0].0, Some(id)));
    assert_eq!(changes[3].conversation_id, None);

    let listed = |unread_only, limit| async move {
        let items = store.notifications(ana, unread_only, limit).await.unwrap();
        items.into_iter().map(|n| n.id).collect::<Vec<NotificationId>>()
    };
    assert_eq!(listed(false, 10).await, [ids[1], ids[2], ids[0]]);
    assert_eq!(listed(false, 2).await, [ids[1], ids[2]]);

    store.mark_notification_read(ids[1]).await.unwrap();
    assert_eq!(listed(true, 10).await, [ids[2], ids[0]]);
    let read_at = store.notifications(ana, false, 1).await.unwrap()[0].read_at.unwrap();
    store.mark_notification_read(ids[1]).await.unwrap();
    let again = store.notifications(ana, false, 1).await.unwrap()[0].read_at;
    assert_eq!(again, Some(read_at), "reading again keeps the first read time");

    let one = store.get_notification(ids[1]).await.unwrap();
    assert_eq!((one.notification.user_id, one.read_at), (ana, Some(read_at)));
    let missing = store.get_notification(NotificationId(999)).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "notification", .. })));
    let missing = store.mark_notification_read(NotificationId(999)).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "notification", .. })));
    let missing = store.notify(note(UserId(999), 1)).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "user", .. })));
    let dangling =
        NewNotification { conversation_id: Some(ConversationId(id.0 + 1_000)), ..note(ana, 1) };
    let missing = store.notify(dangling).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "conversation", .. })));
    assert_eq!(listed(false, 10).await.len(), 3);
}

async fn follower_positions_start_at_zero_and_are_kept_per_follower(h: &Harness) {
    let store = &*h.store;
    assert_eq!(store.follower_position("triage").await.unwrap(), Seq(0));
    let seq = store.latest_seq().await.unwrap();
    store.save_follower_position("triage", Seq(42)).await.unwrap();
    store.save_follower_position("live", Seq(7)).await.unwrap();
    store.save_follower_position("triage", Seq(43)).await.unwrap();
    assert_eq!(store.follower_position("triage").await.unwrap(), Seq(43));
    assert_eq!(store.follower_position("live").await.unwrap(), Seq(7));
    assert!(changes_after(store, seq).await.is_empty(), "positions write no change");

    let blank = store.save_follower_position(" ", Seq(1)).await;
    assert!(matches!(blank, Err(StoreError::Invalid(_))));
    let negative = store.save_follower_position("triage", Seq(-1)).await;
    assert!(matches!(negative, Err(StoreError::Invalid(_))));
    assert_eq!(store.follower_position("triage").await.unwrap(), Seq(43));
}
