//! Conversation lists: filters plus keyset pagination on `(updated_at desc, id desc)`.

use crate::sql;
use trellis_core::{AssigneeFilter, ConversationFilter};

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

/// The list query for `filter`: its text and its binds. Shared by the list itself and by
/// `explain_conversation_list`, so the plan checked in tests is the plan production runs.
pub(crate) fn list_query(filter: &ConversationFilter) -> (String, Vec<Bind>) {
    let mut binds: Vec<Bind> = Vec::new();
    let mut conditions: Vec<String> = Vec::new();
    if !filter.statuses.is_empty() {
        let first = binds.len() + 1;
        binds.extend(filter.statuses.iter().map(|s| Bind::Text(s.as_str().to_owned())));
        conditions.push(format!("c.status in ({})", sql::list(filter.statuses.len(), first)));
    }
    if !filter.channels.is_empty() {
        let first = binds.len() + 1;
        binds.extend(filter.channels.iter().map(|c| Bind::Text(c.as_str().to_owned())));
        conditions.push(format!("c.channel in ({})", sql::list(filter.channels.len(), first)));
    }
    if let Some(brand) = filter.brand {
        conditions.push(format!("c.brand_id = {}", next(&mut binds, Bind::Int(brand.0))));
    }
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
    if let Some(team) = filter.team {
        conditions.push(format!("c.team_id = {}", next(&mut binds, Bind::Int(team.0))));
    }
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
    let text = format!(
        "select {columns} from conversations c {condition} \
         order by c.updated_at desc, c.id desc limit {limit}"
    );
    (text, binds)
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
                let items = rows
                    .into_iter()
                    .map(|row| row.into_domain(&mut tags))
                    .collect::<StoreResult<Vec<Conversation>>>()?;
                let next = if more { items.last().map(PageCursor::after) } else { None };
                Ok(ConversationPage { items, next })
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
    use trellis_core::{ConversationStatus, PageCursor, UserId};

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
}
