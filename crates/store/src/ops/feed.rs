//! The change feed (append and follow) and the search projection built from the store.

use trellis_core::ChangeKind;

/// A change about to be appended; `seq` and `at` are assigned on insert.
pub(crate) struct NewChange {
    pub kind: ChangeKind,
    pub entity_id: i64,
    pub conversation_id: Option<i64>,
}

pub(crate) const INDEX_DOCS_SQL: &str = include_str!("../sql/index_docs.sql");

macro_rules! feed_ops {
    () => {
        impl This {
            /// Appends `changes` in order, returning the last seq written. Every write to
            /// `changes` goes through here so the commit-order lock and the live-event doorbell
            /// are never forgotten.
            async fn append_changes(
                conn: &mut <Db as sqlx::Database>::Connection,
                changes: &[crate::ops::feed::NewChange],
                at: i64,
            ) -> StoreResult<Option<Seq>> {
                if changes.is_empty() {
                    return Ok(None);
                }
                if let Some(lock) = <This as crate::dialect::Dialect>::LOCK_CHANGE_FEED {
                    sqlx::query(lock).execute(&mut *conn).await.db()?;
                }
                for chunk in changes.chunks(crate::sql::rows_per_statement(3, 1)) {
                    let sql = format!(
                        "insert into changes (at, kind, entity_id, conversation_id) \
                         select $1, v.column1, v.column2, v.column3 from (values {}) v",
                        crate::sql::tuples(chunk.len(), 3, 2)
                    );
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query::<Db>(&sql).bind(at);
                    for change in chunk {
                        query = query
                            .bind(change.kind.as_str())
                            .bind(change.entity_id)
                            .bind(change.conversation_id);
                    }
                    query.execute(&mut *conn).await.db()?;
                }
                if let Some(notify) = <This as crate::dialect::Dialect>::NOTIFY_CHANGES {
                    sqlx::query(notify).execute(&mut *conn).await.db()?;
                }
                // Appends are serialized until commit (one writer on SQLite, the advisory lock
                // on PostgreSQL), so the newest seq this transaction sees is the last one it
                // wrote. Reading it back is one row, where `returning seq` sent a row per change
                // across sqlx's connection thread.
                let last: Option<i64> = sqlx::query_scalar("select max(seq) from changes")
                    .fetch_one(&mut *conn)
                    .await
                    .db()?;
                Ok(last.map(Seq))
            }

            async fn changes_since_impl(&self, after: Seq, limit: u32) -> StoreResult<Vec<Change>> {
                let rows: Vec<crate::rows::ChangeRow> = sqlx::query_as(
                    "select seq, kind, entity_id, conversation_id, at from changes \
                     where seq > $1 order by seq limit $2",
                )
                .bind(after.0)
                .bind(i64::from(limit))
                .fetch_all(self.reader())
                .await
                .db()?;
                rows.into_iter().map(crate::rows::ChangeRow::into_domain).collect()
            }

            async fn latest_seq_impl(&self) -> StoreResult<Seq> {
                let seq: Option<i64> = sqlx::query_scalar("select max(seq) from changes")
                    .fetch_one(self.reader())
                    .await
                    .db()?;
                Ok(Seq(seq.unwrap_or(0)))
            }

            /// Runs the index-doc join with `tail` (a `where … order by …`) and attaches the
            /// conversations' tags with one more query.
            async fn index_docs_where(
                &self,
                tail: &str,
                ids: &[i64],
                limit: Option<i64>,
            ) -> StoreResult<Vec<IndexDoc>> {
                let sql = format!("{} {tail}", crate::ops::feed::INDEX_DOCS_SQL);
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let mut query = sqlx::query_as::<Db, crate::rows::IndexDocRow>(&sql);
                for id in ids {
                    query = query.bind(*id);
                }
                if let Some(limit) = limit {
                    query = query.bind(limit);
                }
                let rows = query.fetch_all(self.reader()).await.db()?;
                let mut conversation_ids: Vec<i64> =
                    rows.iter().map(|row| row.conversation_id).collect();
                conversation_ids.sort_unstable();
                conversation_ids.dedup();
                let tags = self.conversation_tags(&conversation_ids).await?;
                rows.into_iter().map(|row| row.into_domain(&tags)).collect()
            }

            async fn index_docs_impl(&self, messages: &[MessageId]) -> StoreResult<Vec<IndexDoc>> {
                let mut docs = Vec::with_capacity(messages.len());
                for chunk in messages.chunks(crate::sql::rows_per_statement(1, 0)) {
                    let ids: Vec<i64> = chunk.iter().map(|id| id.0).collect();
                    let tail =
                        format!("where m.id in ({}) order by m.id", crate::sql::list(ids.len(), 1));
                    docs.extend(self.index_docs_where(&tail, &ids, None).await?);
                }
                Ok(docs)
            }

            async fn conversation_index_docs_impl(
                &self,
                conversations: &[ConversationId],
            ) -> StoreResult<Vec<IndexDoc>> {
                let mut docs = Vec::new();
                for chunk in conversations.chunks(crate::sql::rows_per_statement(1, 0)) {
                    let ids: Vec<i64> = chunk.iter().map(|id| id.0).collect();
                    let tail = format!(
                        "where m.conversation_id in ({}) order by m.id",
                        crate::sql::list(ids.len(), 1)
                    );
                    docs.extend(self.index_docs_where(&tail, &ids, None).await?);
                }
                Ok(docs)
            }

            async fn scan_index_docs_impl(
                &self,
                after: MessageId,
                limit: u32,
            ) -> StoreResult<Vec<IndexDoc>> {
                self.index_docs_where(
                    "where m.id > $1 order by m.id limit $2",
                    &[after.0],
                    Some(i64::from(limit)),
                )
                .await
            }

            /// Tags of these conversations, read in pages of ids.
            async fn conversation_tags(&self, ids: &[i64]) -> StoreResult<crate::rows::TagMap> {
                let mut rows = Vec::new();
                for chunk in ids.chunks(crate::sql::rows_per_statement(1, 0)) {
                    let sql = format!(
                        "select conversation_id as owner_id, tag from conversation_tags \
                         where conversation_id in ({})",
                        crate::sql::list(chunk.len(), 1)
                    );
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query_as::<Db, crate::rows::TagRow>(&sql);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    rows.extend(query.fetch_all(self.reader()).await.db()?);
                }
                crate::rows::tag_map(rows)
            }
        }
    };
}
pub(crate) use feed_ops;
