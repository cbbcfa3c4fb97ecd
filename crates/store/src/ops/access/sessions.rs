//! Browser sessions, found by the hash of the random id their cookie holds.
//!
//! A touch reads first and writes only when it must (an expired session to delete, or an expiry
//! or `last_seen_at` that moved by a minute): most requests then cost one indexed read, which
//! matters on SQLite where every write waits for the one writer. Each write is one conditional
//! statement that checks again what the read saw, so a touch racing a sign-out, a deactivation or
//! another node's touch never revives or shortens anything.

macro_rules! session_ops {
    () => {
        impl This {
            async fn create_session_impl(&self, session: NewSession) -> StoreResult<Session> {
                let id_hash = crate::ops::directory::required("session id hash", &session.id_hash)?;
                if session.absolute_expires_at <= session.created_at {
                    return Err(StoreError::Invalid(format!(
                        "a session must expire after it starts, not at {}",
                        session.absolute_expires_at
                    )));
                }
                let idle_expires_at = session.idle_expires_at.min(session.absolute_expires_at);
                if idle_expires_at <= session.created_at {
                    return Err(StoreError::Invalid(format!(
                        "a session must stay idle for a while, not until {idle_expires_at}"
                    )));
                }
                let mut tx = self.begin_write().await?;
                // Locked, so a deactivation running at the same time either comes first (and this
                // is refused) or deletes this session with the others.
                Self::require_active_user(&mut tx, session.user_id).await?;
                let created_at = crate::time::to_micros(session.created_at);
                let sql = format!(
                    "insert into sessions (id_hash, user_id, created_at, last_seen_at, \
                     idle_expires_at, absolute_expires_at, user_agent, address) \
                     values ($1, $2, $3, $3, $4, $5, $6, $7) returning {}",
                    crate::rows_access::SESSION_COLUMNS
                );
                let row: crate::rows_access::SessionRow = sqlx::query_as(&sql)
                    .bind(id_hash)
                    .bind(session.user_id.0)
                    .bind(created_at)
                    .bind(crate::time::to_micros(idle_expires_at))
                    .bind(crate::time::to_micros(session.absolute_expires_at))
                    .bind(crate::ops::access::rules::client_text(session.user_agent.as_deref()))
                    .bind(crate::ops::access::rules::client_text(session.address.as_deref()))
                    .fetch_one(&mut *tx)
                    .await
                    .db()
                    .map_err(|error| match error {
                        StoreError::Conflict(_) => {
                            StoreError::Conflict("this session id is already in use".to_owned())
                        }
                        other => other,
                    })?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn touch_session_impl(
                &self,
                id_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
                idle_expires_at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<Option<SessionWithUser>> {
                use crate::ops::access::rules::touch_needs_write;
                let (now, asked) =
                    (crate::time::to_micros(now), crate::time::to_micros(idle_expires_at));
                let sql = crate::ops::access::rules::session_by_hash_sql();
                let found: Option<crate::rows_access::SessionOwnerRow> =
                    sqlx::query_as(&sql).bind(id_hash).fetch_optional(self.reader()).await.db()?;
                let Some(found) = found else { return Ok(None) };
                let session = &found.session;
                if session.idle_expires_at <= now || session.absolute_expires_at <= now {
                    let mut tx = self.begin_write().await?;
                    sqlx::query(
                        "delete from sessions where id_hash = $1 \
                         and (idle_expires_at <= $2 or absolute_expires_at <= $2)",
                    )
                    .bind(id_hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    tx.commit().await.db()?;
                    return Ok(None);
                }
                if found.owner.owner_deactivated_at.is_some() {
                    return Ok(None);
                }
                let user_id = session.user_id;
                let user = found.owner.into_domain(user_id)?;
                let (last_seen, idle, absolute) =
                    (session.last_seen_at, session.idle_expires_at, session.absolute_expires_at);
                if !touch_needs_write(last_seen, idle, absolute, now, asked) {
                    let session = found.session.into_domain()?;
                    return Ok(Some(SessionWithUser { session, user }));
                }
                let sql = format!(
                    "{} {}",
                    crate::ops::access::TOUCH_SESSION_SQL,
                    crate::rows_access::SESSION_COLUMNS
                );
                let mut tx = self.begin_write().await?;
                let touched: Option<crate::rows_access::SessionRow> = sqlx::query_as(&sql)
                    .bind(id_hash)
                    .bind(now)
                    .bind(asked)
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?;
                tx.commit().await.db()?;
                // None: signed out, expired or deactivated since the read.
                let Some(touched) = touched else { return Ok(None) };
                Ok(Some(SessionWithUser { session: touched.into_domain()?, user }))
            }

            async fn delete_session_impl(&self, id_hash: &str) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let deleted = sqlx::query("delete from sessions where id_hash = $1")
                    .bind(id_hash)
                    .execute(&mut *tx)
                    .await
                    .db()?
                    .rows_affected();
                tx.commit().await.db()?;
                Ok(deleted > 0)
            }

            async fn delete_user_sessions_impl(
                &self,
                user: UserId,
                except: Option<&str>,
            ) -> StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                Self::require(&mut tx, "select id from users where id = $1", user.0, "user")
                    .await?;
                let deleted = match except {
                    Some(except) => {
                        sqlx::query("delete from sessions where user_id = $1 and id_hash <> $2")
                            .bind(user.0)
                            .bind(except)
                            .execute(&mut *tx)
                            .await
                    }
                    None => {
                        sqlx::query("delete from sessions where user_id = $1")
                            .bind(user.0)
                            .execute(&mut *tx)
                            .await
                    }
                }
                .db()?
                .rows_affected();
                tx.commit().await.db()?;
                Ok(deleted)
            }

            async fn list_user_sessions_impl(&self, user: UserId) -> StoreResult<Vec<Session>> {
                let mut conn = self.reader().acquire().await.db()?;
                Self::require(&mut conn, "select id from users where id = $1", user.0, "user")
                    .await?;
                let sql = crate::ops::access::rules::user_sessions_sql();
                let rows: Vec<crate::rows_access::SessionRow> =
                    sqlx::query_as(&sql).bind(user.0).fetch_all(&mut *conn).await.db()?;
                rows.into_iter().map(crate::rows_access::SessionRow::into_domain).collect()
            }

            async fn sweep_expired_sessions_impl(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<u64> {
                let sql = format!(
                    "delete from sessions {}",
                    crate::ops::access::rules::EXPIRED_SESSIONS_WHERE
                );
                let mut tx = self.begin_write().await?;
                let deleted = sqlx::query(&sql)
                    .bind(crate::time::to_micros(now))
                    .execute(&mut *tx)
                    .await
                    .db()?
                    .rows_affected();
                tx.commit().await.db()?;
                Ok(deleted)
            }

            /// `NotFound` for a missing user, `Conflict` for a deactivated one; the user's row is
            /// locked until `tx` ends (PostgreSQL), so a deactivation waits for what is made here.
            async fn require_active_user(
                tx: &mut sqlx::Transaction<'static, Db>,
                user: UserId,
            ) -> StoreResult<()> {
                let row = Self::lock_user(tx, user).await?;
                if row.deactivated_at.is_some() {
                    return Err(StoreError::Conflict(format!("user {user} is deactivated")));
                }
                Ok(())
            }
        }
    };
}
pub(crate) use session_ops;
