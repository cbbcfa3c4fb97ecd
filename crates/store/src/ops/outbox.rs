//! The outbox: actions queued for delivery, claimed by one worker at a time, completed as sent,
//! retried or failed. Every state change appends `outbox_updated` to the change feed.
//!
//! One column, `next_attempt_at`, says when an entry is next due: the first try or a retry while
//! queued, the claim's expiry while sending (a worker that died gives the entry up then), nothing
//! once sent or failed. Claims and [`next_outbound_due`](trellis_core::ConnectionStore) therefore
//! read one partial index, `outbox_due`.

mod rules;
pub(crate) use rules::{completion, idempotency_key, list_limit, list_sql};

macro_rules! outbox_ops {
    () => {
        impl This {
            async fn enqueue_outbound_impl(&self, item: NewOutboxItem) -> StoreResult<OutboxItem> {
                let key = crate::ops::outbox::idempotency_key(&item.idempotency_key)?;
                let action = serde_json::to_string(&item.action)
                    .map_err(|err| StoreError::Invalid(format!("unstorable action: {err}")))?;
                let requested_by = serde_json::to_string(&item.requested_by)
                    .map_err(|err| StoreError::Invalid(format!("unstorable actor: {err}")))?;
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                if let Some(existing) = Self::outbound_by_key(&mut tx, key).await? {
                    tx.rollback().await.db()?;
                    return existing.into_domain();
                }
                Self::require(
                    &mut tx,
                    "select id from accounts where id = $1",
                    item.account_id.0,
                    "account",
                )
                .await?;
                if let Some(conversation) = item.conversation_id {
                    let owner: Option<i64> =
                        sqlx::query_scalar("select account_id from conversations where id = $1")
                            .bind(conversation.0)
                            .fetch_optional(&mut *tx)
                            .await
                            .db()?;
                    let owner =
                        owner.ok_or_else(|| StoreError::not_found("conversation", conversation))?;
                    if owner != item.account_id.0 {
                        return Err(StoreError::Invalid(format!(
                            "conversation {conversation} belongs to account {owner}, not {}",
                            item.account_id
                        )));
                    }
                }
                let sql = format!(
                    "insert into outbox (account_id, conversation_id, action, idempotency_key, \
                     requested_by, state, attempts, next_attempt_at, created_at, updated_at) \
                     values ($1, $2, $3, $4, $5, $6, 0, $7, $7, $7) \
                     on conflict (idempotency_key) do nothing returning {}",
                    crate::rows_connection::OUTBOX_COLUMNS
                );
                let inserted: Option<crate::rows_connection::OutboxRow> = sqlx::query_as(&sql)
                    .bind(item.account_id.0)
                    .bind(item.conversation_id.map(|id| id.0))
                    .bind(action)
                    .bind(key)
                    .bind(requested_by)
                    .bind(OutboxState::Queued.as_str())
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?;
                let Some(row) = inserted else {
                    // Another node enqueued the same key between our look-up and our insert
                    // (PostgreSQL): its entry is the one.
                    let existing = Self::outbound_by_key(&mut tx, key).await?;
                    tx.rollback().await.db()?;
                    return existing.ok_or_else(|| StoreError::not_found("outbox key", key))?.into_domain();
                };
                Self::announce_outbound(&mut tx, &[&row], now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn claim_outbound_impl(
                &self,
                owner: &str,
                now: chrono::DateTime<chrono::Utc>,
                claim_for: chrono::Duration,
                limit: u32,
            ) -> StoreResult<Vec<OutboxItem>> {
                let owner = crate::ops::directory::required("claim owner", owner)?;
                if claim_for <= chrono::Duration::zero() {
                    return Err(StoreError::Invalid(format!("a claim must last, not {claim_for}")));
                }
                if limit == 0 {
                    return Ok(Vec::new());
                }
                // SQLite's single writer already excludes a second claimer; on PostgreSQL a
                // second claimer skips the rows the first has locked instead of waiting for them
                // and then finding them no longer due.
                let skip_locked = match <This as crate::dialect::Dialect>::BACKEND {
                    Backend::Postgres => " for update skip locked",
                    Backend::Sqlite => "",
                };
                let sql = format!(
                    "with due as (select id from outbox where next_attempt_at <= $1 \
                     order by next_attempt_at, id limit $2{skip_locked}) \
                     update outbox set state = $3, claimed_by = $4, next_attempt_at = $5, \
                     attempts = attempts + 1, updated_at = $1 \
                     where id in (select id from due) returning {}",
                    crate::rows_connection::OUTBOX_COLUMNS
                );
                let now = crate::time::to_micros(now);
                let mut tx = self.begin_write().await?;
                let mut rows: Vec<crate::rows_connection::OutboxRow> = sqlx::query_as(&sql)
                    .bind(now)
                    .bind(i64::from(limit.min(crate::ops::accounts_state::MAX_LISTED)))
                    .bind(OutboxState::Sending.as_str())
                    .bind(owner)
                    .bind(now.saturating_add(claim_for.num_microseconds().unwrap_or(i64::MAX)))
                    .fetch_all(&mut *tx)
                    .await
                    .db()?;
                rows.sort_by_key(|row| row.id);
                let claimed: Vec<&crate::rows_connection::OutboxRow> = rows.iter().collect();
                Self::announce_outbound(&mut tx, &claimed, now).await?;
                tx.commit().await.db()?;
                rows.into_iter().map(crate::rows_connection::OutboxRow::into_domain).collect()
            }

            async fn complete_outbound_impl(
                &self,
                id: OutboxId,
                owner: &str,
                result: OutboxResult,
                now: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<OutboxItem> {
                let now = crate::time::to_micros(now);
                let completion = crate::ops::outbox::completion(result, now)?;
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "select state, claimed_by from outbox where id = $1{}",
                    <This as crate::dialect::Dialect>::FOR_UPDATE
                );
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let row: Option<(String, Option<String>)> =
                    sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *tx).await.db()?;
                let (state, claimed_by) =
                    row.ok_or_else(|| StoreError::not_found("outbox entry", id))?;
                let refusal = if state != OutboxState::Sending.as_str() {
                    Some(format!(
                        "outbox entry {id} is {state}: only a claimed (sending) entry completes"
                    ))
                } else if claimed_by.as_deref() != Some(owner) {
                    Some(format!(
                        "outbox entry {id} is claimed by another worker now, not by {owner:?}"
                    ))
                } else {
                    None
                };
                if let Some(refusal) = refusal {
                    // Ended now, not when sqlx gets round to it: until then the row lock would
                    // make a claim skip this entry.
                    tx.rollback().await.db()?;
                    return Err(StoreError::Conflict(refusal));
                }
                let sql = format!(
                    "update outbox set state = $2, platform_id = $3, thread_platform_id = $4, \
                     error = $5, next_attempt_at = $6, sent_at = $7, claimed_by = null, \
                     updated_at = $8 where id = $1 returning {}",
                    crate::rows_connection::OUTBOX_COLUMNS
                );
                let row: crate::rows_connection::OutboxRow = sqlx::query_as(&sql)
                    .bind(id.0)
                    .bind(completion.state.as_str())
                    .bind(completion.platform_id)
                    .bind(completion.thread_platform_id)
                    .bind(completion.error)
                    .bind(completion.next_attempt_at)
                    .bind(completion.sent_at)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                Self::announce_outbound(&mut tx, &[&row], now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn get_outbound_impl(&self, id: OutboxId) -> StoreResult<OutboxItem> {
                let sql = format!(
                    "select {} from outbox where id = $1",
                    crate::rows_connection::OUTBOX_COLUMNS
                );
                let row: Option<crate::rows_connection::OutboxRow> =
                    sqlx::query_as(&sql).bind(id.0).fetch_optional(self.reader()).await.db()?;
                row.ok_or_else(|| StoreError::not_found("outbox entry", id))?.into_domain()
            }

            async fn list_outbound_impl(&self, filter: &OutboxFilter) -> StoreResult<Vec<OutboxItem>> {
                let sql = crate::ops::outbox::list_sql(filter);
                // Bound in the order `list_sql` numbers them.
                let mut query = sqlx::query_as::<Db, crate::rows_connection::OutboxRow>(&sql);
                if let Some(account) = filter.account {
                    query = query.bind(account.0);
                }
                if let Some(conversation) = filter.conversation {
                    query = query.bind(conversation.0);
                }
                if let Some(state) = filter.state {
                    query = query.bind(state.as_str());
                }
                let rows = query
                    .bind(crate::ops::outbox::list_limit(filter))
                    .fetch_all(self.reader())
                    .await
                    .db()?;
                rows.into_iter().map(crate::rows_connection::OutboxRow::into_domain).collect()
            }

            async fn next_outbound_due_impl(
                &self,
            ) -> StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
                let due: Option<i64> = sqlx::query_scalar(
                    "select min(next_attempt_at) from outbox where next_attempt_at is not null",
                )
                .fetch_one(self.reader())
                .await
                .db()?;
                crate::time::opt_from_micros(due)
            }

            async fn outbound_by_key(
                conn: &mut <Db as sqlx::Database>::Connection,
                key: &str,
            ) -> StoreResult<Option<crate::rows_connection::OutboxRow>> {
                let sql = format!(
                    "select {} from outbox where idempotency_key = $1",
                    crate::rows_connection::OUTBOX_COLUMNS
                );
                sqlx::query_as(&sql).bind(key).fetch_optional(&mut *conn).await.db()
            }

            /// Appends `outbox_updated` for each row, with its conversation.
            async fn announce_outbound(
                conn: &mut <Db as sqlx::Database>::Connection,
                rows: &[&crate::rows_connection::OutboxRow],
                at: i64,
            ) -> StoreResult<()> {
                let changes: Vec<crate::ops::feed::NewChange> = rows
                    .iter()
                    .map(|row| crate::ops::feed::NewChange {
                        kind: ChangeKind::OutboxUpdated,
                        entity_id: row.id,
                        conversation_id: row.conversation_id,
                    })
                    .collect();
                Self::append_changes(conn, &changes, at).await.map(|_| ())
            }
        }
    };
}
pub(crate) use outbox_ops;
