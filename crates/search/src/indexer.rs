//! [`Indexer`]: keeps the index following the store's change feed, in batches, one commit per batch,
//! each commit recording the last sequence it reflects. Restart resumes from that sequence; a lost
//! index is rebuilt from a scan of the store.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use trellis_core::{
    ChangeKind, ConversationId, IndexDoc, MessageId, SearchError, SearchIndex, Seq, Store,
    StoreError,
};

/// Changes read (and committed) per batch while following the feed. In steady state a batch is
/// whatever arrived since the last poll; during a backlog, larger batches mean fewer commits, and a
/// commit costs about as much as indexing a few thousand messages.
const CHANGES_PER_BATCH: u32 = 20_000;
/// Documents read per page of a rebuild scan.
const SCAN_PAGE: u32 = 5_000;
/// Documents per commit during a rebuild: few, large segments.
const REBUILD_COMMIT_DOCS: usize = 100_000;
/// How often the follower looks at the feed when nobody wakes it: other processes write too.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Why indexing failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    #[error("reading the store failed: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("index task failed: {0}")]
    Task(String),
}

/// Follows the change feed into a search index.
pub struct Indexer {
    store: Arc<dyn Store>,
    index: Arc<dyn SearchIndex>,
    notify: Arc<Notify>,
    poll_interval: Duration,
}

impl Indexer {
    pub fn new(store: Arc<dyn Store>, index: Arc<dyn SearchIndex>) -> Self {
        Self { store, index, notify: Arc::new(Notify::new()), poll_interval: DEFAULT_POLL_INTERVAL }
    }

    /// How often the follower looks at the feed when not woken (100 ms by default).
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Wakes the follower at once (e.g. right after this node ingested), instead of at its next poll.
    pub fn notifier(&self) -> Arc<Notify> {
        self.notify.clone()
    }

    /// Applies every pending change, a batch (one commit) at a time, until none remain. Returns
    /// the sequence the index has committed.
    pub async fn catch_up(&self) -> Result<Seq, IndexerError> {
        let mut seq = self.blocking(|index| index.committed_seq()).await?;
        loop {
            let changes = self.store.changes_since(seq, CHANGES_PER_BATCH).await?;
            let Some(last) = changes.last().map(|change| change.seq) else { return Ok(seq) };
            let mut messages = BTreeSet::new();
            let mut conversations = BTreeSet::new();
            for change in &changes {
                match change.kind {
                    ChangeKind::MessageCreated | ChangeKind::MessageUpdated => {
                        messages.insert(MessageId(change.entity_id));
                    }
                    // Workflow fields (status, tags, assignee, …) live in every message's document.
                    ChangeKind::ConversationUpdated => {
                        conversations.insert(ConversationId(change.entity_id));
                    }
                    // A new conversation's messages arrive as their own MessageCreated changes;
                    // contacts, the directory and triage's records are not part of an index
                    // document.
                    ChangeKind::ConversationCreated
                    | ChangeKind::ContactUpdated
                    | ChangeKind::PresenceUpdated
                    | ChangeKind::AccountUpdated
                    | ChangeKind::BrandUpdated
                    | ChangeKind::UserUpdated
                    | ChangeKind::TeamUpdated
                    | ChangeKind::OutboxUpdated
                    | ChangeKind::RuleUpdated
                    | ChangeKind::PolicyUpdated
                    | ChangeKind::SlaUpdated
                    | ChangeKind::AgentUpdated
                    | ChangeKind::NotificationCreated => {}
                }
            }
            let docs = self.documents(messages, conversations).await?;
            let count = docs.len();
            self.blocking(move |index| index.apply(docs, last)).await?;
            tracing::debug!(
                through = last.0,
                changes = changes.len(),
                docs = count,
                "indexed changes"
            );
            seq = last;
        }
    }

    /// The current documents of the changed messages and of every message of the conversations
    /// whose workflow fields changed, each message once.
    async fn documents(
        &self,
        messages: BTreeSet<MessageId>,
        conversations: BTreeSet<ConversationId>,
    ) -> Result<Vec<IndexDoc>, IndexerError> {
        let mut docs: HashMap<MessageId, IndexDoc> = HashMap::new();
        if !conversations.is_empty() {
            let ids: Vec<_> = conversations.into_iter().collect();
            for doc in self.store.conversation_index_docs(&ids).await? {
                docs.insert(doc.message_id, doc);
            }
        }
        let messages: Vec<_> = messages.into_iter().filter(|id| !docs.contains_key(id)).collect();
        if !messages.is_empty() {
            for doc in self.store.index_docs(&messages).await? {
                docs.insert(doc.message_id, doc);
            }
        }
        Ok(docs.into_values().collect())
    }

    /// Empties the index and reindexes every message from a scan of the store. The feed position
    /// recorded at the end is the one read before the scan began, so changes made during the
    /// rebuild are replayed by the next catch-up. Calls `progress(done, total)` after each commit.
    pub async fn rebuild(
        &self,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<u64, IndexerError> {
        let start_seq = self.store.latest_seq().await?;
        let total = self.store.message_count().await?;
        self.blocking(|index| index.clear()).await?;
        progress(0, total);
        let mut done = 0u64;
        let mut after = MessageId(0);
        let mut pending: Vec<IndexDoc> = Vec::new();
        loop {
            let page = self.store.scan_index_docs(after, SCAN_PAGE).await?;
            let exhausted = page.len() < SCAN_PAGE as usize;
            if let Some(last) = page.last() {
                after = last.message_id;
            }
            pending.extend(page);
            if pending.len() >= REBUILD_COMMIT_DOCS || (exhausted && !pending.is_empty()) {
                let batch = std::mem::take(&mut pending);
                done += batch.len() as u64;
                // Seq 0 until the end: an interrupted rebuild must not look complete.
                self.blocking(move |index| index.apply(batch, Seq(0))).await?;
                progress(done, total.max(done));
            }
            if exhausted {
                break;
            }
        }
        self.blocking(move |index| index.apply(Vec::new(), start_seq)).await?;
        tracing::info!(documents = done, through = start_seq.0, "search index rebuilt");
        Ok(done)
    }

    /// Follows the feed until `shutdown`: catches up, then waits for a wake-up or the poll interval.
    /// Failures are logged and retried with exponential backoff; the task ends only on shutdown.
    pub fn spawn(self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        let span = tracing::info_span!("search_indexer");
        tokio::spawn(async move { self.follow(shutdown).await }.instrument(span))
    }

    async fn follow(self, shutdown: CancellationToken) {
        tracing::info!("search indexer started");
        let mut backoff = Duration::from_millis(250);
        loop {
            match self.catch_up().await {
                Ok(_) => {
                    backoff = Duration::from_millis(250);
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = self.notify.notified() => {}
                        _ = tokio::time::sleep(self.poll_interval) => {}
                    }
                }
                Err(error) => {
                    let retry_in = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    tracing::warn!(
                        error = %error,
                        retry_in_ms = retry_in.as_millis() as u64,
                        "search indexing failed, retrying"
                    );
                    // Wake-ups are ignored while backing off: a failing store is not hammered.
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(retry_in) => {}
                    }
                }
            }
        }
        tracing::info!("search indexer stopped");
    }

    /// Runs index work off the async runtime.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn SearchIndex) -> Result<T, SearchError> + Send + 'static,
    ) -> Result<T, IndexerError> {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || work(index.as_ref()))
            .await
            .map_err(|error| IndexerError::Task(error.to_string()))?
            .map_err(IndexerError::from)
    }
}
