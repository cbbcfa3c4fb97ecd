//! Single-entity reads: messages, contacts, conversations, cursors, counts.

macro_rules! reads_ops {
    () => {
        impl This {
            async fn cursor_impl(&self, account: AccountId, stream: &str) -> StoreResult<Option<String>> {
                sqlx::query_scalar("select value from cursors where account_id = $1 and stream = $2")
                    .bind(account.0)
                    .bind(stream)
                    .fetch_optional(self.reader())
                    .await
                    .db()
            }

            async fn get_message_impl(&self, id: MessageId) -> StoreResult<Message> {
                let sql = format!("select {} from messages where id = $1", crate::rows::MESSAGE_COLUMNS);
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let row: Option<crate::rows::MessageRow> =
                    sqlx::query_as(&sql).bind(id.0).fetch_optional(self.reader()).await.db()?;
                row.ok_or_else(|| StoreError::not_found("message", id))?.into_domain()
            }

            async fn conversation_messages_impl(&self, id: ConversationId) -> StoreResult<Vec<Message>> {
                let mut conn = self.reader().acquire().await.db()?;
                Self::require(&mut conn, "select id from conversations where id = $1", id.0, "conversation")
                    .await?;
                let sql = format!(
                    "select {} from messages where conversation_id = $1 order by created_at, id",
                    crate::rows::MESSAGE_COLUMNS
                );
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let rows: Vec<crate::rows::MessageRow> =
                    sqlx::query_as(&sql).bind(id.0).fetch_all(&mut *conn).await.db()?;
                rows.into_iter().map(crate::rows::MessageRow::into_domain).collect()
            }

            async fn get_contact_impl(&self, id: ContactId) -> StoreResult<Contact> {
                let mut contacts = self.contacts_where("id = $1", id.0).await?;
                contacts.pop().ok_or_else(|| StoreError::not_found("contact", id))
            }

            /// Contacts matching `condition` (on one bound id), with their tags.
            async fn contacts_where(&self, condition: &str, id: i64) -> StoreResult<Vec<Contact>> {
                let sql = format!(
                    "select {} from contacts where {condition} order by id",
                    crate::rows::CONTACT_COLUMNS
                );
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let rows: Vec<crate::rows::ContactRow> =
                    sqlx::query_as(&sql).bind(id).fetch_all(self.reader()).await.db()?;
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
                let sql = format!(
                    "select contact_id as owner_id, tag from contact_tags where contact_id in ({})",
                    crate::sql::list(ids.len(), 1)
                );
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let mut query = sqlx::query_as::<Db, crate::rows::TagRow>(&sql);
                for id in &ids {
                    query = query.bind(*id);
                }
                let mut tags = crate::rows::tag_map(query.fetch_all(self.reader()).await.db()?)?;
                rows.into_iter().map(|row| row.into_domain(&mut tags)).collect()
            }

            async fn get_conversation_impl(&self, id: ConversationId) -> StoreResult<Conversation> {
                let sql = format!(
                    "select {} from conversations where id = $1",
                    crate::rows::CONVERSATION_COLUMNS
                );
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let row: Option<crate::rows::ConversationRow> =
                    sqlx::query_as(&sql).bind(id.0).fetch_optional(self.reader()).await.db()?;
                let row = row.ok_or_else(|| StoreError::not_found("conversation", id))?;
                let mut tags = self.conversation_tags(&[row.id]).await?;
                row.into_domain(&mut tags)
            }

            async fn message_count_impl(&self) -> StoreResult<u64> {
                let count: i64 = sqlx::query_scalar("select count(*) from messages")
                    .fetch_one(self.reader())
                    .await
                    .db()?;
                Ok(u64::try_from(count).unwrap_or_default())
            }
        }
    };
}
pub(crate) use reads_ops;
