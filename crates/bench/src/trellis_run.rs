//! trellis itself under measurement: ingest into a fresh SQLite store with the tantivy index
//! following the change feed, then the workflow updates triage would make, then the timed search
//! and conversation-list mixes.

use crate::corpus::{workflow_for, Corpus, CorpusConfig, ACCOUNTS, AGENTS};
use crate::report::IngestFigures;
use anyhow::Context;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use trellis_core::{
    AccountId, ConversationFilter, ConversationId, ConversationKey, ConversationPatch,
    CursorUpdate, IngestBatch, NewAccount, NewUser, Role, SearchIndex, Seq, Store, UserId,
};
use trellis_search::{Indexer, TantivyIndex};

/// An open trellis: the store, the index, and the directory rows the corpus refers to.
pub struct Trellis {
    pub store: Arc<dyn Store>,
    pub index: Arc<TantivyIndex>,
    pub accounts: Vec<AccountId>,
    pub agents: Vec<UserId>,
}

pub fn store_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("trellis.db").display())
}

pub fn index_dir(dir: &Path) -> std::path::PathBuf {
    dir.join("index")
}

/// Opens (and migrates) the store and index under `dir`.
pub async fn open(dir: &Path) -> anyhow::Result<(Arc<dyn Store>, Arc<TantivyIndex>)> {
    let store = trellis_store::connect(&store_url(dir)).await.context("open store")?;
    store.migrate().await.context("migrate store")?;
    let path = index_dir(dir);
    let (index, _outcome) = tokio::task::spawn_blocking(move || TantivyIndex::open(&path))
        .await?
        .context("open index")?;
    Ok((store, Arc::new(index)))
}

/// A fresh trellis with the corpus's brands, accounts and agents.
pub async fn create(dir: &Path) -> anyhow::Result<Trellis> {
    let (store, index) = open(dir).await?;
    let mut brands = HashMap::new();
    let mut accounts = Vec::with_capacity(ACCOUNTS.len());
    for spec in ACCOUNTS {
        let brand = match brands.get(spec.brand) {
            Some(brand) => *brand,
            None => {
                let brand = store.create_brand(spec.brand).await?.id;
                brands.insert(spec.brand, brand);
                brand
            }
        };
        let account = store
            .create_account(NewAccount {
                brand_id: brand,
                channel: spec.channel,
                platform_account_id: spec.platform_account_id.to_owned(),
                display_name: spec.display_name.to_owned(),
                base_url: spec.base_url.to_owned(),
            })
            .await?;
        accounts.push(account.id);
    }
    let mut agents = Vec::with_capacity(AGENTS);
    for n in 0..AGENTS {
        let user = store
            .create_user(NewUser {
                email: format!("agent{n}@bench.example"),
                name: format!("Agent {n}"),
                role: Role::Agent,
            })
            .await?;
        agents.push(user.id);
    }
    Ok(Trellis { store, index, accounts, agents })
}

/// Ingests the whole corpus with the indexer following along, as `trellis serve` runs them, and
/// returns when the index has committed everything. The corpus is generated on its own thread
/// a few batches ahead, so generation is not counted as ingest work on this task.
pub async fn ingest(trellis: &Trellis, corpus: CorpusConfig) -> anyhow::Result<IngestFigures> {
    let (batches_tx, mut batches_rx) = mpsc::channel(4);
    let generator = std::thread::Builder::new().name("corpus".into()).spawn(move || {
        for batch in Corpus::new(corpus) {
            if batches_tx.blocking_send(batch).is_err() {
                break;
            }
        }
    })?;

    let indexer = Arc::new(indexer(trellis));
    // The latest stored sequence, published after every batch; `None` once ingest is over.
    let (stored_tx, mut stored_rx) = watch::channel(Some(Seq(0)));
    let follower = {
        let indexer = indexer.clone();
        tokio::spawn(async move {
            loop {
                indexer.catch_up().await?;
                if stored_rx.changed().await.is_err() || stored_rx.borrow().is_none() {
                    return anyhow::Ok(());
                }
            }
        })
    };

    let started = Instant::now();
    let (mut messages, mut batches) = (0u64, 0u64);
    while let Some(batch) = batches_rx.recv().await {
        let batch = batch?;
        messages += batch.messages.len() as u64;
        batches += 1;
        let outcome = trellis
            .store
            .ingest(IngestBatch {
                account_id: trellis.accounts[batch.account],
                messages: batch.messages,
                cursors: vec![CursorUpdate { stream: batch.stream.into(), value: batch.cursor }],
            })
            .await?;
        if let Some(seq) = outcome.last_seq {
            let _ = stored_tx.send(Some(seq));
        }
    }
    let store_seconds = started.elapsed();
    let _ = stored_tx.send(None);
    follower.await??;
    // The follower may have stopped mid-way through the last changes: one final pass.
    let through = indexer.catch_up().await?;
    let seconds = started.elapsed();
    generator.join().map_err(|_| anyhow::anyhow!("corpus generator panicked"))?;
    anyhow::ensure!(through == trellis.store.latest_seq().await?, "index did not catch up");

    let index = trellis.index.clone();
    let index_docs = tokio::task::spawn_blocking(move || index.doc_count()).await??;
    Ok(IngestFigures {
        messages,
        conversations: 0,
        batches,
        seconds: seconds.as_secs_f64(),
        messages_per_s: messages as f64 / seconds.as_secs_f64().max(1e-9),
        store_seconds: store_seconds.as_secs_f64(),
        index_lag_seconds: (seconds - store_seconds).as_secs_f64(),
        index_docs,
        triage_updates: 0,
        triage_seconds: 0.0,
        store_bytes: 0,
        index_bytes: 0,
    })
}

/// Gives every conversation the status, tags and assignee the corpus's workflow says, through
/// `update_conversation` as triage and agents would, then lets the index catch up.
/// Returns (conversations, updates, elapsed).
pub async fn apply_workflow(trellis: &Trellis, seed: u64) -> anyhow::Result<(u64, u64, Duration)> {
    let started = Instant::now();
    let account_index: HashMap<AccountId, usize> =
        trellis.accounts.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    // Collected first: updating bumps `updated_at`, which would reorder the list under a cursor.
    let mut conversations: Vec<(ConversationId, usize, ConversationKey)> = Vec::new();
    let mut filter =
        ConversationFilter { limit: ConversationFilter::MAX_LIMIT, ..Default::default() };
    loop {
        let page = trellis.store.list_conversations(&filter).await?;
        for conversation in page.items {
            let account = account_index.get(&conversation.account_id).copied().unwrap_or(0);
            conversations.push((conversation.id, account, conversation.key));
        }
        match page.next {
            Some(next) => filter.after = Some(next),
            None => break,
        }
    }
    let mut updates = 0;
    for (id, account, key) in &conversations {
        let workflow = workflow_for(seed, *account, key);
        if workflow.is_default() {
            continue;
        }
        let patch = ConversationPatch {
            status: Some(workflow.status),
            assignee_id: workflow.assignee.map(|agent| Some(trellis.agents[agent])),
            add_tags: workflow.tag_names(),
            ..Default::default()
        };
        trellis.store.update_conversation(*id, patch).await?;
        updates += 1;
    }
    indexer(trellis).catch_up().await?;
    Ok((conversations.len() as u64, updates, started.elapsed()))
}

fn indexer(trellis: &Trellis) -> Indexer {
    let index: Arc<dyn SearchIndex> = trellis.index.clone();
    Indexer::new(trellis.store.clone(), index)
}

/// Bytes under `path` (a file or a directory tree).
pub fn disk_usage(path: &Path) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else { return 0 };
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|entries| entries.flatten().map(|entry| disk_usage(&entry.path())).sum())
        .unwrap_or(0)
}
