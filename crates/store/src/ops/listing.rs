//! Conversation lists: filters plus keyset pagination on `(updated_at desc, id desc)`, each page
//! read with its conversations' SLA summaries (`conversation_sla.level` and `next_due_at`).
//!
//! The summaries are read by id after the page, like the tags, not joined into the list query:
//! joined, SQLite probes `conversation_sla` for every row a multi-status list sorts (thousands)
//! rather than for the page, which made "open or pending" ten times slower. The query joins
//! `conversation_sla` only to filter on the level.

use crate::error::corrupt;
use crate::rows::parse;
use crate::sql;
use crate::time::opt_from_micros;
use trellis_core::{AssigneeFilter, ConversationFilter, ConversationId, SlaSummary, StoreError};

/// A value bound into the list query, in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Int(i64),
    Text(String),
}

/// Binds `value` and returns its placeholder.
fn next(binds: &mut Vec<Bind>, value: Bind) -> String {
    binds.push(value);
    format!("${}", binds.len())
}

/// `column` is any of `values`: `= $n` for one value, `in (…)` for several, nothing for none
/// (an empty list means any).
fn any_of(
    binds: &mut Vec<Bind>,
    conditions: &mut Vec<String>,
    column: &str,
    values: impl ExactSizeIterator<Item = Bind>,
) {
    let (first, len) = (binds.len() + 1, values.len());
    binds.extend(values);
    match len {
        0 => {}
        1 => conditions.push(format!("{column} = ${first}")),
        _ => conditions.push(format!("{column} in ({})", sql::list(len, first))),
    }
}

/// The list query for `filter`: its text and its binds. Shared by the list itself and by
/// `explain_conversation_list`, so the plan checked in tests is the plan production runs.
pub(crate) fn list_query(filter: &ConversationFilter) -> (String, Vec<Bind>) {
    let mut binds: Vec<Bind> = Vec::new();
    let mut conditions: Vec<String> = Vec::new();
    let word = |value: &str| Bind::Text(value.to_owned());
    let (b, c) = (&mut binds, &mut conditions);
    any_of(b, c, "c.status", filter.statuses.iter().map(|s| word(s.as_str())));
    any_of(b, c, "c.channel", filter.channels.iter().map(|ch| word(ch.as_str())));
    any_of(b, c, "c.brand_id", filter.brands.iter().map(|brand| Bind::Int(brand.0)));
    if let Some(account) = filter.account {
        conditions.push(format!("c.account_id = {}", next(&mut binds, Bind::Int(account.0))));
    }
    match filter.assignee {
        Some(AssigneeFilter::Unassigned) => conditions.push("c.assignee_id is null".into()),
        Some(AssigneeFilter::User(user)) => {
            conditions.push(format!("c.assignee_id = {}", next(&mut binds, Bind::Int(user.0))));
        }
        None => {}
    }
    let (b, c) = (&mut binds, &mut conditions);
    any_of(b, c, "c.team_id", filter.teams.iter().map(|team| Bind::Int(team.0)));
    any_of(b, c, "c.contact_id", filter.contacts.iter().map(|contact| Bind::Int(contact.0)));
    any_of(b, c, "s.level", filter.sla.iter().map(|level| word(level.as_str())));
    if let Some(priority) = filter.priority {
        let p = next(&mut binds, Bind::Text(priority.as_str().to_owned()));
        conditions.push(format!("c.priority = {p}"));
    }
    if let Some(tag) = &filter.tag {
        let t = next(&mut binds, Bind::Text(tag.as_str().to_owned()));
        conditions.push(format!(
            "exists (select 1 from conversation_tags t where t.conversation_id = c.id and t.tag = {t})"
        ));
    }
    if let Some(after) = filter.updated_after {
        let a = next(&mut binds, Bind::Int(after.timestamp_micros()));
        conditions.push(format!("c.updated_at >= {a}"));
    }
    if let Some(before) = filter.updated_before {
        let b = next(&mut binds, Bind::Int(before.timestamp_micros()));
        conditions.push(format!("c.updated_at < {b}"));
    }
    if let Some(cursor) = filter.after {
        // A row-value comparison: both planners turn it into one range on an index ending in
        // (updated_at, id), which the spelled-out `a < x or (a = x and b < y)` form is not.
        let at = next(&mut binds, Bind::Int(cursor.updated_at.timestamp_micros()));
        let id = next(&mut binds, Bind::Int(cursor.id.0));
        conditions.push(format!("(c.updated_at, c.id) < ({at}, {id})"));
    }
    let limit = next(&mut binds, Bind::Int(i64::from(filter.clamped_limit()) + 1));
    let condition = if conditions.is_empty() {
        String::new()
    } else {
        format!("where {}", conditions.join(" and "))
    };
    let columns = crate::rows::CONVERSATION_COLUMNS
        .split(", ")
        .map(|column| format!("c.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    // Filtering on the level keeps only conversations with a record: an inner join, which lets
    // the planner start from the few records at that level instead of every conversation.
    let join = if filter.sla.is_empty() {
        ""
    } else {
        "join conversation_sla s on s.conversation_id = c.id "
    };
    let text = format!(
        "select {columns} from conversations c {join}{condition} \
         order by c.updated_at desc, c.id desc limit {limit}"
    );
    (text, binds)
}

/// The query for the SLA summaries of `count` conversations, by id.
pub(crate) fn summaries_query(count: usize) -> String {
    format!(
        "select conversation_id, level, next_due_at from conversation_sla \
         where level is not null and conversation_id in ({})",
        sql::list(count, 1)
    )
}

/// A conversation's SLA summary as stored beside its clocks.
#[derive(sqlx::FromRow)]
pub(crate) struct SummaryRow {
    pub conversation_id: i64,
    pub level: Option<String>,
    pub next_due_at: Option<i64>,
}

impl SummaryRow {
    pub fn into_domain(self) -> Result<(ConversationId, SlaSummary), StoreError> {
        let level = self.level.ok_or_else(|| corrupt("sla summary", "no level"))?;
        let summary = SlaSummary {
            level: parse("sla level", &level)?,
            due_at: opt_from_micros(self.next_due_at)?,
        };
        Ok((ConversationId(self.conversation_id), summary))
    }
}

macro_rules! listing_ops {
    () => {
        impl This {
            async fn list_conversations_impl(
                &self,
                filter: &ConversationFilter,
            ) -> StoreResult<ConversationPage> {
                use crate::ops::listing::Bind;
                let (sql, binds) = crate::ops::listing::list_query(filter);
                let mut query = sqlx::query_as::<Db, crate::rows::ConversationRow>(&sql);
                for bind in binds {
                    query = match bind {
                        Bind::Int(value) => query.bind(value),
                        Bind::Text(value) => query.bind(value),
                    };
                }
                let mut rows = query.fetch_all(self.reader()).await.db()?;
                let limit = filter.clamped_limit() as usize;
                let more = rows.len() > limit;
                rows.truncate(limit);
                let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
                let mut tags = self.conversation_tags(&ids).await?;
                let sla = self.sla_summaries(&ids).await?;
                let items = rows
                    .into_iter()
                    .map(|row| row.into_domain(&mut tags))
                    .collect::<StoreResult<Vec<Conversation>>>()?;
                let next = if more { items.last().map(PageCursor::after) } else { None };
                Ok(ConversationPage { items, sla, next })
            }

            /// The SLA summaries of the conversations `ids` that have one (a page: at most
            /// [`ConversationFilter::MAX_LIMIT`] ids, one statement), read on their primary key.
            async fn sla_summaries(
                &self,
                ids: &[i64],
            ) -> StoreResult<std::collections::BTreeMap<ConversationId, trellis_core::SlaSummary>>
            {
                let mut summaries = std::collections::BTreeMap::new();
                for chunk in ids.chunks(crate::sql::rows_per_statement(1, 0)) {
                    let sql = crate::ops::listing::summaries_query(chunk.len());
                    let sql = <This as crate::dialect::Dialect>::numbered(sql);
                    let mut query = sqlx::query_as::<Db, crate::ops::listing::SummaryRow>(&sql);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    for row in query.fetch_all(self.reader()).await.db()? {
                        let (id, summary) = row.into_domain()?;
                        summaries.insert(id, summary);
                    }
                }
                Ok(summaries)
            }

            /// The database's plan for the list query of `filter`, one line per plan row. For tests
            /// and for operators asking why an inbox view is slow.
            pub async fn explain_conversation_list(
                &self,
                filter: &ConversationFilter,
            ) -> StoreResult<Vec<String>> {
                use crate::ops::listing::Bind;
                let (sql, binds) = crate::ops::listing::list_query(filter);
                let sql = format!("{}{sql}", <This as crate::dialect::Dialect>::EXPLAIN);
                let sql = <This as crate::dialect::Dialect>::numbered(sql);
                let mut tx = self.reader().begin().await.db()?;
                for statement in <This as crate::dialect::Dialect>::EXPLAIN_SETUP {
                    sqlx::query(statement).execute(&mut *tx).await.db()?;
                }
                let mut query = sqlx::query::<Db>(&sql);
                for bind in binds {
                    query = match bind {
                        Bind::Int(value) => query.bind(value),
                        Bind::Text(value) => query.bind(value),
                    };
                }
                let rows = query.fetch_all(&mut *tx).await.db()?;
                let lines =
                    rows.iter().map(Self::plan_line).collect::<StoreResult<Vec<String>>>()?;
                tx.rollback().await.db()?;
                Ok(lines)
            }
        }
    };
}
pub(crate) use listing_ops;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use trellis_core::{
        BrandId, ContactId, ConversationStatus, PageCursor, SlaLevel, TeamId, UserId,
    };

    #[test]
    fn an_empty_filter_reads_the_newest_conversations_without_offset() {
        let (text, binds) = list_query(&ConversationFilter::default());
        assert!(text.ends_with("order by c.updated_at desc, c.id desc limit $1"), "{text}");
        assert!(!text.contains("offset"));
        assert_eq!(binds, vec![Bind::Int(51)]);
    }

    #[test]
    fn filters_and_the_cursor_number_their_placeholders_in_order() {
        let filter = ConversationFilter {
            statuses: vec![ConversationStatus::Open, ConversationStatus::Pending],
            assignee: Some(AssigneeFilter::User(UserId(4))),
            after: Some(
                PageCursor::decode(
                    &PageCursor {
                        updated_at: chrono::DateTime::from_timestamp_micros(10).unwrap(),
                        id: trellis_core::ConversationId(9),
                    }
                    .encode(),
                )
                .unwrap(),
            ),
            limit: 2,
            ..Default::default()
        };
        let (text, binds) = list_query(&filter);
        assert!(text.contains("c.status in ($1, $2)"), "{text}");
        assert!(text.contains("c.assignee_id = $3"), "{text}");
        assert!(text.contains("(c.updated_at, c.id) < ($4, $5)"), "{text}");
        assert_eq!(binds.len(), 6);
        assert_eq!(binds[5], Bind::Int(3));
    }

    #[test]
    fn list_filters_take_any_of_their_values() {
        let filter = ConversationFilter {
            brands: vec![BrandId(1), BrandId(2)],
            teams: vec![TeamId(3)],
            contacts: vec![ContactId(4), ContactId(5), ContactId(6)],
            ..Default::default()
        };
        let (text, binds) = list_query(&filter);
        assert!(text.contains("c.brand_id in ($1, $2)"), "{text}");
        assert!(text.contains("c.team_id = $3"), "{text}");
        assert!(text.contains("c.contact_id in ($4, $5, $6)"), "{text}");
        assert!(!text.contains("conversation_sla"), "no join without an sla filter: {text}");
        assert_eq!(binds.len(), 7);
    }

    #[test]
    fn an_sla_filter_joins_only_conversations_with_a_record() {
        let filter = ConversationFilter {
            sla: vec![SlaLevel::Warning, SlaLevel::Breached],
            ..Default::default()
        };
        let (text, binds) = list_query(&filter);
        assert!(text.contains(" join conversation_sla s") && !text.contains("left join"), "{text}");
        assert!(text.starts_with("select c.id,") && !text.contains("s.next_due_at"), "{text}");
        assert!(text.contains("s.level in ($1, $2)"), "{text}");
        assert_eq!(binds[..2], [Bind::Text("warning".into()), Bind::Text("breached".into())]);
    }
}
