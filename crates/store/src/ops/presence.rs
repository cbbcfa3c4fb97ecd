//! Presence on conversations (migration 0007): who is viewing one or typing a reply in it. A row
//! per person and conversation; a new presence, a new state and an end each append
//! `presence_updated` in the same transaction, so every node's live events learn of it from the
//! feed, while a renewal that changes nothing only moves the expiry.

macro_rules! presence_ops {
    () => {
        impl This {
            async fn set_presence_impl(
                &self,
                entry: trellis_core::PresenceEntry,
            ) -> StoreResult<bool> {
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let (conversation, user) = (entry.conversation_id.0, entry.user_id.0);
                Self::require(&mut tx, "select id from users where id = $1", user, "user").await?;
                let sql = "select id from conversations where id = $1";
                Self::require(&mut tx, sql, conversation, "conversation").await?;
                let previous: Option<(String, i64)> = sqlx::query_as(
                    "select state, expires_at from presence \
                     where conversation_id = $1 and user_id = $2",
                )
                .bind(conversation)
                .bind(user)
                .fetch_optional(&mut *tx)
                .await
                .db()?;
                sqlx::query(
                    "insert into presence (conversation_id, user_id, state, expires_at) \
                     values ($1, $2, $3, $4) on conflict (conversation_id, user_id) do update \
                     set state = excluded.state, expires_at = excluded.expires_at",
                )
                .bind(conversation)
                .bind(user)
                .bind(entry.state.as_str())
                .bind(crate::time::to_micros(entry.expires_at))
                .execute(&mut *tx)
                .await
                .db()?;
                // An expired row not yet swept counts as gone: coming back is news.
                let changed = match previous {
                    Some((state, expires_at)) => {
                        state != entry.state.as_str() || expires_at <= now
                    }
                    None => true,
                };
                if changed {
                    let change = crate::ops::feed::NewChange {
                        kind: ChangeKind::PresenceUpdated,
                        entity_id: user,
                        conversation_id: Some(conversation),
                    };
                    Self::append_changes(&mut tx, &[change], now).await?;
                }
                tx.commit().await.db()?;
                Ok(changed)
            }

            async fn clear_presence_impl(
                &self,
                conversation: ConversationId,
                user: UserId,
            ) -> StoreResult<bool> {
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let gone = sqlx::query(
                    "delete from presence where conversation_id = $1 and user_id = $2",
                )
                .bind(conversation.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await
                .db()?
                .rows_affected();
                if gone > 0 {
                    let change = crate::ops::feed::NewChange {
                        kind: ChangeKind::PresenceUpdated,
                        entity_id: user.0,
                        conversation_id: Some(conversation.0),
                    };
                    Self::append_changes(&mut tx, &[change], now).await?;
                }
                tx.commit().await.db()?;
                Ok(gone > 0)
            }

            async fn expire_presence_impl(
                &self,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<u64> {
                let now = crate::time::to_micros(crate::time::now());
                let mut tx = self.begin_write().await?;
                let gone: Vec<(i64, i64)> = sqlx::query_as(
                    "delete from presence where expires_at <= $1 \
                     returning conversation_id, user_id",
                )
                .bind(crate::time::to_micros(at))
                .fetch_all(&mut *tx)
                .await
                .db()?;
                let changes: Vec<_> = gone
                    .iter()
                    .map(|(conversation, user)| crate::ops::feed::NewChange {
                        kind: ChangeKind::PresenceUpdated,
                        entity_id: *user,
                        conversation_id: Some(*conversation),
                    })
                    .collect();
                if !changes.is_empty() {
                    Self::append_changes(&mut tx, &changes, now).await?;
                }
                tx.commit().await.db()?;
                Ok(gone.len() as u64)
            }

            async fn presence_impl(
                &self,
                conversation: ConversationId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<Vec<trellis_core::PresenceEntry>> {
                let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(
                    "select conversation_id, user_id, state, expires_at from presence \
                     where conversation_id = $1 and expires_at > $2 order by user_id",
                )
                .bind(conversation.0)
                .bind(crate::time::to_micros(at))
                .fetch_all(self.reader())
                .await
                .db()?;
                rows.into_iter().map(presence_entry).collect()
            }

            async fn presence_of_impl(
                &self,
                conversation: ConversationId,
                user: UserId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<Option<trellis_core::PresenceEntry>> {
                let row: Option<(i64, i64, String, i64)> = sqlx::query_as(
                    "select conversation_id, user_id, state, expires_at from presence \
                     where conversation_id = $1 and user_id = $2 and expires_at > $3",
                )
                .bind(conversation.0)
                .bind(user.0)
                .bind(crate::time::to_micros(at))
                .fetch_optional(self.reader())
                .await
                .db()?;
                row.map(presence_entry).transpose()
            }
        }

        fn presence_entry(
            (conversation, user, state, expires_at): (i64, i64, String, i64),
        ) -> StoreResult<trellis_core::PresenceEntry> {
            Ok(trellis_core::PresenceEntry {
                conversation_id: ConversationId(conversation),
                user_id: UserId(user),
                state: state
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("presence state {state:?}")))?,
                expires_at: crate::time::from_micros(expires_at)?,
            })
        }
    };
}
pub(crate) use presence_ops;
