//! The same searches done the way peers do them, on the same corpus: SQLite FTS5, PostgreSQL
//! `tsvector` with GIN, and PostgreSQL `ILIKE '%…%'` (Chatwoot). Each engine gets the rows, is
//! warmed with one pass of the mix, then timed like trellis.

mod filters;
mod fts5;
mod postgres;
mod rows;

pub use rows::{peer_rows, PeerRow};

use crate::corpus::CorpusConfig;
use crate::measure::{Latency, Samples};
use crate::queries::{BenchQuery, QuerySpec};
use postgres::{PeerDatabase, PgMode};
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};

/// A peer search engine, reduced to what the bench asks of it.
pub(crate) trait Engine {
    /// Runs the query as the peer would show it (25 rows, with snippets); returns rows returned.
    async fn search(&self, spec: &QuerySpec) -> anyhow::Result<usize>;
    /// How many rows match in all (not timed).
    async fn count(&self, spec: &QuerySpec) -> anyhow::Result<u64>;
}

/// One query on one engine.
#[derive(Debug, Clone, Serialize)]
pub struct QueryFigures {
    pub name: &'static str,
    /// Rows matching in all.
    pub matches: u64,
    /// Rows returned (at most 25).
    pub hits: usize,
    pub latency: Latency,
}

/// One engine's results.
#[derive(Debug, Clone, Serialize)]
pub struct EngineReport {
    pub engine: &'static str,
    pub load_seconds: f64,
    pub latency: Latency,
    /// This engine's p99 over trellis's p99 on the same mix: how many times faster trellis is.
    pub p99_ratio_vs_trellis: Option<f64>,
    pub p50_ratio_vs_trellis: Option<f64>,
    pub queries: Vec<QueryFigures>,
}

/// All peers, or why some could not run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PeersReport {
    pub engines: Vec<EngineReport>,
    /// Set when PostgreSQL could not be used; its two engines are then missing.
    pub postgres_error: Option<String>,
}

/// Times `repetitions` passes of the mix on one engine, after one warming pass.
async fn measure<E: Engine>(
    engine: &E,
    name: &'static str,
    load: Duration,
    queries: &[BenchQuery],
    repetitions: usize,
) -> anyhow::Result<EngineReport> {
    let mut per_query = vec![Samples::default(); queries.len()];
    let mut hits = vec![0; queries.len()];
    for (index, query) in queries.iter().enumerate() {
        hits[index] = engine.search(&query.spec).await?;
    }
    for _ in 0..repetitions {
        for (index, query) in queries.iter().enumerate() {
            let started = Instant::now();
            engine.search(&query.spec).await?;
            per_query[index].push(started.elapsed());
        }
    }
    let mut all = Samples::default();
    let mut figures = Vec::with_capacity(queries.len());
    for (index, query) in queries.iter().enumerate() {
        all.extend(&per_query[index]);
        figures.push(QueryFigures {
            name: query.name,
            matches: engine.count(&query.spec).await?,
            hits: hits[index],
            latency: per_query[index].summary(),
        });
    }
    Ok(EngineReport {
        engine: name,
        load_seconds: load.as_secs_f64(),
        latency: all.summary(),
        p99_ratio_vs_trellis: None,
        p50_ratio_vs_trellis: None,
        queries: figures,
    })
}

/// Loads the corpus into every peer and measures the mix on each.
pub async fn run_peers(
    corpus: CorpusConfig,
    queries: &[BenchQuery],
    repetitions: usize,
    dir: &Path,
    postgres_url: &str,
) -> anyhow::Result<PeersReport> {
    let sqlite = fts5::Fts5::create(&dir.join("peer-fts5.db")).await?;
    let mut report = PeersReport::default();
    let pg = match PeerDatabase::create(postgres_url).await {
        Ok(pg) => Some(pg),
        Err(error) => {
            report.postgres_error = Some(format!("{error:#}"));
            None
        }
    };

    let (mut sqlite_load, mut copy_load) = (Duration::ZERO, Duration::ZERO);
    for rows in peer_rows(corpus) {
        let rows = rows?;
        let started = Instant::now();
        sqlite.load(&rows).await?;
        sqlite_load += started.elapsed();
        if let Some(pg) = &pg {
            let started = Instant::now();
            pg.load(&rows).await?;
            copy_load += started.elapsed();
        }
    }
    let started = Instant::now();
    sqlite.finish_load().await?;
    sqlite_load += started.elapsed();
    report.engines.push(measure(&sqlite, "sqlite_fts5", sqlite_load, queries, repetitions).await?);

    if let Some(pg) = pg {
        let measured = async {
            let started = Instant::now();
            pg.finish_load().await?;
            let tsvector_load = copy_load + started.elapsed();
            let tsvector = pg.engine(PgMode::Tsvector);
            let tsvector =
                measure(&tsvector, "postgres_tsvector", tsvector_load, queries, repetitions);
            let tsvector = tsvector.await?;
            let ilike = pg.engine(PgMode::Ilike);
            let ilike = measure(&ilike, "postgres_ilike", copy_load, queries, repetitions).await?;
            anyhow::Ok([tsvector, ilike])
        }
        .await;
        // The database goes whatever happened.
        let dropped = pg.drop_database().await;
        report.engines.extend(measured?);
        dropped?;
    }
    Ok(report)
}
