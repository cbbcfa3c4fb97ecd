//! Peers on PostgreSQL: a `tsvector` column with a GIN index queried with `websearch_to_tsquery`
//! and ranked with `ts_rank` (with `ts_headline` snippets), and plain rows searched with
//! `ILIKE '%…%'` newest first, which is what Chatwoot does.

use super::filters::{contains_pattern, Bind, Conditions};
use super::rows::PeerRow;
use super::Engine;
use crate::queries::QuerySpec;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool, Postgres, Row};
use std::str::FromStr;

const SCHEMA: &str = "
create table ilike_messages (
    id bigint primary key,
    channel text not null,
    author text,
    created_at timestamptz not null,
    status text not null,
    tags text[] not null,
    unassigned boolean not null,
    text text not null
);
create index ilike_messages_author on ilike_messages (author, created_at);
create index ilike_messages_created on ilike_messages (created_at);
create table tsv_messages (
    like ilike_messages including all,
    tsv tsvector generated always as (to_tsvector('simple', text)) stored
);
";

const COLUMNS: &str = "id, channel, author, created_at, status, tags, unassigned, text";

/// A database of its own on the server, dropped at the end.
pub struct PeerDatabase {
    admin: PgConnectOptions,
    name: String,
    pub pool: PgPool,
}

impl PeerDatabase {
    /// Creates `trellis_bench_<pid>` on the server `admin_url` points at.
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let admin = PgConnectOptions::from_str(admin_url)?;
        let name = format!("trellis_bench_{}", std::process::id());
        let mut connection = PgConnection::connect_with(&admin).await?;
        sqlx::query(&format!("drop database if exists {name} with (force)"))
            .execute(&mut connection)
            .await?;
        sqlx::query(&format!("create database {name}")).execute(&mut connection).await?;
        connection.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(admin.clone().database(&name))
            .await?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await?;
        Ok(Self { admin, name, pool })
    }

    /// Appends rows to the plain table with `COPY … (format csv)`.
    pub async fn load(&self, rows: &[PeerRow]) -> anyhow::Result<()> {
        let mut connection = self.pool.acquire().await?;
        let mut copy = connection
            .copy_in_raw(&format!("copy ilike_messages ({COLUMNS}) from stdin with (format csv)"))
            .await?;
        let mut buffer = String::with_capacity(1 << 20);
        for row in rows {
            csv_row(row, &mut buffer);
            if buffer.len() > 1 << 20 {
                copy.send(buffer.as_bytes()).await?;
                buffer.clear();
            }
        }
        copy.send(buffer.as_bytes()).await?;
        copy.finish().await?;
        Ok(())
    }

    /// Fills the tsvector table from the plain one and builds the GIN index after the data is in,
    /// as anyone bulk-loading would.
    pub async fn finish_load(&self) -> anyhow::Result<()> {
        sqlx::query(&format!(
            "insert into tsv_messages ({COLUMNS}) select {COLUMNS} from ilike_messages"
        ))
        .execute(&self.pool)
        .await?;
        sqlx::query("create index tsv_messages_tsv on tsv_messages using gin (tsv)")
            .execute(&self.pool)
            .await?;
        sqlx::query("vacuum analyze").execute(&self.pool).await?;
        Ok(())
    }

    pub fn engine(&self, mode: PgMode) -> PgPeer {
        PgPeer { pool: self.pool.clone(), mode }
    }

    pub async fn drop_database(self) -> anyhow::Result<()> {
        self.pool.close().await;
        let mut connection = PgConnection::connect_with(&self.admin).await?;
        sqlx::query(&format!("drop database if exists {} with (force)", self.name))
            .execute(&mut connection)
            .await?;
        connection.close().await?;
        Ok(())
    }
}

fn csv_row(row: &PeerRow, out: &mut String) {
    let quoted = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    out.push_str(&row.id.to_string());
    out.push(',');
    out.push_str(row.channel);
    out.push(',');
    if let Some(author) = &row.author {
        out.push_str(&quoted(author));
    }
    out.push(',');
    out.push_str(&row.created_at.to_rfc3339());
    out.push(',');
    out.push_str(row.status);
    out.push(',');
    out.push_str(&quoted(&format!("{{{}}}", row.tags.join(","))));
    out.push(',');
    out.push_str(if row.unassigned { "t" } else { "f" });
    out.push(',');
    out.push_str(&quoted(&row.text));
    out.push('\n');
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgMode {
    Tsvector,
    Ilike,
}

pub struct PgPeer {
    pool: PgPool,
    mode: PgMode,
}

/// The query as `websearch_to_tsquery` input: words, a quoted phrase, `-word` exclusions.
fn websearch(spec: &QuerySpec) -> String {
    let mut parts: Vec<String> = spec.terms.clone();
    if let Some(phrase) = &spec.phrase {
        parts.push(format!("\"{phrase}\""));
    }
    parts.extend(spec.exclude.iter().map(|e| format!("-{e}")));
    parts.join(" ")
}

impl PgPeer {
    fn statement(&self, spec: &QuerySpec, count: bool) -> (String, Vec<Bind>) {
        let mut conditions = Conditions::new(true, 0);
        let ranked = self.mode == PgMode::Tsvector && spec.has_text();
        let table = match self.mode {
            PgMode::Tsvector => "tsv_messages",
            PgMode::Ilike => "ilike_messages",
        };
        let mut from = format!("{table} m");
        if ranked {
            let p = conditions.bind(Bind::Text(websearch(spec)));
            from.push_str(&format!(", websearch_to_tsquery('simple', {p}) q"));
            conditions.push("m.tsv @@ q".into());
        } else {
            let words = spec.terms.iter().chain(spec.phrase.iter());
            for word in words {
                let p = conditions.bind(Bind::Text(contains_pattern(word)));
                conditions.push(format!("m.text ilike {p}"));
            }
            for excluded in &spec.exclude {
                let p = conditions.bind(Bind::Text(contains_pattern(excluded)));
                conditions.push(format!("m.text not ilike {p}"));
            }
        }
        conditions.add_filters(spec);
        let filters = conditions.where_clause();
        let sql = if count {
            format!("select count(*) from {from}{filters}")
        } else if ranked {
            format!(
                "select id, ts_headline('simple', text, q, \
                 'StartSel=<mark>, StopSel=</mark>, MaxWords=24, MinWords=10') from \
                 (select m.id, m.text, q, ts_rank(m.tsv, q) as rank from {from}{filters} \
                 order by rank desc, m.created_at desc limit 25) hits order by rank desc"
            )
        } else {
            format!("select m.id, m.text from {from}{filters} order by m.created_at desc limit 25")
        };
        (sql, conditions.binds)
    }
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, Postgres, PgArguments>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, Postgres, PgArguments> {
    for bind in binds {
        query = match bind {
            Bind::Text(text) => query.bind(text.as_str()),
            Bind::Time(at) => query.bind(*at),
        };
    }
    query
}

impl Engine for PgPeer {
    async fn search(&self, spec: &QuerySpec) -> anyhow::Result<usize> {
        let (sql, binds) = self.statement(spec, false);
        let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(&self.pool).await?;
        let bytes: usize = rows.iter().map(|r| r.get::<String, _>(1).len()).sum();
        std::hint::black_box(bytes);
        Ok(rows.len())
    }

    async fn count(&self, spec: &QuerySpec) -> anyhow::Result<u64> {
        let (sql, binds) = self.statement(spec, true);
        let count: i64 = bind_all(sqlx::query(&sql), &binds).fetch_one(&self.pool).await?.get(0);
        Ok(count as u64)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn websearch_input_keeps_phrases_and_exclusions() {
        let spec = QuerySpec {
            terms: vec!["shipping".into()],
            phrase: Some("order number".into()),
            exclude: vec!["delayed".into()],
            ..Default::default()
        };
        assert_eq!(websearch(&spec), "shipping \"order number\" -delayed");
    }

    #[test]
    fn csv_rows_quote_text_and_leave_missing_authors_null() {
        let row = PeerRow {
            id: 7,
            channel: "facebook",
            author: None,
            created_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            status: "open",
            tags: vec!["vip", "bug"],
            unassigned: true,
            text: "say \"hi\",\nthen".into(),
        };
        let mut out = String::new();
        csv_row(&row, &mut out);
        assert_eq!(out, "7,facebook,,1970-01-01T00:00:00+00:00,open,\"{vip,bug}\",t,\"say \"\"hi\"\",\nthen\"\n");
    }
}
