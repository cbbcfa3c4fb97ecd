//! Peer: SQLite FTS5, the usual embedded answer. An external-content FTS5 table over a plain
//! messages table, ranked by FTS5's bm25, with `snippet()` for highlights.

use super::filters::{Bind, Conditions};
use super::rows::PeerRow;
use super::Engine;
use crate::queries::QuerySpec;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use std::path::Path;

const SCHEMA: &str = "
create table messages (
    id integer primary key,
    channel text not null,
    author text,
    created_at integer not null,
    status text not null,
    tags text not null,
    unassigned integer not null,
    text text not null
);
create index messages_author on messages (author, created_at);
create index messages_created on messages (created_at);
create virtual table messages_fts using fts5 (text, content = 'messages', content_rowid = 'id');
";

pub struct Fts5 {
    pool: SqlitePool,
}

impl Fts5 {
    pub async fn create(path: &Path) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await?;
        Ok(Self { pool })
    }

    pub async fn load(&self, rows: &[PeerRow]) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        // 8 columns × 1,000 rows stays under SQLite's bound-parameter limit.
        for chunk in rows.chunks(1_000) {
            let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new(
                "insert into messages (id, channel, author, created_at, status, tags, unassigned, text) ",
            );
            insert.push_values(chunk, |mut b, row| {
                b.push_bind(row.id)
                    .push_bind(row.channel)
                    .push_bind(row.author.as_deref())
                    .push_bind(row.created_at.timestamp_micros())
                    .push_bind(row.status)
                    .push_bind(format!(" {} ", row.tags.join(" ")))
                    .push_bind(row.unassigned)
                    .push_bind(row.text.as_str());
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Builds the full-text index over everything loaded, as a bulk import would.
    pub async fn finish_load(&self) -> anyhow::Result<()> {
        sqlx::query("insert into messages_fts (messages_fts) values ('rebuild')")
            .execute(&self.pool)
            .await?;
        sqlx::query("analyze").execute(&self.pool).await?;
        Ok(())
    }

    fn statement(spec: &QuerySpec, count: bool) -> (String, Vec<Bind>) {
        let mut conditions = Conditions::new(false, 0);
        if spec.has_text() || !spec.exclude.is_empty() {
            let matched = conditions.bind(Bind::Text(match_expression(spec)));
            conditions.push(format!("messages_fts match {matched}"));
            conditions.add_filters(spec);
            let from = "from messages_fts join messages m on m.id = messages_fts.rowid";
            let sql = if count {
                format!("select count(*) {from}{}", conditions.where_clause())
            } else {
                format!(
                    "select m.id, snippet(messages_fts, 0, '<mark>', '</mark>', '…', 16) {from}{} \
                     order by messages_fts.rank limit 25",
                    conditions.where_clause()
                )
            };
            (sql, conditions.binds)
        } else {
            conditions.add_filters(spec);
            let sql = if count {
                format!("select count(*) from messages m{}", conditions.where_clause())
            } else {
                format!(
                    "select m.id, substr(m.text, 1, 200) from messages m{} \
                     order by m.created_at desc limit 25",
                    conditions.where_clause()
                )
            };
            (sql, conditions.binds)
        }
    }
}

/// The query as an FTS5 expression: every term and the phrase quoted (FTS5 tokenizes inside the
/// quotes, so `#blackfriday` becomes `blackfriday`), exclusions with `NOT`.
fn match_expression(spec: &QuerySpec) -> String {
    let quote = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    let mut parts: Vec<String> = spec.terms.iter().map(|t| quote(t)).collect();
    if let Some(phrase) = &spec.phrase {
        parts.push(quote(phrase));
    }
    let mut expression = parts.join(" ");
    for excluded in &spec.exclude {
        expression.push_str(&format!(" NOT {}", quote(excluded)));
    }
    expression
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    for bind in binds {
        query = match bind {
            Bind::Text(text) => query.bind(text.as_str()),
            Bind::Time(at) => query.bind(at.timestamp_micros()),
        };
    }
    query
}

impl Engine for Fts5 {
    async fn search(&self, spec: &QuerySpec) -> anyhow::Result<usize> {
        let (sql, binds) = Self::statement(spec, false);
        let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(&self.pool).await?;
        // Read the snippets so the work is not optimized away and is comparable to trellis.
        let snippet_bytes: usize = rows.iter().map(|r| r.get::<String, _>(1).len()).sum();
        std::hint::black_box(snippet_bytes);
        Ok(rows.len())
    }

    async fn count(&self, spec: &QuerySpec) -> anyhow::Result<u64> {
        let (sql, binds) = Self::statement(spec, true);
        let count: i64 = bind_all(sqlx::query(&sql), &binds).fetch_one(&self.pool).await?.get(0);
        Ok(count as u64)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn match_expressions_quote_terms_and_negate_exclusions() {
        let spec = QuerySpec {
            terms: vec!["shipping".into()],
            exclude: vec!["delayed".into()],
            ..Default::default()
        };
        assert_eq!(match_expression(&spec), "\"shipping\" NOT \"delayed\"");
        let spec = QuerySpec { phrase: Some("order \"number\"".into()), ..Default::default() };
        assert_eq!(match_expression(&spec), "\"order \"\"number\"\"\"");
    }
}
