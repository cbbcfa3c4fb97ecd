//! Live events: what a browser is told as the change feed moves, and who may be told what.
//!
//! Each [`Change`] becomes one small [`LiveEvent`]: its kind, the ids concerned and its feed seq.
//! Clients fetch the details over the REST API, so an event says only *what* to reload, never the
//! data itself, and the rules about who may read that data stay in one place (the REST API).
//!
//! Every change kind is sent. Those of no interest to the inbox itself (accounts, brands, users,
//! teams, rules, SLA policies and calendars) share one `admin_updated` event naming the entity, so
//! a settings page can refresh and the inbox can ignore them; it costs a few bytes a change.
//!
//! Who sees what is decided by [`visible_to`] alone: a notification only by its recipient, an
//! event about a conversation by those who work its brand, everything else by anyone who may
//! read the inbox. The filter reads nothing: what it needs and the feed does not say (a
//! notification's recipient, a conversation's brand) is looked up once per change by
//! [`resolve`], before the event is fanned out.

use crate::access::{BrandScope, Permission, Principal};
use crate::error::ServiceResult;
use serde::{Deserialize, Serialize};
use trellis_core::{
    BrandId, Change, ChangeKind, ContactId, ConversationId, MessageId, NotificationId, OutboxId,
    PresenceState, Seq, Store, StoreError, UserId,
};

/// One event of the live stream, derived from one change of the feed. Serialized with a `type`
/// tag (`{"type":"message_created","seq":42,"message_id":7,"conversation_id":3}`); its name is
/// [`LiveEvent::name`].
///
/// Events that do not come from the feed (presence, say) can be added as variants whose
/// [`LiveEvent::seq`] is `None`: they are not replayed on resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    // Events about one conversation carry its `brand_id`, filled in by [`resolve`]: only those
    // who work that brand see them.
    /// A conversation was opened (by an inbound message).
    ConversationCreated {
        seq: Seq,
        conversation_id: ConversationId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        brand_id: Option<BrandId>,
    },
    /// A conversation's own fields changed: status, priority, assignee, team, tags, snooze.
    ConversationUpdated {
        seq: Seq,
        conversation_id: ConversationId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        brand_id: Option<BrandId>,
    },
    /// A message arrived or was sent in a conversation.
    MessageCreated {
        seq: Seq,
        message_id: MessageId,
        conversation_id: Option<ConversationId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        brand_id: Option<BrandId>,
    },
    /// A message was edited, hidden or deleted.
    MessageUpdated {
        seq: Seq,
        message_id: MessageId,
        conversation_id: Option<ConversationId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        brand_id: Option<BrandId>,
    },
    /// A contact's name or details changed.
    ContactUpdated { seq: Seq, contact_id: ContactId },
    /// A reply or moderation action in the outbox was queued or changed state (sending, sent,
    /// failed).
    DeliveryUpdated {
        seq: Seq,
        outbox_id: OutboxId,
        conversation_id: Option<ConversationId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        brand_id: Option<BrandId>,
    },
    /// A conversation's SLA clocks were recomputed: a deadline moved, a warning or a breach.
    SlaUpdated {
        seq: Seq,
        conversation_id: ConversationId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        brand_id: Option<BrandId>,
    },
    /// An agent's availability or capacity changed.
    AgentUpdated { seq: Seq, user_id: UserId },
    /// A notification was created. `user_id` is its recipient and `kind` the notification's
    /// (`sla_warning`, `sla_breached`, `escalation`, …), both filled in by [`resolve`]; until
    /// then they are `None` and nobody sees the event.
    NotificationCreated {
        seq: Seq,
        notification_id: NotificationId,
        conversation_id: Option<ConversationId>,
        user_id: Option<UserId>,
        kind: Option<String>,
    },
    /// Someone started or stopped viewing a conversation or typing in it. `state` is filled in by
    /// [`resolve`]: what they are doing now, or `None` when they left.
    PresenceUpdated {
        seq: Seq,
        conversation_id: ConversationId,
        user_id: UserId,
        state: Option<PresenceState>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        brand_id: Option<BrandId>,
    },
    /// Something the inbox does not show changed: an account, brand, user, team, rule, SLA
    /// policy or calendar. `id` is that entity's.
    AdminUpdated { seq: Seq, entity: AdminEntity, id: i64 },
}

/// What an [`LiveEvent::AdminUpdated`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminEntity {
    Account,
    Brand,
    User,
    Team,
    Rule,
    /// An SLA policy or a business-hours calendar (the feed does not say which).
    Policy,
}

impl LiveEvent {
    /// The event for one change of the feed. Every change kind has one.
    pub fn from_change(change: &Change) -> Self {
        let seq = change.seq;
        let id = change.entity_id;
        let conversation_id = change.conversation_id;
        let admin = |entity| LiveEvent::AdminUpdated { seq, entity, id };
        match change.kind {
            ChangeKind::ConversationCreated => LiveEvent::ConversationCreated {
                seq,
                conversation_id: ConversationId(id),
                brand_id: None,
            },
            ChangeKind::ConversationUpdated => LiveEvent::ConversationUpdated {
                seq,
                conversation_id: ConversationId(id),
                brand_id: None,
            },
            ChangeKind::MessageCreated => {
                let message_id = MessageId(id);
                LiveEvent::MessageCreated { seq, message_id, conversation_id, brand_id: None }
            }
            ChangeKind::MessageUpdated => {
                let message_id = MessageId(id);
                LiveEvent::MessageUpdated { seq, message_id, conversation_id, brand_id: None }
            }
            ChangeKind::ContactUpdated => {
                LiveEvent::ContactUpdated { seq, contact_id: ContactId(id) }
            }
            ChangeKind::OutboxUpdated => {
                let outbox_id = OutboxId(id);
                LiveEvent::DeliveryUpdated { seq, outbox_id, conversation_id, brand_id: None }
            }
            ChangeKind::SlaUpdated => {
                LiveEvent::SlaUpdated { seq, conversation_id: ConversationId(id), brand_id: None }
            }
            ChangeKind::AgentUpdated => LiveEvent::AgentUpdated { seq, user_id: UserId(id) },
            ChangeKind::NotificationCreated => LiveEvent::NotificationCreated {
                seq,
                notification_id: NotificationId(id),
                conversation_id,
                user_id: None,
                kind: None,
            },
            ChangeKind::PresenceUpdated => LiveEvent::PresenceUpdated {
                seq,
                conversation_id: ConversationId(conversation_id.map_or(0, |c| c.0)),
                user_id: UserId(id),
                state: None,
                brand_id: None,
            },
            ChangeKind::AccountUpdated => admin(AdminEntity::Account),
            ChangeKind::BrandUpdated => admin(AdminEntity::Brand),
            ChangeKind::UserUpdated => admin(AdminEntity::User),
            ChangeKind::TeamUpdated => admin(AdminEntity::Team),
            ChangeKind::RuleUpdated => admin(AdminEntity::Rule),
            ChangeKind::PolicyUpdated => admin(AdminEntity::Policy),
        }
    }

    /// The feed position this event comes from: its SSE id, what a client resumes after.
    /// `Some` for every event today; an event not from the feed would have none.
    pub fn seq(&self) -> Option<Seq> {
        match self {
            LiveEvent::ConversationCreated { seq, .. }
            | LiveEvent::ConversationUpdated { seq, .. }
            | LiveEvent::MessageCreated { seq, .. }
            | LiveEvent::MessageUpdated { seq, .. }
            | LiveEvent::ContactUpdated { seq, .. }
            | LiveEvent::DeliveryUpdated { seq, .. }
            | LiveEvent::SlaUpdated { seq, .. }
            | LiveEvent::AgentUpdated { seq, .. }
            | LiveEvent::NotificationCreated { seq, .. }
            | LiveEvent::PresenceUpdated { seq, .. }
            | LiveEvent::AdminUpdated { seq, .. } => Some(*seq),
        }
    }

    /// The brand of the conversation this event is about: `None` for an event about no
    /// conversation, `Some(None)` until [`resolve`] has read it (or when it cannot be read).
    pub fn brand(&self) -> Option<Option<BrandId>> {
        match self {
            LiveEvent::ConversationCreated { brand_id, .. }
            | LiveEvent::ConversationUpdated { brand_id, .. }
            | LiveEvent::MessageCreated { brand_id, .. }
            | LiveEvent::MessageUpdated { brand_id, .. }
            | LiveEvent::DeliveryUpdated { brand_id, .. }
            | LiveEvent::SlaUpdated { brand_id, .. }
            | LiveEvent::PresenceUpdated { brand_id, .. } => Some(*brand_id),
            LiveEvent::ContactUpdated { .. }
            | LiveEvent::AgentUpdated { .. }
            | LiveEvent::NotificationCreated { .. }
            | LiveEvent::AdminUpdated { .. } => None,
        }
    }

    /// The conversation this event is about, when it names one.
    pub fn conversation(&self) -> Option<ConversationId> {
        match self {
            LiveEvent::ConversationCreated { conversation_id, .. }
            | LiveEvent::ConversationUpdated { conversation_id, .. }
            | LiveEvent::SlaUpdated { conversation_id, .. }
            | LiveEvent::PresenceUpdated { conversation_id, .. } => Some(*conversation_id),
            LiveEvent::MessageCreated { conversation_id, .. }
            | LiveEvent::MessageUpdated { conversation_id, .. }
            | LiveEvent::DeliveryUpdated { conversation_id, .. }
            | LiveEvent::NotificationCreated { conversation_id, .. } => *conversation_id,
            LiveEvent::ContactUpdated { .. }
            | LiveEvent::AgentUpdated { .. }
            | LiveEvent::AdminUpdated { .. } => None,
        }
    }

    fn set_brand(&mut self, brand: BrandId) {
        match self {
            LiveEvent::ConversationCreated { brand_id, .. }
            | LiveEvent::ConversationUpdated { brand_id, .. }
            | LiveEvent::MessageCreated { brand_id, .. }
            | LiveEvent::MessageUpdated { brand_id, .. }
            | LiveEvent::DeliveryUpdated { brand_id, .. }
            | LiveEvent::SlaUpdated { brand_id, .. }
            | LiveEvent::PresenceUpdated { brand_id, .. } => *brand_id = Some(brand),
            LiveEvent::ContactUpdated { .. }
            | LiveEvent::AgentUpdated { .. }
            | LiveEvent::NotificationCreated { .. }
            | LiveEvent::AdminUpdated { .. } => {}
        }
    }

    /// The event's name, as in its `type` tag: the SSE `event:` field.
    pub fn name(&self) -> &'static str {
        match self {
            LiveEvent::ConversationCreated { .. } => "conversation_created",
            LiveEvent::ConversationUpdated { .. } => "conversation_updated",
            LiveEvent::MessageCreated { .. } => "message_created",
            LiveEvent::MessageUpdated { .. } => "message_updated",
            LiveEvent::ContactUpdated { .. } => "contact_updated",
            LiveEvent::DeliveryUpdated { .. } => "delivery_updated",
            LiveEvent::SlaUpdated { .. } => "sla_updated",
            LiveEvent::AgentUpdated { .. } => "agent_updated",
            LiveEvent::NotificationCreated { .. } => "notification_created",
            LiveEvent::PresenceUpdated { .. } => "presence_updated",
            LiveEvent::AdminUpdated { .. } => "admin_updated",
        }
    }
}

/// Whether `principal` may be sent `event`: a notification only to its recipient (once
/// [`resolve`] has named it), everything else to anyone who may read the inbox (today every
/// role may read every conversation). The one place that decides; brand scoping goes here.
pub fn visible_to(principal: &Principal, event: &LiveEvent) -> bool {
    if let LiveEvent::NotificationCreated { user_id, .. } = event {
        return user_id.is_some_and(|recipient| principal.is(recipient));
    }
    if !principal.may(Permission::ReadInbox) {
        return false;
    }
    match (event.brand(), &principal.brands) {
        (None, _) | (Some(_), BrandScope::Every) => true,
        // A conversation whose brand could not be read (deleted since) is nobody's business.
        (Some(None), BrandScope::Only(_)) => false,
        (Some(Some(brand)), BrandScope::Only(_)) => principal.serves(brand),
    }
}

/// Completes `event` with what [`visible_to`] needs to judge it and the feed does not say: the
/// brand of the conversation it is about, a notification's recipient and kind, what someone
/// present is doing now. A notification that no longer exists stays unresolved, so nobody is
/// sent it; so does the brand of a conversation that cannot be read.
pub async fn resolve(store: &dyn Store, mut event: LiveEvent) -> ServiceResult<LiveEvent> {
    if let (Some(None), Some(conversation)) = (event.brand(), event.conversation()) {
        match store.get_conversation(conversation).await {
            Ok(found) => event.set_brand(found.brand_id),
            Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    if let LiveEvent::PresenceUpdated { seq, conversation_id, user_id, state: None, brand_id } =
        event
    {
        let now = chrono::Utc::now();
        let state = store.presence_of(conversation_id, user_id, now).await?.map(|p| p.state);
        return Ok(LiveEvent::PresenceUpdated { seq, conversation_id, user_id, state, brand_id });
    }
    let LiveEvent::NotificationCreated {
        seq, notification_id, conversation_id, user_id: None, ..
    } = event
    else {
        return Ok(event);
    };
    match store.get_notification(notification_id).await {
        Ok(notification) => Ok(LiveEvent::NotificationCreated {
            seq,
            notification_id,
            conversation_id,
            user_id: Some(notification.notification.user_id),
            kind: Some(notification.notification.kind),
        }),
        Err(StoreError::NotFound { .. }) => Ok(event),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::access::Via;
    use chrono::Utc;
    use trellis_core::{NewNotification, Role};

    fn change(kind: ChangeKind, entity_id: i64, conversation: Option<i64>) -> Change {
        Change {
            seq: Seq(41),
            kind,
            entity_id,
            conversation_id: conversation.map(ConversationId),
            at: Utc::now(),
        }
    }

    fn person(id: i64, role: Role) -> Principal {
        Principal { user_id: Some(UserId(id)), role, ..Principal::operator() }
    }

    #[test]
    fn every_change_kind_becomes_an_event_that_keeps_its_seq_and_names_itself_as_it_serializes() {
        for kind in ChangeKind::ALL {
            let event = LiveEvent::from_change(&change(*kind, 7, Some(3)));
            assert_eq!(event.seq(), Some(Seq(41)), "{kind}");
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json["type"], event.name(), "{kind}");
            assert_eq!(json["seq"], 41, "{kind}");
            let back: LiveEvent = serde_json::from_value(json).unwrap();
            assert_eq!(back, event);
        }
    }

    #[test]
    fn a_new_message_names_the_message_and_its_conversation() {
        let event = LiveEvent::from_change(&change(ChangeKind::MessageCreated, 7, Some(3)));
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({"type": "message_created", "seq": 41, "message_id": 7, "conversation_id": 3})
        );
    }

    #[test]
    fn outbox_changes_are_delivery_events_and_rule_changes_are_admin_events() {
        let delivery = LiveEvent::from_change(&change(ChangeKind::OutboxUpdated, 9, Some(3)));
        assert_eq!(
            delivery,
            LiveEvent::DeliveryUpdated {
                seq: Seq(41),
                outbox_id: OutboxId(9),
                conversation_id: Some(ConversationId(3)),
                brand_id: None,
            }
        );
        let rule = LiveEvent::from_change(&change(ChangeKind::RuleUpdated, 5, None));
        assert_eq!(
            serde_json::to_value(&rule).unwrap(),
            serde_json::json!({"type": "admin_updated", "seq": 41, "entity": "rule", "id": 5})
        );
    }

    #[test]
    fn every_role_sees_inbox_events() {
        let event = LiveEvent::from_change(&change(ChangeKind::ConversationUpdated, 3, Some(3)));
        for role in [Role::Agent, Role::Supervisor, Role::Admin] {
            assert!(visible_to(&person(1, role), &event), "{role}");
        }
    }

    #[test]
    fn an_event_about_a_conversation_reaches_only_those_who_work_its_brand() {
        let mut event = LiveEvent::from_change(&change(ChangeKind::MessageCreated, 8, Some(3)));
        let scoped =
            Principal { brands: BrandScope::Only(vec![BrandId(2)]), ..person(1, Role::Agent) };
        assert!(!visible_to(&scoped, &event), "not before its brand is known");
        assert!(visible_to(&person(2, Role::Supervisor), &event));
        event.set_brand(BrandId(2));
        assert!(visible_to(&scoped, &event));
        assert_eq!(serde_json::to_value(&event).unwrap()["brand_id"], 2);
        event.set_brand(BrandId(5));
        assert!(!visible_to(&scoped, &event));
        let admin = LiveEvent::from_change(&change(ChangeKind::RuleUpdated, 4, None));
        assert!(visible_to(&scoped, &admin), "events about no conversation are everyone's");
    }

    #[test]
    fn a_notification_is_seen_by_its_recipient_only_and_by_nobody_before_it_is_resolved() {
        let unresolved = LiveEvent::from_change(&change(ChangeKind::NotificationCreated, 5, None));
        assert!(!visible_to(&person(1, Role::Admin), &unresolved));
        let LiveEvent::NotificationCreated { seq, notification_id, conversation_id, .. } =
            unresolved
        else {
            panic!("not a notification event: {unresolved:?}");
        };
        let for_one = LiveEvent::NotificationCreated {
            seq,
            notification_id,
            conversation_id,
            user_id: Some(UserId(1)),
            kind: Some("sla_breached".into()),
        };
        assert!(visible_to(&person(1, Role::Agent), &for_one));
        assert!(!visible_to(&person(2, Role::Admin), &for_one));
        assert!(!visible_to(&Principal::operator(), &for_one));
    }

    #[tokio::test]
    async fn resolving_a_notification_names_its_recipient_who_alone_sees_it() {
        let dir = tempfile::tempdir().unwrap();
        let url = trellis_store::testing::temp_sqlite_url(dir.path());
        let store = trellis_store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let operator = Principal::operator();
        let mut people = Vec::new();
        for name in ["ana", "ben"] {
            let input = crate::identity::users::NewUserInput {
                email: format!("{name}@example.com"),
                name: name.into(),
                role: Role::Supervisor,
                password: None,
            };
            people.push(
                crate::identity::users::create_user(store.as_ref(), &operator, input)
                    .await
                    .unwrap(),
            );
        }
        let (ana, ben) = (&people[0], &people[1]);
        let notification = store
            .notify(NewNotification {
                user_id: ana.id,
                conversation_id: None,
                kind: "sla_breached".into(),
                text: "first response overdue".into(),
                at: Utc::now(),
            })
            .await
            .unwrap();
        let latest = store.latest_seq().await.unwrap();
        let changes = store.changes_since(Seq(latest.0 - 1), 10).await.unwrap();
        let event = LiveEvent::from_change(&changes[0]);

        let resolved = resolve(store.as_ref(), event).await.unwrap();
        assert_eq!(
            resolved,
            LiveEvent::NotificationCreated {
                seq: latest,
                notification_id: notification.id,
                conversation_id: None,
                user_id: Some(ana.id),
                kind: Some("sla_breached".into()),
            }
        );
        assert!(visible_to(&Principal::user(ana, Via::Session), &resolved));
        assert!(!visible_to(&Principal::user(ben, Via::Session), &resolved));

        let gone = LiveEvent::from_change(&change(ChangeKind::NotificationCreated, 999, None));
        let unresolved = resolve(store.as_ref(), gone.clone()).await.unwrap();
        assert_eq!(unresolved, gone);
    }
}
