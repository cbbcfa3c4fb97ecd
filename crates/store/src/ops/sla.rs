//! Each conversation's SLA record and the index the SLA timer reads: `conversation_sla_due` on
//! `next_transition_at`, so finding what is due is an index range read however many conversations
//! are open, and a restart resumes from the stored due times. Every write also keeps the record's
//! summary (`level`, `next_due_at`: [`trellis_core::SlaSummary`]) that conversation lists filter
//! on and show.

/// The SLA timer's query: due transitions, earliest first. Shared with `explain_due_sla` so the
/// plan checked in tests is the plan production runs.
pub(crate) const DUE_SLA_SQL: &str = "select conversation_id, next_transition_at \
     from conversation_sla where next_transition_at is not null and next_transition_at <= $1 \
     order by next_transition_at, conversation_id limit $2";

macro_rules! sla_ops {
    () => {
        impl This {
            async fn conversation_sla_impl(
                &self,
                id: ConversationId,
            ) -> StoreResult<Option<ConversationSla>> {
                let mut conn = self.reader().acquire().await.db()?;
                let sql = "select id from conversations where id = $1";
                Self::require(&mut conn, sql, id.0, "conversation").await?;
                let row: Option<crate::rows_workflow::ConversationSlaRow> = sqlx::query_as(
                    "select conversation_id, policy_id, clocks, next_transition_at, computed_at \
                     from conversation_sla where conversation_id = $1",
                )
                .bind(id.0)
                .fetch_optional(&mut *conn)
                .await
                .db()?;
                row.map(crate::rows_workflow::ConversationSlaRow::into_domain).transpose()
            }

            /// Replaces the record and appends `sla_updated` (entity and conversation: the
            /// conversation) in one transaction.
            async fn put_conversation_sla_impl(&self, sla: ConversationSla) -> StoreResult<()> {
                let clocks = crate::rows_workflow::to_json("sla clocks", &sla.clocks)?;
                // The summary the inbox filters on, from the same clocks in the same statement:
                // the one place it is computed (migration 0008 aside).
                let summary = sla.summary();
                let now = crate::time::to_micros(crate::time::now());
                let id = sla.conversation_id.0;
                let mut tx = self.begin_write().await?;
                let sql = "select id from conversations where id = $1";
                Self::require(&mut tx, sql, id, "conversation").await?;
                if let Some(policy) = sla.policy_id {
                    let sql = "select id from sla_policies where id = $1";
                    Self::require(&mut tx, sql, policy.0, "sla policy").await?;
                }
                sqlx::query(
                    "insert into conversation_sla (conversation_id, policy_id, clocks, \
                     next_transition_at, computed_at, level, next_due_at) \
                     values ($1, $2, $3, $4, $5, $6, $7) \
                     on conflict (conversation_id) do update set policy_id = excluded.policy_id, \
                     clocks = excluded.clocks, next_transition_at = excluded.next_transition_at, \
                     computed_at = excluded.computed_at, level = excluded.level, \
                     next_due_at = excluded.next_due_at",
                )
                .bind(id)
                .bind(sla.policy_id.map(|p| p.0))
                .bind(clocks)
                .bind(sla.next_transition_at.map(crate::time::to_micros))
                .bind(crate::time::to_micros(sla.computed_at))
                .bind(summary.map(|s| s.level.as_str()))
                .bind(summary.and_then(|s| s.due_at).map(crate::time::to_micros))
                .execute(&mut *tx)
                .await
                .db()?;
                let change = crate::ops::feed::NewChange {
                    kind: ChangeKind::SlaUpdated,
                    entity_id: id,
                    conversation_id: Some(id),
                };
                Self::append_changes(&mut tx, &[change], now).await?;
                tx.commit().await.db()
            }

            async fn due_sla_impl(
                &self,
                until: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> StoreResult<Vec<(ConversationId, chrono::DateTime<chrono::Utc>)>> {
                let rows: Vec<(i64, i64)> = sqlx::query_as(crate::ops::sla::DUE_SLA_SQL)
                    .bind(crate::time::to_micros(until))
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await
                    .db()?;
                rows.into_iter()
                    .map(|(id, at)| Ok((ConversationId(id), crate::time::from_micros(at)?)))
                    .collect()
            }

            async fn next_sla_transition_impl(
                &self,
            ) -> StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
                let next: Option<i64> = sqlx::query_scalar(
                    "select min(next_transition_at) from conversation_sla \
                     where next_transition_at is not null",
                )
                .fetch_one(self.reader())
                .await
                .db()?;
                crate::time::opt_from_micros(next)
            }

            /// The database's plan for the SLA timer's query, one line per plan row.
            pub async fn explain_due_sla(&self) -> StoreResult<Vec<String>> {
                use crate::ops::workflow::ExplainBind::Int;
                let now = crate::time::to_micros(crate::time::now());
                self.explain_lines(crate::ops::sla::DUE_SLA_SQL, &[Int(now), Int(100)]).await
            }
        }
    };
}
pub(crate) use sla_ops;
