//! Notifications for users (SLA warnings and breaches escalated to supervisors) and the saved
//! positions of change-feed followers.

macro_rules! notifications_ops {
    () => {
        impl This {
            /// Stores the notification and appends `notification_created` (entity: the
            /// notification; conversation: its conversation) so live events reach the user.
            async fn notify_impl(
                &self,
                notification: NewNotification,
            ) -> StoreResult<Notification> {
                use crate::ops::directory::required;
                let kind = required("notification kind", &notification.kind)?;
                let text = required("notification text", &notification.text)?;
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let user = notification.user_id.0;
                Self::require(&mut tx, "select id from users where id = $1", user, "user").await?;
                if let Some(conversation) = notification.conversation_id {
                    let sql = "select id from conversations where id = $1";
                    Self::require(&mut tx, sql, conversation.0, "conversation").await?;
                }
                let sql = format!(
                    "insert into notifications (user_id, conversation_id, kind, text, created_at, \
                     read_at) values ($1, $2, $3, $4, $5, null) returning {}",
                    crate::rows_workflow::NOTIFICATION_COLUMNS
                );
                let row: crate::rows_workflow::NotificationRow = sqlx::query_as(&sql)
                    .bind(user)
                    .bind(notification.conversation_id.map(|c| c.0))
                    .bind(kind)
                    .bind(text)
                    .bind(crate::time::to_micros(notification.at))
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                let change = crate::ops::feed::NewChange {
                    kind: ChangeKind::NotificationCreated,
                    entity_id: row.id,
                    conversation_id: row.conversation_id,
                };
                Self::append_changes(&mut tx, &[change], now).await?;
                tx.commit().await.db()?;
                row.into_domain()
            }

            async fn notifications_impl(
                &self,
                user: UserId,
                unread_only: bool,
                limit: u32,
            ) -> StoreResult<Vec<Notification>> {
                let unread = if unread_only { "and read_at is null" } else { "" };
                let sql = format!(
                    "select {} from notifications where user_id = $1 {unread} \
                     order by created_at desc, id desc limit $2",
                    crate::rows_workflow::NOTIFICATION_COLUMNS
                );
                let rows: Vec<crate::rows_workflow::NotificationRow> = sqlx::query_as(&sql)
                    .bind(user.0)
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await
                    .db()?;
                rows.into_iter().map(crate::rows_workflow::NotificationRow::into_domain).collect()
            }

            async fn get_notification_impl(&self, id: NotificationId) -> StoreResult<Notification> {
                let sql = format!(
                    "select {} from notifications where id = $1",
                    crate::rows_workflow::NOTIFICATION_COLUMNS
                );
                let row: Option<crate::rows_workflow::NotificationRow> = sqlx::query_as(&sql)
                    .bind(id.0)
                    .fetch_optional(self.reader())
                    .await
                    .db()?;
                row.ok_or_else(|| StoreError::not_found("notification", id))?.into_domain()
            }

            /// Marking a read notification again keeps the first read time.
            async fn mark_notification_read_impl(&self, id: NotificationId) -> StoreResult<()> {
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "update notifications set read_at = $2 where id = $1 and read_at is null",
                )
                .bind(id.0)
                .bind(now)
                .execute(&mut *tx)
                .await
                .db()?;
                let sql = "select id from notifications where id = $1";
                Self::require(&mut tx, sql, id.0, "notification").await?;
                tx.commit().await.db()
            }

            async fn follower_position_impl(&self, name: &str) -> StoreResult<Seq> {
                let name = crate::ops::directory::required("follower name", name)?;
                let seq: Option<i64> =
                    sqlx::query_scalar("select seq from follower_positions where name = $1")
                        .bind(name)
                        .fetch_optional(self.reader())
                        .await
                        .db()?;
                Ok(Seq(seq.unwrap_or(0)))
            }

            /// Saves where a follower is; no change is appended (followers would follow
            /// themselves). A follower may move back, e.g. to rebuild from the start.
            async fn save_follower_position_impl(&self, name: &str, seq: Seq) -> StoreResult<()> {
                let name = crate::ops::directory::required("follower name", name)?;
                if seq.0 < 0 {
                    return Err(StoreError::Invalid(format!("seq {} is negative", seq.0)));
                }
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "insert into follower_positions (name, seq, updated_at) values ($1, $2, $3) \
                     on conflict (name) do update set seq = excluded.seq, \
                     updated_at = excluded.updated_at",
                )
                .bind(name)
                .bind(seq.0)
                .bind(now)
                .execute(&mut *tx)
                .await
                .db()?;
                tx.commit().await.db()
            }
        }
    };
}
pub(crate) use notifications_ops;
