//! `ContactStore` for a backend: a contact's person, contacts found by the beginning of their
//! handle or name, a contact's messages across channels, and the tags in use with their open
//! counts. The statements are built here, outside the macro, so their text can be unit-tested and
//! explained (`explain_contact_reads`) exactly as they run.

use trellis_core::store::{ContactMessagesFilter, ContactSearch};

/// A value bound into a statement of this file, in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Int(i64),
    Text(String),
}

/// The largest code point: `prefix` followed by it is above every string starting with `prefix`
/// in byte order (UTF-8 preserves code point order), so `key >= prefix and key < that` is the
/// keys starting with `prefix`, as one index range.
const ABOVE_PREFIX: char = '\u{10FFFF}';

/// The two statements of a contact search, handle matches then name matches, each a range read on
/// its prefix index in key order (`contacts_handle_prefix`, `contacts_name_prefix`).
///
/// Handles are matched on `handle_key`, lowercased by trellis at ingest, so the prefix is
/// lowercased here the same way. `name_key` is `lower(display_name)` computed by the database,
/// so the prefix goes through the same `lower()` there.
pub(crate) fn search_queries(search: &ContactSearch) -> [(String, Vec<Bind>); 2] {
    let limit = i64::from(search.limit.clamp(1, ContactSearch::MAX_LIMIT));
    let prefix = search.prefix.as_str();
    let handle = prefix.to_lowercase();
    let channel = if search.channel.is_some() { " and channel = $3" } else { "" };
    let query = |key: &str, from: &str, to: &str, low: String, high: String| {
        let mut binds = vec![Bind::Text(low), Bind::Text(high)];
        binds.extend(search.channel.map(|channel| Bind::Text(channel.as_str().to_owned())));
        let limit_at = binds.len() + 1;
        binds.push(Bind::Int(limit));
        let sql = format!(
            "select {} from contacts where {key} >= {from} and {key} < {to}{channel} \
             order by {key}, id limit ${limit_at}",
            crate::rows::CONTACT_COLUMNS
        );
        (sql, binds)
    };
    [
        query("handle_key", "$1", "$2", handle.clone(), format!("{handle}{ABOVE_PREFIX}")),
        query(
            "name_key",
            "lower($1)",
            "lower($2)",
            prefix.to_owned(),
            format!("{prefix}{ABOVE_PREFIX}"),
        ),
    ]
}

/// The statement reading one page of `filter`'s messages, newest first: `limit + 1` rows, the
/// last telling whether another page follows. `None` when no contact is asked for.
///
/// Served by `messages_contact (contact_id, created_at)`; the brand is checked through the
/// message's account (a handful of rows), so no join widens the read.
pub(crate) fn messages_query(filter: &ContactMessagesFilter) -> Option<(String, Vec<i64>)> {
    if filter.contacts.is_empty() {
        return None;
    }
    let mut binds: Vec<i64> = filter.contacts.iter().map(|contact| contact.0).collect();
    let mut conditions =
        vec![format!("contact_id in ({})", crate::sql::list(filter.contacts.len(), 1))];
    if !filter.brands.is_empty() {
        let first = binds.len() + 1;
        binds.extend(filter.brands.iter().map(|brand| brand.0));
        conditions.push(format!(
            "account_id in (select id from accounts where brand_id in ({}))",
            crate::sql::list(filter.brands.len(), first)
        ));
    }
    if let Some(cursor) = filter.after {
        // A row-value comparison, as in the conversation list: one range on the index.
        binds.push(cursor.created_at.timestamp_micros());
        binds.push(cursor.id.0);
        let (at, id) = (binds.len() - 1, binds.len());
        conditions.push(format!("(created_at, id) < (${at}, ${id})"));
    }
    let limit = filter.limit.clamp(1, ContactMessagesFilter::MAX_LIMIT);
    binds.push(i64::from(limit) + 1);
    let sql = format!(
        "select {} from messages where {} order by created_at desc, id desc limit ${}",
        crate::rows::MESSAGE_COLUMNS,
        conditions.join(" and "),
        binds.len()
    );
    Some((sql, binds))
}

/// Open conversations per tag, driven by the open conversations (`conversations_status`), not
/// by every tagged conversation.
pub(crate) fn open_tags_query(brands: &[trellis_core::BrandId]) -> (String, Vec<Bind>) {
    let mut binds = vec![Bind::Text(trellis_core::ConversationStatus::Open.as_str().to_owned())];
    let mut sql = "select t.tag, count(*) from conversations c \
                   join conversation_tags t on t.conversation_id = c.id where c.status = $1"
        .to_owned();
    if !brands.is_empty() {
        sql.push_str(&format!(" and c.brand_id in ({})", crate::sql::list(brands.len(), 2)));
        binds.extend(brands.iter().map(|brand| Bind::Int(brand.0)));
    }
    sql.push_str(" group by t.tag");
    (sql, binds)
}

macro_rules! contacts_ops {
    () => {
        impl This {
            /// Contacts of these rows, with their tags.
            async fn contacts_with_tags(
                &self,
                rows: Vec<crate::rows::ContactRow>,
            ) -> StoreResult<Vec<Contact>> {
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "select contact_id as owner_id, tag from contact_tags where contact_id in ({})",
                    crate::sql::list(rows.len(), 1)
                );
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let mut query = sqlx::query_as::<Db, crate::rows::TagRow>(&sql);
                for row in &rows {
                    query = query.bind(row.id);
                }
                let mut tags = crate::rows::tag_map(query.fetch_all(self.reader()).await.db()?)?;
                rows.into_iter().map(|row| row.into_domain(&mut tags)).collect()
            }

            /// The database's plans for the statements of a contact search and of a page of
            /// contact messages, one line per plan row. For tests and for operators.
            pub async fn explain_contact_reads(
                &self,
                search: &trellis_core::store::ContactSearch,
                messages: &trellis_core::store::ContactMessagesFilter,
            ) -> StoreResult<Vec<String>> {
                use crate::ops::contacts::Bind;
                let mut statements: Vec<(String, Vec<Bind>)> =
                    crate::ops::contacts::search_queries(search).into_iter().collect();
                if let Some((sql, binds)) = crate::ops::contacts::messages_query(messages) {
                    statements.push((sql, binds.into_iter().map(Bind::Int).collect()));
                }
                let mut lines = Vec::new();
                let mut tx = self.reader().begin().await.db()?;
                for statement in <This as crate::dialect::Dialect>::EXPLAIN_SETUP {
                    sqlx::query(statement).execute(&mut *tx).await.db()?;
                }
                for (sql, binds) in statements {
                    let sql = format!("{}{sql}", <This as crate::dialect::Dialect>::EXPLAIN);
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query::<Db>(&sql);
                    for bind in binds {
                        query = match bind {
                            Bind::Int(value) => query.bind(value),
                            Bind::Text(value) => query.bind(value),
                        };
                    }
                    for row in query.fetch_all(&mut *tx).await.db()? {
                        lines.push(Self::plan_line(&row)?);
                    }
                }
                tx.rollback().await.db()?;
                Ok(lines)
            }
        }

        #[async_trait::async_trait]
        impl trellis_core::store::ContactStore for This {
            async fn get_person(&self, id: PersonId) -> StoreResult<Person> {
                let row: Option<crate::rows::PersonRow> =
                    sqlx::query_as("select id, display_name, created_at from persons where id = $1")
                        .bind(id.0)
                        .fetch_optional(self.reader())
                        .await
                        .db()?;
                row.ok_or_else(|| StoreError::not_found("person", id))?.into_domain()
            }

            async fn find_contacts(
                &self,
                search: &trellis_core::store::ContactSearch,
            ) -> StoreResult<Vec<Contact>> {
                use crate::ops::contacts::Bind;
                let limit = search.limit.clamp(1, trellis_core::store::ContactSearch::MAX_LIMIT);
                let mut found: Vec<crate::rows::ContactRow> = Vec::new();
                for (sql, binds) in crate::ops::contacts::search_queries(search) {
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query_as::<Db, crate::rows::ContactRow>(&sql);
                    for bind in binds {
                        query = match bind {
                            Bind::Int(value) => query.bind(value),
                            Bind::Text(value) => query.bind(value),
                        };
                    }
                    for row in query.fetch_all(self.reader()).await.db()? {
                        if !found.iter().any(|seen| seen.id == row.id) {
                            found.push(row);
                        }
                    }
                }
                found.truncate(limit as usize);
                self.contacts_with_tags(found).await
            }

            async fn contact_messages(
                &self,
                filter: &trellis_core::store::ContactMessagesFilter,
            ) -> StoreResult<trellis_core::store::MessagePage> {
                let Some((sql, binds)) = crate::ops::contacts::messages_query(filter) else {
                    return Ok(trellis_core::store::MessagePage { items: Vec::new(), next: None });
                };
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let mut query = sqlx::query_as::<Db, crate::rows::MessageRow>(&sql);
                for bind in binds {
                    query = query.bind(bind);
                }
                let mut rows = query.fetch_all(self.reader()).await.db()?;
                let limit =
                    filter.limit.clamp(1, trellis_core::store::ContactMessagesFilter::MAX_LIMIT);
                let more = rows.len() > limit as usize;
                rows.truncate(limit as usize);
                let items = rows
                    .into_iter()
                    .map(crate::rows::MessageRow::into_domain)
                    .collect::<StoreResult<Vec<Message>>>()?;
                let next = if more {
                    items.last().map(trellis_core::store::MessageCursor::after)
                } else {
                    None
                };
                Ok(trellis_core::store::MessagePage { items, next })
            }

            async fn tag_counts(
                &self,
                brands: &[BrandId],
            ) -> StoreResult<Vec<trellis_core::store::TagCount>> {
                use crate::ops::contacts::Bind;
                // Every tag in use: an index-only read of `conversation_tags_tag`.
                let used: Vec<String> =
                    sqlx::query_scalar("select distinct tag from conversation_tags order by tag")
                        .fetch_all(self.reader())
                        .await
                        .db()?;
                let (sql, binds) = crate::ops::contacts::open_tags_query(brands);
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let mut query = sqlx::query_as::<Db, (String, i64)>(&sql);
                for bind in binds {
                    query = match bind {
                        Bind::Int(value) => query.bind(value),
                        Bind::Text(value) => query.bind(value),
                    };
                }
                let open: std::collections::HashMap<String, i64> =
                    query.fetch_all(self.reader()).await.db()?.into_iter().collect();
                used.into_iter()
                    .map(|tag| {
                        let count = open.get(&tag).copied().unwrap_or_default();
                        Ok(trellis_core::store::TagCount {
                            tag: crate::rows::parse("tag", &tag)?,
                            open: u64::try_from(count).unwrap_or_default(),
                        })
                    })
                    .collect()
            }
        }
    };
}
pub(crate) use contacts_ops;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use trellis_core::store::MessageCursor;
    use trellis_core::{BrandId, Channel, ContactId, MessageId};

    #[test]
    fn a_search_reads_two_prefix_ranges_lowercasing_the_handle_here_and_the_name_in_sql() {
        let search = ContactSearch { prefix: "DaNa".into(), channel: None, limit: 7 };
        let [handle, name] = search_queries(&search);
        assert!(handle.0.contains("handle_key >= $1 and handle_key < $2 order by handle_key, id"));
        assert_eq!(handle.1[0], Bind::Text("dana".into()));
        assert_eq!(handle.1[1], Bind::Text("dana\u{10FFFF}".into()));
        assert_eq!(handle.1[2], Bind::Int(7));
        assert!(name.0.contains("name_key >= lower($1) and name_key < lower($2)"), "{}", name.0);
        assert_eq!(name.1[0], Bind::Text("DaNa".into()));
    }

    #[test]
    fn a_search_on_one_channel_binds_it_before_the_limit() {
        let search = ContactSearch { prefix: "d".into(), channel: Some(Channel::X), limit: 500 };
        let [handle, _] = search_queries(&search);
        assert!(handle.0.contains("and channel = $3") && handle.0.ends_with("limit $4"));
        assert_eq!(handle.1[2], Bind::Text("x".into()));
        assert_eq!(handle.1[3], Bind::Int(i64::from(ContactSearch::MAX_LIMIT)));
    }

    #[test]
    fn a_message_page_filters_contacts_brands_and_the_cursor_in_placeholder_order() {
        let created_at = DateTime::from_timestamp_micros(5_000_000).unwrap();
        let filter = ContactMessagesFilter {
            contacts: vec![ContactId(3), ContactId(4)],
            brands: vec![BrandId(9)],
            limit: 10,
            after: Some(MessageCursor { created_at, id: MessageId(77) }),
        };
        let (sql, binds) = messages_query(&filter).unwrap();
        assert!(sql.contains("contact_id in ($1, $2)"), "{sql}");
        assert!(sql.contains("brand_id in ($3)"), "{sql}");
        assert!(sql.contains("(created_at, id) < ($4, $5)"), "{sql}");
        assert!(sql.ends_with("order by created_at desc, id desc limit $6"), "{sql}");
        assert_eq!(binds, [3, 4, 9, 5_000_000, 77, 11]);
        let nobody = ContactMessagesFilter { contacts: vec![], ..filter };
        assert!(messages_query(&nobody).is_none());
    }
}
