//! The set-based statements ingest is made of. Each runs a handful of multi-row statements for the
//! whole batch, never one per message.

use std::collections::HashMap;

/// A message already stored under one of the batch's platform ids.
#[derive(sqlx::FromRow)]
pub(crate) struct StoredMessage {
    pub platform_id: String,
    pub conversation_id: i64,
    pub contact_id: i64,
    pub content_hash: i64,
}

/// Contact ids by platform id, and the stored contacts whose description changed.
pub(crate) struct ContactIds {
    pub by_platform_id: HashMap<String, i64>,
    pub updated: Vec<i64>,
}

pub(crate) const CONVERSATION_STATE_COLUMNS: &str = "id, key, subject, contact_id, status, \
     snoozed_until, message_count, last_message_at, last_inbound_at";

/// Largest `in (…)` list per select: big enough for a whole batch, far under the bind limits.
pub(crate) const LOOKUP_CHUNK: usize = 2_000;

macro_rules! ingest_steps_ops {
    () => {
        impl This {
            /// Upserts the batch's authors on (channel, platform id). A stored contact is rewritten
            /// only when its description hash differs and the new description is not older.
            async fn upsert_contacts(
                conn: &mut <Db as sqlx::Database>::Connection,
                channel: &str,
                contacts: &[crate::plan::PreparedContact<'_>],
                now: i64,
            ) -> StoreResult<crate::ops::ingest_steps::ContactIds> {
                use std::collections::HashMap;
                let mut stored: HashMap<String, (i64, i64, i64)> = HashMap::new();
                for chunk in contacts.chunks(crate::ops::ingest_steps::LOOKUP_CHUNK) {
                    let sql = format!(
                        "select id, platform_id, description_hash, described_at from contacts \
                         where channel = $1 and platform_id in ({})",
                        crate::sql::list(chunk.len(), 2)
                    );
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query_as::<Db, (i64, String, i64, i64)>(&sql).bind(channel);
                    for contact in chunk {
                        query = query.bind(contact.contact.platform_id.as_str());
                    }
                    for (id, platform_id, hash, described_at) in query.fetch_all(&mut *conn).await.db()? {
                        stored.insert(platform_id, (id, hash, described_at));
                    }
                }
                let mut ids = crate::ops::ingest_steps::ContactIds {
                    by_platform_id: stored.iter().map(|(k, v)| (k.clone(), v.0)).collect(),
                    updated: Vec::new(),
                };
                let mut to_write: Vec<&crate::plan::PreparedContact<'_>> = contacts
                    .iter()
                    .filter(|c| match stored.get(c.contact.platform_id.as_str()) {
                        None => true,
                        Some(&(_, hash, described_at)) => {
                            hash != c.description_hash && described_at <= c.described_at
                        }
                    })
                    .collect();
                // One order for every writer, so concurrent upserts of shared authors on
                // PostgreSQL queue behind each other instead of deadlocking.
                to_write.sort_by(|a, b| a.contact.platform_id.cmp(&b.contact.platform_id));
                for chunk in to_write.chunks(crate::sql::rows_per_statement(11, 0)) {
                    let sql = format!(
                        "insert into contacts (channel, platform_id, handle, handle_key, \
                         display_name, follower_count, verified, description_hash, described_at, \
                         created_at, updated_at) values {} \
                         on conflict (channel, platform_id) do update set \
                         handle = excluded.handle, handle_key = excluded.handle_key, \
                         display_name = excluded.display_name, \
                         follower_count = excluded.follower_count, verified = excluded.verified, \
                         description_hash = excluded.description_hash, \
                         described_at = excluded.described_at, updated_at = excluded.updated_at \
                         where contacts.description_hash <> excluded.description_hash \
                         and contacts.described_at <= excluded.described_at \
                         returning id, platform_id",
                        crate::sql::tuples(chunk.len(), 11, 1)
                    );
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query_as::<Db, (i64, String)>(&sql);
                    for c in chunk {
                        let handle = c.contact.handle.as_ref();
                        query = query
                            .bind(channel)
                            .bind(c.contact.platform_id.as_str())
                            .bind(handle.map(|h| h.as_str()))
                            .bind(handle.map(|h| h.key()))
                            .bind(c.contact.display_name.as_deref())
                            .bind(c.contact.follower_count)
                            .bind(c.contact.verified)
                            .bind(c.description_hash)
                            .bind(c.described_at)
                            .bind(now)
                            .bind(now);
                    }
                    for (id, platform_id) in query.fetch_all(&mut *conn).await.db()? {
                        if stored.contains_key(&platform_id) {
                            ids.updated.push(id);
                        }
                        ids.by_platform_id.insert(platform_id, id);
                    }
                }
                // Another transaction may have inserted one of these contacts between our select
                // and our upsert (the same person writing to two accounts polled by two nodes);
                // its row is committed by now, so read the ids that are still missing.
                let missing: Vec<&str> = contacts
                    .iter()
                    .map(|c| c.contact.platform_id.as_str())
                    .filter(|p| !ids.by_platform_id.contains_key(*p))
                    .collect();
                for chunk in missing.chunks(crate::ops::ingest_steps::LOOKUP_CHUNK) {
                    let sql = format!(
                        "select id, platform_id from contacts where channel = $1 and platform_id in ({})",
                        crate::sql::list(chunk.len(), 2)
                    );
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query_as::<Db, (i64, String)>(&sql).bind(channel);
                    for platform_id in chunk {
                        query = query.bind(*platform_id);
                    }
                    for (id, platform_id) in query.fetch_all(&mut *conn).await.db()? {
                        ids.by_platform_id.insert(platform_id, id);
                    }
                }
                Ok(ids)
            }

            /// The batch's messages that are already stored, by platform id.
            async fn stored_messages(
                conn: &mut <Db as sqlx::Database>::Connection,
                account_id: i64,
                messages: &[crate::plan::PreparedMessage<'_>],
            ) -> StoreResult<std::collections::HashMap<String, crate::ops::ingest_steps::StoredMessage>> {
                let mut stored = std::collections::HashMap::new();
                for chunk in messages.chunks(crate::ops::ingest_steps::LOOKUP_CHUNK) {
                    let sql = format!(
                        "select platform_id, conversation_id, contact_id, content_hash \
                         from messages where account_id = $1 and platform_id in ({})",
                        crate::sql::list(chunk.len(), 2)
                    );
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query_as::<Db, crate::ops::ingest_steps::StoredMessage>(&sql)
                        .bind(account_id);
                    for message in chunk {
                        query = query.bind(message.message.platform_id.as_str());
                    }
                    for row in query.fetch_all(&mut *conn).await.db()? {
                        stored.insert(row.platform_id.clone(), row);
                    }
                }
                Ok(stored)
            }

            /// The ingest-maintained state of conversations, selected by key or by id, locked
            /// for this transaction where the backend needs it.
            async fn conversation_states(
                conn: &mut <Db as sqlx::Database>::Connection,
                account_id: i64,
                keys: &[&str],
                ids: &[i64],
            ) -> StoreResult<Vec<crate::plan::ConversationState>> {
                let mut states = Vec::new();
                for chunk in keys.chunks(crate::ops::ingest_steps::LOOKUP_CHUNK) {
                    let sql = format!(
                        "select {} from conversations where account_id = $1 and key in ({}){}",
                        crate::ops::ingest_steps::CONVERSATION_STATE_COLUMNS,
                        crate::sql::list(chunk.len(), 2),
                        <This as crate::dialect::Dialect>::FOR_UPDATE
                    );
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query =
                        sqlx::query_as::<Db, crate::plan::ConversationState>(&sql).bind(account_id);
                    for key in chunk {
                        query = query.bind(*key);
                    }
                    states.extend(query.fetch_all(&mut *conn).await.db()?);
                }
                for chunk in ids.chunks(crate::ops::ingest_steps::LOOKUP_CHUNK) {
                    let sql = format!(
                        "select {} from conversations where id in ({}){}",
                        crate::ops::ingest_steps::CONVERSATION_STATE_COLUMNS,
                        crate::sql::list(chunk.len(), 1),
                        <This as crate::dialect::Dialect>::FOR_UPDATE
                    );
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query_as::<Db, crate::plan::ConversationState>(&sql);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    states.extend(query.fetch_all(&mut *conn).await.db()?);
                }
                Ok(states)
            }

            /// Inserts new conversations, returning their ids by key.
            async fn insert_conversations(
                conn: &mut <Db as sqlx::Database>::Connection,
                account: (i64, i64, &str),
                created: &[crate::plan::ConversationState],
                now: i64,
            ) -> StoreResult<std::collections::HashMap<String, i64>> {
                let (account_id, brand_id, channel) = account;
                let mut ids = std::collections::HashMap::new();
                for chunk in created.chunks(crate::sql::rows_per_statement(14, 0)) {
                    let sql = format!(
                        "insert into conversations (account_id, brand_id, channel, key, subject, \
                         contact_id, status, priority, message_count, last_message_at, \
                         last_inbound_at, snoozed_until, created_at, updated_at) values {} \
                         on conflict (account_id, key) do nothing returning id, key",
                        crate::sql::tuples(chunk.len(), 14, 1)
                    );
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query_as::<Db, (i64, String)>(&sql);
                    for c in chunk {
                        query = query
                            .bind(account_id)
                            .bind(brand_id)
                            .bind(channel)
                            .bind(c.key.as_str())
                            .bind(c.subject.as_deref())
                            .bind(c.contact_id)
                            .bind(c.status.as_str())
                            .bind(trellis_core::Priority::default().as_str())
                            .bind(c.message_count)
                            .bind(c.last_message_at)
                            .bind(c.last_inbound_at)
                            .bind(c.snoozed_until)
                            .bind(now)
                            .bind(now);
                    }
                    ids.extend(query.fetch_all(&mut *conn).await.db()?.into_iter().map(|(id, key)| (key, id)));
                }
                if let Some(missing) = created.iter().find(|c| !ids.contains_key(&c.key)) {
                    return Err(StoreError::Conflict(format!(
                        "conversation {} was created concurrently, retry the batch",
                        missing.key
                    )));
                }
                Ok(ids)
            }

            /// Writes the new ingest-maintained state of existing conversations, and a
            /// `status_changed` timeline event (by the system) for each one a new inbound message
            /// reopened, so the SLA history is complete whatever changed the status. `before` holds
            /// the states as read; the events cost one insert, only in batches that reopen.
            async fn update_conversation_states(
                conn: &mut <Db as sqlx::Database>::Connection,
                before: &std::collections::HashMap<i64, crate::plan::ConversationState>,
                updated: &[crate::plan::ConversationState],
                now: i64,
            ) -> StoreResult<()> {
                for chunk in updated.chunks(crate::sql::rows_per_statement(8, 1)) {
                    let sql = format!(
                        "with v (id, subject, contact_id, status, snoozed_until, message_count, \
                         last_message_at, last_inbound_at) as (values {}) \
                         update conversations set subject = v.subject, \
                         contact_id = v.contact_id, status = v.status, \
                         snoozed_until = v.snoozed_until, message_count = v.message_count, \
                         last_message_at = v.last_message_at, \
                         last_inbound_at = v.last_inbound_at, updated_at = ${} \
                         from v where conversations.id = v.id",
                        crate::sql::tuples(chunk.len(), 8, 1),
                        chunk.len() * 8 + 1
                    );
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query::<Db>(&sql);
                    for c in chunk {
                        query = query
                            .bind(c.id)
                            .bind(c.subject.as_deref())
                            .bind(c.contact_id)
                            .bind(c.status.as_str())
                            .bind(c.snoozed_until)
                            .bind(c.message_count)
                            .bind(c.last_message_at)
                            .bind(c.last_inbound_at);
                    }
                    query = query.bind(now);
                    query.execute(&mut *conn).await.db()?;
                }
                let mut reopened: Vec<NewTimelineEvent> = Vec::new();
                for state in updated {
                    let Some(old) = before.get(&state.id) else { continue };
                    if old.status != state.status {
                        reopened.push(NewTimelineEvent {
                            conversation_id: ConversationId(state.id),
                            at: crate::time::from_micros(now)?,
                            actor: Actor::System,
                            kind: "status_changed".to_owned(),
                            detail: serde_json::json!({ "from": old.status, "to": state.status }),
                        });
                    }
                }
                if !reopened.is_empty() {
                    Self::insert_timeline(conn, &reopened).await?;
                }
                Ok(())
            }

            /// Saves the batch's stream cursors.
            async fn save_cursors(
                conn: &mut <Db as sqlx::Database>::Connection,
                account_id: i64,
                cursors: &[&trellis_core::CursorUpdate],
                now: i64,
            ) -> StoreResult<()> {
                for chunk in cursors.chunks(crate::sql::rows_per_statement(4, 0)) {
                    let sql = format!(
                        "insert into cursors (account_id, stream, value, updated_at) values {} \
                         on conflict (account_id, stream) do update set value = excluded.value, \
                         updated_at = excluded.updated_at",
                        crate::sql::tuples(chunk.len(), 4, 1)
                    );
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query::<Db>(&sql);
                    for cursor in chunk {
                        query = query
                            .bind(account_id)
                            .bind(cursor.stream.as_str())
                            .bind(cursor.value.as_str())
                            .bind(now);
                    }
                    query.execute(&mut *conn).await.db()?;
                }
                Ok(())
            }
        }
    };
}
pub(crate) use ingest_steps_ops;
