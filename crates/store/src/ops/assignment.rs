//! Assignment: the race-free "assign if still unassigned" (optionally within the agent's
//! capacity) and "unassign if still held", a team's queue in the order it should be worked, and an
//! agent's open conversations.

use trellis_core::Backend;

/// The statement that serializes capacity-checked assignments to one agent (`$1`: the user id),
/// held until the transaction ends. PostgreSQL's two-key advisory lock takes 32-bit keys: the
/// first is this lock's namespace (`0x74726173`, "tras"; the change feed's lock is a one-key lock,
/// a separate key space), the second the id folded into 31 bits (two agents sharing a key only
/// wait for each other). SQLite needs none: a write transaction excludes every other writer.
pub(crate) fn agent_lock_sql<D: crate::dialect::Dialect>() -> Option<&'static str> {
    match D::BACKEND {
        Backend::Postgres => {
            Some("select pg_advisory_xact_lock(1953653107, ($1 % 2147483648)::int4)")
        }
        Backend::Sqlite => None,
    }
}

/// A team's open, unassigned conversations: most urgent first, then the longest waiting. The
/// `case` and `coalesce` expressions are spelled exactly as in the `conversations_queue` index
/// (migration 0003) so both planners read the queue in order from it.
pub(crate) fn queue_sql() -> String {
    format!(
        "select {} from conversations \
         where team_id = $1 and assignee_id is null and status = 'open' \
         order by \
         (case priority when 'urgent' then 0 when 'high' then 1 when 'normal' then 2 else 3 end), \
         (coalesce(last_inbound_at, created_at)), id \
         limit $2",
        crate::rows::CONVERSATION_COLUMNS
    )
}

macro_rules! assignment_ops {
    () => {
        impl This {
            /// One conditional `update`: of two nodes racing, the database lets exactly one match
            /// `assignee_id is null`. Only the winner records the event and the change.
            async fn assign_if_unassigned_impl(
                &self,
                id: ConversationId,
                user: UserId,
                actor: Actor,
            ) -> StoreResult<Option<Conversation>> {
                self.assign_conditionally(id, user, None, actor).await
            }

            /// [`Self::assign_if_unassigned_impl`] that also refuses when `user` already holds
            /// `capacity` unresolved conversations. The count and the update run in one
            /// transaction that first takes the agent's lock (PostgreSQL: a transaction-scoped
            /// advisory lock per user; SQLite: the single writer), so two nodes filling the same
            /// agent's last seat are served one after the other and the second sees the seat taken.
            async fn assign_within_capacity_impl(
                &self,
                id: ConversationId,
                user: UserId,
                capacity: u32,
                actor: Actor,
            ) -> StoreResult<Option<Conversation>> {
                self.assign_conditionally(id, user, Some(capacity), actor).await
            }

            async fn assign_conditionally(
                &self,
                id: ConversationId,
                user: UserId,
                capacity: Option<u32>,
                actor: Actor,
            ) -> StoreResult<Option<Conversation>> {
                let at = crate::time::now();
                let now = crate::time::to_micros(at);
                let mut tx = self.begin_write().await?;
                Self::require(&mut tx, "select id from users where id = $1", user.0, "user").await?;
                let has_room = match capacity {
                    None => true,
                    Some(capacity) => {
                        if let Some(lock) = crate::ops::assignment::agent_lock_sql::<This>() {
                            sqlx::query(lock).bind(user.0).execute(&mut *tx).await.db()?;
                        }
                        let open: i64 = sqlx::query_scalar(
                            "select count(*) from conversations \
                             where assignee_id = $1 and status <> 'resolved'",
                        )
                        .bind(user.0)
                        .fetch_one(&mut *tx)
                        .await
                        .db()?;
                        open < i64::from(capacity)
                    }
                };
                let won = has_room
                    && sqlx::query(
                        "update conversations set assignee_id = $2, updated_at = $3 \
                         where id = $1 and assignee_id is null and status <> 'resolved'",
                    )
                    .bind(id.0)
                    .bind(user.0)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .db()?
                    .rows_affected()
                        > 0;
                if !won {
                    let sql = "select id from conversations where id = $1";
                    Self::require(&mut tx, sql, id.0, "conversation").await?;
                    // Explicitly, so the agent's lock goes now rather than when sqlx gets round to
                    // rolling back a dropped transaction.
                    tx.rollback().await.db()?;
                    return Ok(None);
                }
                let detail = serde_json::json!({ "from": null, "to": user.0 });
                Self::record_assignment(&mut tx, id, at, actor, detail).await?;
                tx.commit().await.db()?;
                self.get_conversation_impl(id).await.map(Some)
            }

            /// Unassigns the conversation only while `user` holds it: one conditional update, so
            /// a conversation another node already moved is left alone. Resolved conversations
            /// are unassigned too (their owner is released); `None` when `user` did not hold it.
            async fn unassign_if_held_impl(
                &self,
                id: ConversationId,
                user: UserId,
                actor: Actor,
            ) -> StoreResult<Option<Conversation>> {
                let at = crate::time::now();
                let now = crate::time::to_micros(at);
                let mut tx = self.begin_write().await?;
                let released = sqlx::query(
                    "update conversations set assignee_id = null, updated_at = $3 \
                     where id = $1 and assignee_id = $2",
                )
                .bind(id.0)
                .bind(user.0)
                .bind(now)
                .execute(&mut *tx)
                .await
                .db()?
                .rows_affected()
                    > 0;
                if !released {
                    let sql = "select id from conversations where id = $1";
                    Self::require(&mut tx, sql, id.0, "conversation").await?;
                    tx.rollback().await.db()?;
                    return Ok(None);
                }
                let detail = serde_json::json!({ "from": user.0, "to": null });
                Self::record_assignment(&mut tx, id, at, actor, detail).await?;
                tx.commit().await.db()?;
                self.get_conversation_impl(id).await.map(Some)
            }

            /// The `assigned` timeline event and the `conversation_updated` change of an
            /// assignment written in `tx`.
            async fn record_assignment(
                conn: &mut <Db as sqlx::Database>::Connection,
                id: ConversationId,
                at: chrono::DateTime<chrono::Utc>,
                actor: Actor,
                detail: serde_json::Value,
            ) -> StoreResult<()> {
                let event = NewTimelineEvent {
                    conversation_id: id,
                    at,
                    actor,
                    kind: "assigned".to_owned(),
                    detail,
                };
                Self::insert_timeline(&mut *conn, &[event]).await?;
                let change = crate::ops::feed::NewChange {
                    kind: ChangeKind::ConversationUpdated,
                    entity_id: id.0,
                    conversation_id: Some(id.0),
                };
                Self::append_changes(conn, &[change], crate::time::to_micros(at)).await?;
                Ok(())
            }

            async fn assignment_queue_impl(
                &self,
                team: TeamId,
                limit: u32,
            ) -> StoreResult<Vec<Conversation>> {
                let mut conn = self.reader().acquire().await.db()?;
                Self::require(&mut conn, "select id from teams where id = $1", team.0, "team")
                    .await?;
                let sql = crate::ops::assignment::queue_sql();
                let rows: Vec<crate::rows::ConversationRow> = sqlx::query_as(&sql)
                    .bind(team.0)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *conn)
                    .await
                    .db()?;
                drop(conn);
                self.with_tags(rows).await
            }

            async fn open_assigned_impl(&self, user: UserId) -> StoreResult<Vec<Conversation>> {
                let mut conn = self.reader().acquire().await.db()?;
                Self::require(&mut conn, "select id from users where id = $1", user.0, "user")
                    .await?;
                let sql = format!(
                    "select {} from conversations where assignee_id = $1 \
                     and status <> 'resolved' order by id",
                    crate::rows::CONVERSATION_COLUMNS
                );
                let rows: Vec<crate::rows::ConversationRow> =
                    sqlx::query_as(&sql).bind(user.0).fetch_all(&mut *conn).await.db()?;
                drop(conn);
                self.with_tags(rows).await
            }

            /// Conversations with their tags, read in one more query.
            async fn with_tags(
                &self,
                rows: Vec<crate::rows::ConversationRow>,
            ) -> StoreResult<Vec<Conversation>> {
                let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
                let mut tags = self.conversation_tags(&ids).await?;
                rows.into_iter().map(|row| row.into_domain(&mut tags)).collect()
            }

            /// The database's plan for a team's assignment queue, one line per plan row.
            pub async fn explain_assignment_queue(&self, team: TeamId) -> StoreResult<Vec<String>> {
                use crate::ops::workflow::ExplainBind::Int;
                let sql = crate::ops::assignment::queue_sql();
                self.explain_lines(&sql, &[Int(team.0), Int(50)]).await
            }
        }
    };
}
pub(crate) use assignment_ops;
