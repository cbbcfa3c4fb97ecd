//! The conversation timeline: who did what, written in the same transaction as the change it
//! records. `field_events` works out the events a workflow change makes; the SQL appends and reads.

use crate::ops::commands::Workflow;
use serde_json::{json, Value};
use trellis_core::ConversationStatus;

/// Columns bound per timeline row.
pub(crate) const TIMELINE_BINDS: usize = 7;

/// The timeline events (`kind`, `detail`) for a conversation's workflow columns going from
/// `before` to `after`, one per changed field. Tags are recorded where they are written.
///
/// Leaving the snoozed status clears the wake-up time as a side effect; that is already told by
/// `status_changed`, so only a wake-up time that is set or moved is a `snoozed` event.
pub(crate) fn field_events(before: &Workflow, after: &Workflow) -> Vec<(&'static str, Value)> {
    let mut events = Vec::new();
    if before.status != after.status {
        events.push(("status_changed", json!({ "from": before.status, "to": after.status })));
    }
    if before.priority != after.priority {
        events.push(("priority_changed", json!({ "from": before.priority, "to": after.priority })));
    }
    if before.assignee_id != after.assignee_id {
        events.push(("assigned", json!({ "from": before.assignee_id, "to": after.assignee_id })));
    }
    if before.team_id != after.team_id {
        events.push(("routed", json!({ "from": before.team_id, "to": after.team_id })));
    }
    let cleared_by_waking =
        after.snoozed_until.is_none() && after.status != ConversationStatus::Snoozed.as_str();
    if before.snoozed_until != after.snoozed_until && !cleared_by_waking {
        let until = after.snoozed_until.and_then(chrono::DateTime::from_timestamp_micros);
        events.push(("snoozed", json!({ "until": until })));
    }
    events
}

macro_rules! timeline_ops {
    () => {
        impl This {
            /// Appends timeline events in the caller's transaction, as multi-row inserts.
            async fn insert_timeline(
                conn: &mut <Db as sqlx::Database>::Connection,
                events: &[NewTimelineEvent],
            ) -> StoreResult<()> {
                use crate::ops::timeline::TIMELINE_BINDS;
                for chunk in events.chunks(crate::sql::rows_per_statement(TIMELINE_BINDS, 0)) {
                    let sql = format!(
                        "insert into timeline_events (conversation_id, at, actor_type, actor_id, \
                         actor_name, kind, detail) values {}",
                        crate::sql::tuples(chunk.len(), TIMELINE_BINDS, 1)
                    );
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query::<Db>(&sql);
                    for event in chunk {
                        let actor = crate::rows_workflow::actor_columns(&event.actor);
                        let detail =
                            crate::rows_workflow::to_json("timeline detail", &event.detail)?;
                        query = query
                            .bind(event.conversation_id.0)
                            .bind(crate::time::to_micros(event.at))
                            .bind(actor.actor_type)
                            .bind(actor.actor_id)
                            .bind(actor.actor_name)
                            .bind(crate::ops::directory::required("timeline kind", &event.kind)?)
                            .bind(detail);
                    }
                    query.execute(&mut *conn).await.db()?;
                }
                Ok(())
            }

            async fn record_timeline_impl(&self, events: Vec<NewTimelineEvent>) -> StoreResult<()> {
                if events.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin_write().await?;
                let mut ids: Vec<i64> = events.iter().map(|e| e.conversation_id.0).collect();
                ids.sort_unstable();
                ids.dedup();
                for id in ids {
                    Self::require(
                        &mut tx,
                        "select id from conversations where id = $1",
                        id,
                        "conversation",
                    )
                    .await?;
                }
                Self::insert_timeline(&mut tx, &events).await?;
                tx.commit().await.db()
            }

            async fn conversation_timeline_impl(
                &self,
                id: ConversationId,
            ) -> StoreResult<Vec<TimelineEvent>> {
                let mut conn = self.reader().acquire().await.db()?;
                Self::require(
                    &mut conn,
                    "select id from conversations where id = $1",
                    id.0,
                    "conversation",
                )
                .await?;
                let rows: Vec<crate::rows_workflow::TimelineRow> = sqlx::query_as(
                    "select id, conversation_id, at, actor_type, actor_id, actor_name, kind, \
                     detail from timeline_events where conversation_id = $1 order by at, id",
                )
                .bind(id.0)
                .fetch_all(&mut *conn)
                .await
                .db()?;
                rows.into_iter().map(crate::rows_workflow::TimelineRow::into_domain).collect()
            }
        }
    };
}
pub(crate) use timeline_ops;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn open() -> Workflow {
        Workflow {
            status: "open".into(),
            priority: "normal".into(),
            assignee_id: None,
            team_id: None,
            snoozed_until: None,
        }
    }

    fn kinds(events: &[(&'static str, Value)]) -> Vec<&'static str> {
        events.iter().map(|(kind, _)| *kind).collect()
    }

    #[test]
    fn an_unchanged_conversation_records_nothing() {
        assert!(field_events(&open(), &open()).is_empty());
    }

    #[test]
    fn each_changed_field_is_one_event_with_from_and_to() {
        let after = Workflow {
            status: "pending".into(),
            priority: "urgent".into(),
            assignee_id: Some(3),
            team_id: Some(2),
            ..open()
        };
        let events = field_events(&open(), &after);
        assert_eq!(kinds(&events), ["status_changed", "priority_changed", "assigned", "routed"]);
        assert_eq!(events[0].1, json!({ "from": "open", "to": "pending" }));
        assert_eq!(events[2].1, json!({ "from": null, "to": 3 }));
    }

    #[test]
    fn snoozing_records_the_wake_up_time() {
        let after = Workflow { status: "snoozed".into(), snoozed_until: Some(5_000_000), ..open() };
        let events = field_events(&open(), &after);
        assert_eq!(kinds(&events), ["status_changed", "snoozed"]);
        assert_eq!(events[1].1, json!({ "until": "1970-01-01T00:00:05Z" }));
    }

    #[test]
    fn waking_up_is_a_status_change_only() {
        let before = Workflow { status: "snoozed".into(), snoozed_until: Some(5), ..open() };
        assert_eq!(kinds(&field_events(&before, &open())), ["status_changed"]);
    }
}
