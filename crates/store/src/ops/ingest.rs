//! Ingest: one normalized batch, one transaction, a fixed handful of statements.

use crate::ops::ingest_steps::StoredMessage;
use crate::plan::PreparedMessage;

/// What happens to one message of a batch.
pub(crate) enum Fate<'a> {
    New,
    Changed(&'a StoredMessage),
    Unchanged,
}

pub(crate) fn fate<'a>(
    message: &PreparedMessage<'_>,
    stored: &'a std::collections::HashMap<String, StoredMessage>,
) -> Fate<'a> {
    match stored.get(message.message.platform_id.as_str()) {
        None => Fate::New,
        Some(row) if row.content_hash != message.content_hash => Fate::Changed(row),
        Some(_) => Fate::Unchanged,
    }
}

pub(crate) const UPSERT_MESSAGES_SQL: &str = include_str!("../sql/upsert_messages.sql");
pub(crate) const UPSERT_MESSAGES_CONFLICT_SQL: &str =
    include_str!("../sql/upsert_messages_conflict.sql");

macro_rules! ingest_ops {
    () => {
        impl This {
            async fn ingest_impl(&self, mut batch: IngestBatch) -> StoreResult<IngestOutcome> {
                use crate::ops::ingest::{fate, Fate};
                use crate::plan::{ConversationState, Delta};
                use std::collections::HashMap;

                crate::plan::replace_nul_characters(&mut batch);
                let prepared = crate::plan::prepare(&batch)?;
                let now = crate::time::to_micros(crate::time::now());
                let account_id = batch.account_id.0;
                let mut tx = self.begin_write().await?;

                let account: Option<(i64, String)> =
                    sqlx::query_as("select brand_id, channel from accounts where id = $1")
                        .bind(account_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?;
                let (brand_id, channel) =
                    account.ok_or_else(|| StoreError::not_found("account", batch.account_id))?;

                let contacts =
                    Self::upsert_contacts(&mut tx, &channel, &prepared.contacts, now).await?;
                let contact_id = |m: &crate::plan::PreparedMessage<'_>| -> StoreResult<i64> {
                    contacts
                        .by_platform_id
                        .get(m.message.author.platform_id.as_str())
                        .copied()
                        .ok_or_else(|| {
                            StoreError::Corrupt(format!(
                                "no contact for {}",
                                m.message.author.platform_id
                            ))
                        })
                };
                let stored = Self::stored_messages(&mut tx, account_id, &prepared.messages).await?;
                let fates: Vec<Fate<'_>> =
                    prepared.messages.iter().map(|m| fate(m, &stored)).collect();

                // What the batch adds to each conversation: new messages by key, titles of edited
                // messages by the conversation they are stored in. Vectors keep first-seen order.
                let mut key_deltas: Vec<(&str, Delta)> = Vec::new();
                let mut id_deltas: Vec<(i64, Delta)> = Vec::new();
                let mut key_slot: HashMap<&str, usize> = HashMap::new();
                let mut id_slot: HashMap<i64, usize> = HashMap::new();
                for (m, fate) in prepared.messages.iter().zip(&fates) {
                    let created_at = m.message.created_at.timestamp_micros();
                    let title = m.message.thread_title.as_deref();
                    let delta = match fate {
                        Fate::New => {
                            let slot = *key_slot.entry(m.key.as_str()).or_insert_with(|| {
                                key_deltas.push((m.key.as_str(), Delta::default()));
                                key_deltas.len() - 1
                            });
                            let delta = &mut key_deltas[slot].1;
                            delta.add_new(created_at, m.message.direction, contact_id(m)?);
                            delta
                        }
                        Fate::Changed(row) => {
                            let slot = *id_slot.entry(row.conversation_id).or_insert_with(|| {
                                id_deltas.push((row.conversation_id, Delta::default()));
                                id_deltas.len() - 1
                            });
                            &mut id_deltas[slot].1
                        }
                        Fate::Unchanged => continue,
                    };
                    delta.add_title(created_at, title);
                }

                let keys: Vec<&str> = key_deltas.iter().map(|(k, _)| *k).collect();
                let ids: Vec<i64> = id_deltas.iter().map(|(id, _)| *id).collect();
                let states = Self::conversation_states(&mut tx, account_id, &keys, &ids).await?;
                let mut key_to_id: HashMap<String, i64> = HashMap::new();
                let mut before: HashMap<i64, ConversationState> = HashMap::new();
                for state in states {
                    key_to_id.insert(state.key.clone(), state.id);
                    before.insert(state.id, state);
                }
                let mut after = before.clone();
                let mut touched: Vec<i64> = Vec::new();
                let mut created: Vec<ConversationState> = Vec::new();
                for (key, delta) in &key_deltas {
                    match key_to_id.get(*key).and_then(|id| after.get_mut(id)) {
                        Some(state) => {
                            *state = delta.apply(state);
                            touched.push(state.id);
                        }
                        None => created.push(delta.initial(key)),
                    }
                }
                for (id, delta) in &id_deltas {
                    if let Some(state) = after.get_mut(id) {
                        *state = delta.apply(state);
                        touched.push(*id);
                    }
                }
                touched.dedup();
                let mut updated: Vec<ConversationState> = Vec::new();
                for id in touched {
                    if let (Some(old), Some(new)) = (before.get(&id), after.get(&id)) {
                        if old != new && !updated.iter().any(|u| u.id == id) {
                            updated.push(new.clone());
                        }
                    }
                }
                let created_ids = Self::insert_conversations(
                    &mut tx,
                    (account_id, brand_id, channel.as_str()),
                    &created,
                    now,
                )
                .await?;
                Self::update_conversation_states(&mut tx, &before, &updated, now).await?;
                key_to_id.extend(created_ids.iter().map(|(k, id)| (k.clone(), *id)));

                // The message rows to write, with the conversation and author each belongs to.
                let mut rows: Vec<(&crate::plan::PreparedMessage<'_>, i64, i64)> = Vec::new();
                for (m, fate) in prepared.messages.iter().zip(&fates) {
                    match fate {
                        Fate::New => {
                            let conversation =
                                key_to_id.get(m.key.as_str()).copied().ok_or_else(|| {
                                    StoreError::Corrupt(format!(
                                        "no conversation for {}",
                                        m.key.as_str()
                                    ))
                                })?;
                            rows.push((m, conversation, contact_id(m)?));
                        }
                        Fate::Changed(row) => rows.push((m, row.conversation_id, row.contact_id)),
                        Fate::Unchanged => {}
                    }
                }
                let written =
                    Self::upsert_messages(&mut tx, account_id, &channel, &rows, now).await?;

                let mut changes: Vec<crate::ops::feed::NewChange> = Vec::new();
                let mut outcome = IngestOutcome::default();
                for id in &contacts.updated {
                    changes.push(crate::ops::feed::NewChange {
                        kind: ChangeKind::ContactUpdated,
                        entity_id: *id,
                        conversation_id: None,
                    });
                }
                for state in &created {
                    if let Some(id) = created_ids.get(&state.key) {
                        changes.push(crate::ops::feed::NewChange {
                            kind: ChangeKind::ConversationCreated,
                            entity_id: *id,
                            conversation_id: Some(*id),
                        });
                    }
                }
                for (m, conversation, _) in &rows {
                    let Some(id) = written.get(m.message.platform_id.as_str()) else { continue };
                    let kind = if stored.contains_key(m.message.platform_id.as_str()) {
                        outcome.updated += 1;
                        ChangeKind::MessageUpdated
                    } else {
                        outcome.inserted += 1;
                        ChangeKind::MessageCreated
                    };
                    changes.push(crate::ops::feed::NewChange {
                        kind,
                        entity_id: *id,
                        conversation_id: Some(*conversation),
                    });
                    if !outcome.conversations.contains(&ConversationId(*conversation)) {
                        outcome.conversations.push(ConversationId(*conversation));
                    }
                }
                let reshaped = updated.iter().filter(|state| {
                    before.get(&state.id).is_some_and(|old| old.differs_beyond_counters(state))
                });
                for state in reshaped {
                    changes.push(crate::ops::feed::NewChange {
                        kind: ChangeKind::ConversationUpdated,
                        entity_id: state.id,
                        conversation_id: Some(state.id),
                    });
                }
                outcome.updated += prepared.edits_within_batch;
                outcome.unchanged = (batch.messages.len() as u64)
                    .saturating_sub(outcome.inserted + outcome.updated);
                outcome.last_seq = Self::append_changes(&mut tx, &changes, now).await?;
                Self::save_cursors(&mut tx, account_id, &prepared.cursors, now).await?;
                tx.commit().await.db()?;
                tracing::debug!(
                    account_id,
                    inserted = outcome.inserted,
                    updated = outcome.updated,
                    unchanged = outcome.unchanged,
                    "ingested batch"
                );
                Ok(outcome)
            }

            /// Inserts new messages and rewrites edited ones; returns the ids of the rows written.
            async fn upsert_messages(
                conn: &mut <Db as sqlx::Database>::Connection,
                account_id: i64,
                channel: &str,
                rows: &[(&crate::plan::PreparedMessage<'_>, i64, i64)],
                now: i64,
            ) -> StoreResult<std::collections::HashMap<String, i64>> {
                let mut written = std::collections::HashMap::with_capacity(rows.len());
                for chunk in rows.chunks(crate::sql::rows_per_statement(17, 0)) {
                    let sql = format!(
                        "{} {} {}",
                        crate::ops::ingest::UPSERT_MESSAGES_SQL,
                        crate::sql::tuples(chunk.len(), 17, 1),
                        crate::ops::ingest::UPSERT_MESSAGES_CONFLICT_SQL
                    );
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query_as::<Db, (i64, String)>(&sql);
                    for (m, conversation_id, contact_id) in chunk {
                        let message = m.message;
                        query = query
                            .bind(account_id)
                            .bind(*conversation_id)
                            .bind(*contact_id)
                            .bind(channel)
                            .bind(message.platform_id.as_str())
                            .bind(message.kind.as_str())
                            .bind(message.direction.as_str())
                            .bind(message.parent_platform_id.as_ref().map(|id| id.as_str()))
                            .bind(message.thread_platform_id.as_ref().map(|id| id.as_str()))
                            .bind(message.text.as_str())
                            .bind(message.lang.as_deref())
                            .bind(m.raw_json.as_str())
                            .bind(m.content_hash)
                            .bind(message.created_at.timestamp_micros())
                            .bind(now)
                            .bind(now)
                            .bind(message.deleted_at.map(|at| at.timestamp_micros()));
                    }
                    written.extend(
                        query.fetch_all(&mut *conn).await.db()?.into_iter().map(|(id, p)| (p, id)),
                    );
                }
                Ok(written)
            }
        }
    };
}
pub(crate) use ingest_ops;
