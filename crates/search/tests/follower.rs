//! The indexer following the change feed of a real SQLite store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;
use trellis_core::{
    AccountId, ChangeKind, Channel, ConversationPatch, ConversationStatus, Direction, IndexDoc,
    IngestBatch, IngestOutcome, MessageKind, NewAccount, NewContact, NewMessage, PlatformId,
    SearchError, SearchIndex, SearchRequest, SearchResults, Seq, SortOrder, Store, TagName,
};
use trellis_search::{Indexer, OpenOutcome, TantivyIndex};

/// A store in a temporary SQLite file with one X account.
struct Fixture {
    dir: TempDir,
    store: Arc<dyn Store>,
    account: AccountId,
}

impl Fixture {
    async fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = trellis_store::connect(&trellis_store::testing::temp_sqlite_url(dir.path()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let brand = store.create_brand("Acme").await.unwrap();
        let account = store
            .create_account(NewAccount {
                brand_id: brand.id,
                channel: Channel::X,
                platform_account_id: "1000".into(),
                display_name: "Acme Support".into(),
                base_url: "http://127.0.0.1:1".into(),
            })
            .await
            .unwrap();
        Fixture { dir, store, account: account.id }
    }

    /// Ingests one mention per text, each its own conversation.
    async fn ingest(&self, first_id: u64, texts: &[&str]) -> IngestOutcome {
        self.ingest_in(None, first_id, texts).await
    }

    /// Ingests one mention per text, all in the reply chain `thread` when given.
    async fn ingest_in(
        &self,
        thread: Option<&str>,
        first_id: u64,
        texts: &[&str],
    ) -> IngestOutcome {
        let messages = texts
            .iter()
            .enumerate()
            .map(|(i, text)| NewMessage {
                platform_id: PlatformId::parse(&(first_id + i as u64).to_string()).unwrap(),
                kind: MessageKind::Mention,
                direction: Direction::Inbound,
                author: NewContact {
                    platform_id: PlatformId::parse("42").unwrap(),
                    handle: Some("Jane".parse().unwrap()),
                    display_name: None,
                    follower_count: None,
                    verified: false,
                },
                parent_platform_id: None,
                thread_platform_id: thread.map(|thread| PlatformId::parse(thread).unwrap()),
                thread_title: None,
                text: (*text).to_owned(),
                lang: None,
                raw: serde_json::Value::Null,
                created_at: Utc.with_ymd_and_hms(2024, 11, 20, 10, 0, i as u32 % 60).unwrap(),
                deleted_at: None,
            })
            .collect();
        let batch = IngestBatch { account_id: self.account, messages, cursors: Vec::new() };
        self.store.ingest(batch).await.unwrap()
    }
}

/// A [`SearchIndex`] that counts what is written through it.
struct Counting {
    inner: TantivyIndex,
    commits: AtomicUsize,
    docs: AtomicUsize,
    seqs: Mutex<Vec<Seq>>,
}

impl Counting {
    fn new(inner: TantivyIndex) -> Arc<Counting> {
        Arc::new(Counting {
            inner,
            commits: AtomicUsize::new(0),
            docs: AtomicUsize::new(0),
            seqs: Mutex::new(Vec::new()),
        })
    }
}

impl SearchIndex for Counting {
    fn apply(&self, upserts: Vec<IndexDoc>, through: Seq) -> Result<(), SearchError> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        self.docs.fetch_add(upserts.len(), Ordering::SeqCst);
        self.seqs.lock().unwrap().push(through);
        self.inner.apply(upserts, through)
    }
    fn committed_seq(&self) -> Result<Seq, SearchError> {
        self.inner.committed_seq()
    }
    fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        self.inner.search(request)
    }
    fn clear(&self) -> Result<(), SearchError> {
        self.inner.clear()
    }
    fn doc_count(&self) -> Result<u64, SearchError> {
        self.inner.doc_count()
    }
}

fn search(index: &dyn SearchIndex, query: &str) -> SearchResults {
    index
        .search(&SearchRequest {
            query: query.into(),
            sort: SortOrder::Newest,
            limit: 25,
            offset: 0,
            brands: None,
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_becomes_searchable_within_a_second_of_its_ingest() {
    let fixture = Fixture::new().await;
    let index: Arc<dyn SearchIndex> = Arc::new(TantivyIndex::in_memory().unwrap());
    let shutdown = CancellationToken::new();
    let task = Indexer::new(fixture.store.clone(), index.clone()).spawn(shutdown.clone());

    fixture.ingest(1, &["my parcel never arrived"]).await;
    let ingested = Instant::now();
    let deadline = ingested + Duration::from_secs(1);
    while search(index.as_ref(), "parcel").total == 0 {
        assert!(Instant::now() < deadline, "not searchable after 1 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
}

#[tokio::test]
async fn the_notifier_wakes_the_follower_before_its_next_poll() {
    let fixture = Fixture::new().await;
    fixture.ingest(1, &["first"]).await;
    let index: Arc<dyn SearchIndex> = Arc::new(TantivyIndex::in_memory().unwrap());
    // Polling so rarely that only the wake-up can explain a prompt update.
    let indexer = Indexer::new(fixture.store.clone(), index.clone())
        .with_poll_interval(Duration::from_secs(3600));
    let notifier = indexer.notifier();
    let shutdown = CancellationToken::new();
    let task = indexer.spawn(shutdown.clone());
    wait_until_found(index.as_ref(), "first").await;

    fixture.ingest(2, &["second"]).await;
    notifier.notify_one();
    wait_until_found(index.as_ref(), "second").await;

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
}

async fn wait_until_found(index: &dyn SearchIndex, query: &str) {
    let deadline = Instant::now() + Duration::from_secs(1);
    while search(index, query).total == 0 {
        assert!(Instant::now() < deadline, "{query:?} not searchable after 1 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_batch_of_changes_is_indexed_in_one_commit() {
    let fixture = Fixture::new().await;
    let texts: Vec<String> = (0..50).map(|i| format!("message number {i}")).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let outcome = fixture.ingest(1, &texts).await;
    let index = Counting::new(TantivyIndex::in_memory().unwrap());
    let seq = Indexer::new(fixture.store.clone(), index.clone()).catch_up().await.unwrap();

    assert_eq!(Some(seq), outcome.last_seq);
    assert_eq!(index.commits.load(Ordering::SeqCst), 1);
    assert_eq!(index.doc_count().unwrap(), 50);
    assert_eq!(index.committed_seq().unwrap(), seq);
}

#[tokio::test]
async fn a_conversation_tag_change_is_reflected_in_tag_searches() {
    let fixture = Fixture::new().await;
    let outcome = fixture.ingest(1, &["charged twice for one order"]).await;
    let index: Arc<dyn SearchIndex> = Arc::new(TantivyIndex::in_memory().unwrap());
    let indexer = Indexer::new(fixture.store.clone(), index.clone());
    indexer.catch_up().await.unwrap();
    assert_eq!(search(index.as_ref(), "tag:billing").total, 0);

    let patch = ConversationPatch {
        add_tags: vec![TagName::parse("billing").unwrap()],
        ..ConversationPatch::default()
    };
    fixture.store.update_conversation(outcome.conversations[0], patch).await.unwrap();
    indexer.catch_up().await.unwrap();

    let found = search(index.as_ref(), "charging tag:billing");
    assert_eq!(found.total, 1);
    assert_eq!(found.hits[0].conversation_id, outcome.conversations[0]);
}

#[tokio::test]
async fn a_restart_resumes_from_the_committed_seq_without_reindexing_everything() {
    let fixture = Fixture::new().await;
    let path = fixture.dir.path().join("index");
    fixture.ingest(1, &["one", "two", "three"]).await;
    let first_seq = {
        let (index, _) = TantivyIndex::open(&path).unwrap();
        Indexer::new(fixture.store.clone(), Arc::new(index)).catch_up().await.unwrap()
    };
    fixture.ingest(10, &["four"]).await;

    let (reopened, outcome) = TantivyIndex::open(&path).unwrap();
    assert_eq!(outcome, OpenOutcome::Opened { committed_seq: first_seq });
    let index = Counting::new(reopened);
    let seq = Indexer::new(fixture.store.clone(), index.clone()).catch_up().await.unwrap();

    assert_eq!(seq, fixture.store.latest_seq().await.unwrap());
    assert_eq!(index.docs.load(Ordering::SeqCst), 1, "only the new message is reindexed");
    assert_eq!(index.doc_count().unwrap(), 4);
    assert_eq!(search(index.as_ref(), "four").total, 1);
}

#[tokio::test]
async fn a_rebuild_restores_everything_and_records_the_seq_taken_before_the_scan() {
    let fixture = Fixture::new().await;
    let texts: Vec<String> = (0..120).map(|i| format!("refund request {i}")).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    fixture.ingest(1, &texts).await;
    let index = Counting::new(TantivyIndex::in_memory().unwrap());
    let indexer = Indexer::new(fixture.store.clone(), index.clone());
    indexer.catch_up().await.unwrap();
    index.clear().unwrap();
    assert_eq!(search(index.as_ref(), "refund").total, 0);

    let reports = Mutex::new(Vec::new());
    let rebuilt = indexer.rebuild(&|done, total| reports.lock().unwrap().push((done, total))).await;

    assert_eq!(rebuilt.unwrap(), 120);
    assert_eq!(reports.lock().unwrap().last(), Some(&(120, 120)));
    assert_eq!(index.doc_count().unwrap(), 120);
    assert_eq!(search(index.as_ref(), "refund").total, 120);
    let latest = fixture.store.latest_seq().await.unwrap();
    assert_eq!(index.committed_seq().unwrap(), latest);
    assert_eq!(index.seqs.lock().unwrap().last(), Some(&latest));
}

#[tokio::test]
async fn the_follower_stops_on_shutdown() {
    let fixture = Fixture::new().await;
    let index: Arc<dyn SearchIndex> = Arc::new(TantivyIndex::in_memory().unwrap());
    let shutdown = CancellationToken::new();
    let task = Indexer::new(fixture.store.clone(), index).spawn(shutdown.clone());
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task).await.expect("stopped").unwrap();
}

#[tokio::test]
async fn a_new_message_in_an_indexed_conversation_reindexes_only_itself() {
    let fixture = Fixture::new().await;
    let texts = ["one", "two", "three", "four", "five"];
    let first = fixture.ingest_in(Some("900"), 900, &texts).await;
    assert_eq!(first.conversations.len(), 1);
    let index = Counting::new(TantivyIndex::in_memory().unwrap());
    let indexer = Indexer::new(fixture.store.clone(), index.clone());
    indexer.catch_up().await.unwrap();
    let before = index.docs.load(Ordering::SeqCst);

    let second = fixture.ingest_in(Some("900"), 910, &["six"]).await;
    assert_eq!(second.conversations, first.conversations);
    // Only the conversation's counters moved: the store announces the message, not a conversation
    // update, so the index has no reason to rewrite the five older documents.
    let changes = fixture.store.changes_since(first.last_seq.unwrap(), 100).await.unwrap();
    assert!(!changes.iter().any(|change| change.kind == ChangeKind::ConversationUpdated));
    indexer.catch_up().await.unwrap();

    assert_eq!(index.docs.load(Ordering::SeqCst) - before, 1);
    assert_eq!(index.doc_count().unwrap(), 6);
}

#[tokio::test]
async fn a_conversation_reopened_by_a_new_message_updates_its_older_messages() {
    let fixture = Fixture::new().await;
    let first = fixture.ingest_in(Some("700"), 700, &["broken screen"]).await;
    let conversation = first.conversations[0];
    let index: Arc<dyn SearchIndex> = Arc::new(TantivyIndex::in_memory().unwrap());
    let indexer = Indexer::new(fixture.store.clone(), index.clone());
    indexer.catch_up().await.unwrap();
    let resolve = ConversationPatch {
        status: Some(ConversationStatus::Resolved),
        ..ConversationPatch::default()
    };
    fixture.store.update_conversation(conversation, resolve).await.unwrap();
    indexer.catch_up().await.unwrap();
    assert_eq!(search(index.as_ref(), "status:resolved").total, 1);

    fixture.ingest_in(Some("700"), 710, &["still broken"]).await;
    indexer.catch_up().await.unwrap();

    assert_eq!(search(index.as_ref(), "status:resolved").total, 0);
    assert_eq!(search(index.as_ref(), "broken status:open").total, 2);
}
