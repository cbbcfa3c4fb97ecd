//! The audit log (append-only, read newest first by keyset on its id) and the failed sign-ins the
//! throttle counts (one row per failure under a caller's key, counted over a window).

macro_rules! audit_ops {
    () => {
        impl This {
            async fn record_audit_impl(&self, entry: NewAuditEntry) -> StoreResult<AuditEntry> {
                use crate::ops::directory::required;
                let actor_label = required("audit actor", &entry.actor_label)?;
                let action = required("audit action", &entry.action)?;
                let entity = required("audit entity", &entry.entity)?;
                let entity_id =
                    entry.entity_id.as_deref().map(str::trim).filter(|id| !id.is_empty());
                let sql = format!(
                    "insert into audit_log (at, actor_user_id, actor_label, action, entity, \
                     entity_id, before_json, after_json, address) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning {}",
                    crate::rows_access::AUDIT_COLUMNS
                );
                let mut tx = self.begin_write().await?;
                let row: crate::rows_access::AuditRow = sqlx::query_as(&sql)
                    .bind(crate::time::to_micros(entry.at))
                    .bind(entry.actor_user_id.map(|user| user.0))
                    .bind(actor_label)
                    .bind(action)
                    .bind(entity)
                    .bind(entity_id)
                    .bind(entry.before.as_ref().map(|value| value.to_string()))
                    .bind(entry.after.as_ref().map(|value| value.to_string()))
                    .bind(crate::ops::access::rules::client_text(entry.address.as_deref()))
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn audit_log_impl(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
                let sql = crate::ops::access::rules::audit_sql(filter);
                let mut query = sqlx::query_as::<Db, crate::rows_access::AuditRow>(&sql);
                if let Some(before) = filter.before_id {
                    query = query.bind(before.0);
                }
                if let Some(entity) = &filter.entity {
                    query = query.bind(entity.trim());
                }
                if let Some(actor) = filter.actor_user_id {
                    query = query.bind(actor.0);
                }
                let rows = query
                    .bind(crate::ops::access::rules::audit_limit(filter))
                    .fetch_all(self.reader())
                    .await
                    .db()?;
                rows.into_iter().map(crate::rows_access::AuditRow::into_domain).collect()
            }

            async fn record_login_failure_impl(
                &self,
                key: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<()> {
                let key = crate::ops::directory::required("throttle key", key)?;
                let mut tx = self.begin_write().await?;
                sqlx::query("insert into login_failures (key, at) values ($1, $2)")
                    .bind(crate::ops::access::rules::clip(key))
                    .bind(crate::time::to_micros(at))
                    .execute(&mut *tx)
                    .await
                    .db()?;
                tx.commit().await.db()
            }

            async fn login_failures_impl(
                &self,
                key: &str,
                since: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<LoginFailures> {
                let (count, last_at): (i64, Option<i64>) =
                    sqlx::query_as(crate::ops::access::rules::LOGIN_FAILURES_SQL)
                        .bind(crate::ops::access::rules::clip(key.trim()))
                        .bind(crate::time::to_micros(since))
                        .fetch_one(self.reader())
                        .await
                        .db()?;
                Ok(LoginFailures {
                    // Past four billion failures the throttle has long said no: saturate.
                    count: u32::try_from(count).unwrap_or(u32::MAX),
                    last_at: crate::time::opt_from_micros(last_at)?,
                })
            }

            async fn clear_login_failures_impl(&self, key: &str) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("delete from login_failures where key = $1")
                    .bind(crate::ops::access::rules::clip(key.trim()))
                    .execute(&mut *tx)
                    .await
                    .db()?;
                tx.commit().await.db()
            }

            async fn sweep_login_failures_impl(
                &self,
                older_than: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                let deleted = sqlx::query("delete from login_failures where at < $1")
                    .bind(crate::time::to_micros(older_than))
                    .execute(&mut *tx)
                    .await
                    .db()?
                    .rows_affected();
                tx.commit().await.db()?;
                Ok(deleted)
            }
        }
    };
}
pub(crate) use audit_ops;
