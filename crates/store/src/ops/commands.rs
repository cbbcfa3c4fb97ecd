//! Agent commands: workflow changes on a conversation (with their timeline events) and linking
//! contacts to persons.

use trellis_core::{ConversationPatch, ConversationStatus};

/// The workflow columns a patch may change.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct Workflow {
    pub status: String,
    pub priority: String,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub snoozed_until: Option<i64>,
}

impl Workflow {
    /// The columns after `patch`. Leaving the snoozed status clears `snoozed_until`, so a stale
    /// wake-up time never lingers on an open conversation.
    pub fn patched(&self, patch: &ConversationPatch) -> Workflow {
        let mut next = self.clone();
        if let Some(status) = patch.status {
            next.status = status.as_str().to_owned();
        }
        if let Some(priority) = patch.priority {
            next.priority = priority.as_str().to_owned();
        }
        if let Some(assignee) = patch.assignee_id {
            next.assignee_id = assignee.map(|id| id.0);
        }
        if let Some(team) = patch.team_id {
            next.team_id = team.map(|id| id.0);
        }
        if let Some(until) = patch.snoozed_until {
            next.snoozed_until = until.map(|at| at.timestamp_micros());
        }
        if next.status != ConversationStatus::Snoozed.as_str() && patch.snoozed_until.is_none() {
            next.snoozed_until = None;
        }
        next
    }
}

macro_rules! commands_ops {
    () => {
        impl This {
            /// `Store::update_conversation`: a patch with nobody in particular behind it, so its
            /// timeline events are attributed to the system.
            async fn update_conversation_impl(
                &self,
                id: ConversationId,
                patch: ConversationPatch,
            ) -> StoreResult<Conversation> {
                self.patch_conversation_impl(id, patch, Actor::System).await
            }

            /// Applies `patch` and, in the same transaction, records one timeline event per
            /// changed field attributed to `actor`, bumps `updated_at` and appends
            /// `conversation_updated`. A patch that changes nothing writes nothing.
            async fn patch_conversation_impl(
                &self,
                id: ConversationId,
                patch: ConversationPatch,
                actor: Actor,
            ) -> StoreResult<Conversation> {
                let at = crate::time::now();
                let now = crate::time::to_micros(at);
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "select status, priority, assignee_id, team_id, snoozed_until \
                     from conversations where id = $1{}",
                    <This as crate::dialect::Dialect>::FOR_UPDATE
                );
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let before: Option<crate::ops::commands::Workflow> =
                    sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *tx).await.db()?;
                let before = before.ok_or_else(|| StoreError::not_found("conversation", id))?;
                let after = before.patched(&patch);
                if after.assignee_id != before.assignee_id {
                    if let Some(user) = after.assignee_id {
                        Self::require(&mut tx, "select id from users where id = $1", user, "user")
                            .await?;
                    }
                }
                if after.team_id != before.team_id {
                    if let Some(team) = after.team_id {
                        Self::require(&mut tx, "select id from teams where id = $1", team, "team")
                            .await?;
                    }
                }
                let event = |(kind, detail): (&str, serde_json::Value)| NewTimelineEvent {
                    conversation_id: id,
                    at,
                    actor: actor.clone(),
                    kind: kind.to_owned(),
                    detail,
                };
                let mut events: Vec<NewTimelineEvent> =
                    crate::ops::timeline::field_events(&before, &after)
                        .into_iter()
                        .map(event)
                        .collect();
                let mut changed = after != before;
                if changed {
                    sqlx::query(
                        "update conversations set status = $2, priority = $3, assignee_id = $4, \
                         team_id = $5, snoozed_until = $6 where id = $1",
                    )
                    .bind(id.0)
                    .bind(after.status.as_str())
                    .bind(after.priority.as_str())
                    .bind(after.assignee_id)
                    .bind(after.team_id)
                    .bind(after.snoozed_until)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                }
                for tag in &patch.add_tags {
                    let result = sqlx::query(
                        "insert into conversation_tags (conversation_id, tag) values ($1, $2) \
                         on conflict (conversation_id, tag) do nothing",
                    )
                    .bind(id.0)
                    .bind(tag.as_str())
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    if result.rows_affected() > 0 {
                        changed = true;
                        events.push(event(("tagged", serde_json::json!({ "tag": tag }))));
                    }
                }
                for tag in &patch.remove_tags {
                    let result = sqlx::query(
                        "delete from conversation_tags where conversation_id = $1 and tag = $2",
                    )
                    .bind(id.0)
                    .bind(tag.as_str())
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    if result.rows_affected() > 0 {
                        changed = true;
                        events.push(event(("untagged", serde_json::json!({ "tag": tag }))));
                    }
                }
                if changed {
                    sqlx::query("update conversations set updated_at = $2 where id = $1")
                        .bind(id.0)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    Self::insert_timeline(&mut tx, &events).await?;
                    let change = crate::ops::feed::NewChange {
                        kind: ChangeKind::ConversationUpdated,
                        entity_id: id.0,
                        conversation_id: Some(id.0),
                    };
                    Self::append_changes(&mut tx, &[change], now).await?;
                }
                tx.commit().await.db()?;
                self.get_conversation_impl(id).await
            }

            async fn link_contact_impl(
                &self,
                contact: ContactId,
                person: Option<PersonId>,
            ) -> StoreResult<Person> {
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let found: Option<(Option<String>, Option<i64>)> =
                    sqlx::query_as("select display_name, person_id from contacts where id = $1")
                        .bind(contact.0)
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?;
                let (display_name, current) =
                    found.ok_or_else(|| StoreError::not_found("contact", contact))?;
                let person: crate::rows::PersonRow = match person {
                    Some(id) => {
                        let row: Option<crate::rows::PersonRow> = sqlx::query_as(
                            "select id, display_name, created_at from persons where id = $1",
                        )
                        .bind(id.0)
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?;
                        row.ok_or_else(|| StoreError::not_found("person", id))?
                    }
                    None => sqlx::query_as(
                        "insert into persons (display_name, created_at) values ($1, $2) \
                         returning id, display_name, created_at",
                    )
                    .bind(display_name)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .db()?,
                };
                if current != Some(person.id) {
                    sqlx::query(
                        "update contacts set person_id = $2, updated_at = $3 where id = $1",
                    )
                    .bind(contact.0)
                    .bind(person.id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    let change = crate::ops::feed::NewChange {
                        kind: ChangeKind::ContactUpdated,
                        entity_id: contact.0,
                        conversation_id: None,
                    };
                    Self::append_changes(&mut tx, &[change], now).await?;
                }
                tx.commit().await.db()?;
                person.into_domain()
            }

            async fn person_contacts_impl(&self, person: PersonId) -> StoreResult<Vec<Contact>> {
                let exists: Option<i64> =
                    sqlx::query_scalar("select id from persons where id = $1")
                        .bind(person.0)
                        .fetch_optional(self.reader())
                        .await
                        .db()?;
                if exists.is_none() {
                    return Err(StoreError::not_found("person", person));
                }
                self.contacts_where("person_id = $1", person.0).await
            }
        }
    };
}
pub(crate) use commands_ops;

#[cfg(test)]
mod tests {
    use super::*;

    fn snoozed() -> Workflow {
        Workflow {
            status: "snoozed".into(),
            priority: trellis_core::Priority::default().as_str().into(),
            assignee_id: None,
            team_id: None,
            snoozed_until: Some(5),
        }
    }

    #[test]
    fn leaving_snoozed_clears_the_wake_up_time() {
        let patch =
            ConversationPatch { status: Some(ConversationStatus::Open), ..Default::default() };
        let after = snoozed().patched(&patch);
        assert_eq!(after.status, "open");
        assert_eq!(after.snoozed_until, None);
    }

    #[test]
    fn an_empty_patch_changes_nothing() {
        assert_eq!(snoozed().patched(&ConversationPatch::default()), snoozed());
    }
}
