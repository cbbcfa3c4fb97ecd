//! The hub: one task per node reading the change feed and broadcasting it as live events.

use super::doorbell;
use super::stream::{self, Frame, Resume};
use futures::Stream;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch, Notify, OnceCell};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use trellis_app::events::{resolve, LiveEvent};
use trellis_app::{Principal, ServiceResult};
use trellis_core::{Seq, Store, StoreError};

/// How the hub follows the feed and how far a client may fall behind.
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// Events the broadcast channel keeps for its slowest subscriber. A subscriber further
    /// behind is sent `resync` and cut off: this bounds the memory one slow client can cost.
    pub capacity: usize,
    /// How often the feed is read although no doorbell rang: the safety net behind PostgreSQL's
    /// notifications, which a dropped listener connection can lose.
    pub fallback_interval: Duration,
    /// How often the feed is read when there is no doorbell at all (SQLite).
    pub poll_interval: Duration,
    /// Changes read per query, by the hub and by a stream catching up.
    pub batch: u32,
    /// How often an idle stream sends a heartbeat comment, so proxies keep it open and a client
    /// notices a dead connection.
    pub heartbeat: Duration,
    /// A client resuming further behind than this many changes is sent `resync` rather than a
    /// replay: reloading is cheaper for both.
    pub max_replay: i64,
}

impl Default for HubSettings {
    fn default() -> Self {
        Self {
            capacity: 1024,
            fallback_interval: Duration::from_secs(1),
            poll_interval: Duration::from_millis(250),
            batch: 500,
            heartbeat: Duration::from_secs(15),
            max_replay: 10_000,
        }
    }
}

/// Why the hub cannot give a stream or cannot start.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// Nobody started the hub on this node ([`EventHub::start`]), or it has stopped.
    #[error("live events are not running on this node")]
    NotRunning,
    #[error("the live-event hub is already running")]
    AlreadyStarted,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<HubError> for crate::error::AppError {
    fn from(error: HubError) -> Self {
        match error {
            HubError::Store(error) => error.into(),
            HubError::NotRunning => crate::error::AppError::Unavailable(error.into()),
            HubError::AlreadyStarted => crate::error::AppError::internal(error),
        }
    }
}

/// The live-event hub of this node. Cheap to clone; every clone is the same hub.
///
/// Made idle by [`EventHub::new`] (as `AppState::new` does): streams are refused with
/// [`HubError::NotRunning`] until [`EventHub::start`] starts the task that follows the feed.
#[derive(Clone)]
pub struct EventHub {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    settings: HubSettings,
    sender: broadcast::Sender<LiveEvent>,
    /// The last seq the hub has read and broadcast.
    position: Arc<watch::Sender<Seq>>,
    /// Set once the follower knows where it starts, so no stream subscribes before that.
    started: OnceCell<()>,
    /// Cancelled when the follower stops, for whatever reason: every stream then ends.
    stopped: CancellationToken,
    /// Wakes the follower to read the feed now.
    ring: Arc<Notify>,
}

impl Drop for Inner {
    /// The last handle gone (a test's state dropped without a shutdown), the follower stops too.
    fn drop(&mut self) {
        self.stopped.cancel();
    }
}

impl std::fmt::Debug for EventHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHub")
            .field("settings", &self.inner.settings)
            .field("position", &self.position())
            .field("running", &self.is_running())
            .finish_non_exhaustive()
    }
}

impl EventHub {
    /// An idle hub over `store`.
    pub fn new(store: Arc<dyn Store>, settings: HubSettings) -> Self {
        let (sender, _) = broadcast::channel(settings.capacity.max(1));
        Self {
            inner: Arc::new(Inner {
                store,
                settings,
                sender,
                position: Arc::new(watch::Sender::new(Seq(0))),
                started: OnceCell::new(),
                stopped: CancellationToken::new(),
                ring: Arc::new(Notify::new()),
            }),
        }
    }

    /// Starts following the feed from its current end, until `shutdown` is cancelled (then every
    /// stream ends too, so a graceful shutdown is not held open by browsers). With a
    /// `postgres_url` the hub listens for the store's notifications and reads the feed when one
    /// comes, and every [`HubSettings::fallback_interval`] besides; without one it reads the feed
    /// every [`HubSettings::poll_interval`]. The task is named `live-events` in the logs, and
    /// logs its failures and goes on.
    pub async fn start(
        &self,
        postgres_url: Option<String>,
        shutdown: CancellationToken,
    ) -> Result<JoinHandle<()>, HubError> {
        let mut handle = None;
        self.inner
            .started
            .get_or_try_init(|| async {
                let from = self.inner.store.latest_seq().await?;
                self.inner.position.send_replace(from);
                // Listening before `start` returns: a write made once it has is not missed.
                let listener = match &postgres_url {
                    Some(url) => doorbell::first_connection(url).await,
                    None => None,
                };
                let follower = Follower {
                    store: self.inner.store.clone(),
                    sender: self.inner.sender.clone(),
                    position: self.inner.position.clone(),
                    batch: self.inner.settings.batch.max(1),
                };
                let ring = self.inner.ring.clone();
                let stopped = self.inner.stopped.clone();
                let settings = self.inner.settings.clone();
                let task = async move {
                    // Whatever ends the task, a panic included, ends the streams with it.
                    let _stop_streams = stopped.clone().drop_guard();
                    let interval = match &postgres_url {
                        Some(_) => settings.fallback_interval,
                        None => settings.poll_interval,
                    };
                    let follow = follower.run(ring.clone(), interval, shutdown, stopped.clone());
                    match postgres_url {
                        Some(url) => {
                            tokio::join!(follow, doorbell::listen(listener, url, ring, stopped));
                        }
                        None => follow.await,
                    }
                };
                handle = Some(tokio::spawn(
                    task.instrument(tracing::info_span!("task", task = "live-events")),
                ));
                Ok::<_, HubError>(())
            })
            .await?;
        handle.ok_or(HubError::AlreadyStarted)
    }

    /// The frames for one client: `ready`, what it missed since `resume` (read from the store),
    /// then live events, each only if `principal` may see it. Subscribes before reading the
    /// store, so nothing falls between the replay and the live events, and nothing is sent
    /// twice.
    pub async fn stream(
        &self,
        principal: Principal,
        resume: Resume,
    ) -> Result<impl Stream<Item = Frame> + Send + 'static, HubError> {
        if !self.is_running() {
            return Err(HubError::NotRunning);
        }
        let receiver = self.inner.sender.subscribe();
        let latest = self.inner.store.latest_seq().await?;
        Ok(stream::frames(stream::Start {
            store: self.inner.store.clone(),
            principal,
            receiver,
            stopped: self.inner.stopped.clone(),
            batch: self.inner.settings.batch.max(1),
            max_replay: self.inner.settings.max_replay,
            resume,
            latest,
        }))
    }

    /// Has the hub read the feed now rather than at its next tick: for a writer in this process
    /// that wants its event out at once. (On PostgreSQL every write rings every node's hub.)
    pub fn ring(&self) {
        self.inner.ring.notify_one();
    }

    /// Whether the follower runs: started and not stopped.
    pub fn is_running(&self) -> bool {
        self.inner.started.initialized() && !self.inner.stopped.is_cancelled()
    }

    pub fn settings(&self) -> &HubSettings {
        &self.inner.settings
    }

    /// The last seq the hub has read and broadcast.
    pub fn position(&self) -> Seq {
        *self.inner.position.borrow()
    }

    /// Returns once the hub has read and broadcast the feed up to `seq`, or has stopped.
    pub async fn reached(&self, seq: Seq) {
        let mut position = self.inner.position.subscribe();
        tokio::select! {
            _ = position.wait_for(|position| *position >= seq) => {}
            () = self.inner.stopped.cancelled() => {}
        }
    }

    /// Events held in the channel for the slowest subscriber: never more than the capacity.
    pub fn queued(&self) -> usize {
        self.inner.sender.len()
    }

    /// Open streams on this node.
    pub fn subscribers(&self) -> usize {
        self.inner.sender.receiver_count()
    }
}

/// The follower half of the task: reads the feed after each ring or tick and broadcasts it.
struct Follower {
    store: Arc<dyn Store>,
    sender: broadcast::Sender<LiveEvent>,
    position: Arc<watch::Sender<Seq>>,
    batch: u32,
}

impl Follower {
    async fn run(
        self,
        ring: Arc<Notify>,
        interval: Duration,
        shutdown: CancellationToken,
        stopped: CancellationToken,
    ) {
        let mut from = *self.position.borrow();
        tracing::info!(from = %from, "following the change feed");
        let mut failing = false;
        // It starts where `start` found the feed's end, so it waits for the first ring or tick.
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = stopped.cancelled() => break,
                () = ring.notified() => {}
                () = tokio::time::sleep(interval) => {}
            }
            match self.catch_up(&mut from).await {
                Ok(()) if failing => {
                    tracing::info!(at = %from, "reading the change feed again");
                    failing = false;
                }
                Ok(()) => {}
                // Logged once per outage, not at every tick; the next tick retries.
                Err(error) if !failing => {
                    tracing::warn!(%error, at = %from, "cannot read the change feed");
                    failing = true;
                }
                Err(_) => {}
            }
        }
        stopped.cancel();
    }

    /// Reads and broadcasts everything after `from`, in batches, moving `from` along event by
    /// event (after a failure, the next call goes on from the first event not sent).
    async fn catch_up(&self, from: &mut Seq) -> ServiceResult<()> {
        loop {
            let changes = self.store.changes_since(*from, self.batch).await?;
            for change in &changes {
                // Once per node, not per client: what the filter needs and the feed lacks.
                let event = resolve(self.store.as_ref(), LiveEvent::from_change(change)).await?;
                // An error only says nobody is subscribed right now.
                let _ = self.sender.send(event);
                *from = change.seq;
                self.position.send_replace(change.seq);
            }
            if changes.len() < self.batch as usize {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::events::{Frame, ResyncReason};
    use futures::StreamExt;
    use trellis_app::access::Via;
    use trellis_core::{Role, UserId};

    async fn store() -> (tempfile::TempDir, Arc<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let url = trellis_store::testing::temp_sqlite_url(dir.path());
        let store = trellis_store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        (dir, store)
    }

    fn agent() -> Principal {
        let via = Via::Session;
        Principal { user_id: Some(UserId(1)), role: Role::Agent, via, ..Principal::operator() }
    }

    async fn teams(store: &dyn Store, count: usize) -> Seq {
        for n in 0..count {
            store.create_team(&format!("team {n}")).await.unwrap();
        }
        store.latest_seq().await.unwrap()
    }

    #[tokio::test]
    async fn an_idle_hub_refuses_streams_and_a_hub_starts_once() {
        let (_dir, store) = store().await;
        let hub = EventHub::new(store, HubSettings::default());
        let refused = hub.stream(agent(), Resume::Latest).await.err().unwrap();
        assert!(matches!(refused, HubError::NotRunning), "{refused:?}");
        let shutdown = CancellationToken::new();
        let task = hub.start(None, shutdown.clone()).await.unwrap();
        assert!(hub.is_running());
        let again = hub.start(None, shutdown.clone()).await.err().unwrap();
        assert!(matches!(again, HubError::AlreadyStarted), "{again:?}");
        shutdown.cancel();
        task.await.unwrap();
        assert!(!hub.is_running());
    }

    #[tokio::test]
    async fn a_stream_not_read_while_more_than_the_capacity_goes_by_ends_with_resync() {
        let (_dir, store) = store().await;
        let settings = HubSettings { capacity: 4, ..HubSettings::default() };
        let hub = EventHub::new(store.clone(), settings);
        let shutdown = CancellationToken::new();
        hub.start(None, shutdown.clone()).await.unwrap();
        let mut frames = Box::pin(hub.stream(agent(), Resume::Latest).await.unwrap());
        let start = store.latest_seq().await.unwrap();
        assert_eq!(frames.next().await, Some(Frame::Ready { seq: start, latest_seq: start }));

        let last = teams(store.as_ref(), 20).await;
        hub.reached(last).await;
        assert_eq!(hub.queued(), 4, "the channel keeps the capacity, not the 20 events");
        assert_eq!(frames.next().await, Some(Frame::Resync { reason: ResyncReason::Lagged }));
        assert_eq!(frames.next().await, None);
        shutdown.cancel();
    }

    #[tokio::test]
    async fn a_resumed_stream_replays_then_goes_live_without_repeating_what_came_both_ways() {
        let (_dir, store) = store().await;
        // The hub reads the feed only when rung, so the test knows what it has broadcast when.
        let settings = HubSettings {
            batch: 3,
            poll_interval: Duration::from_secs(3600),
            ..HubSettings::default()
        };
        let hub = EventHub::new(store.clone(), settings);
        let shutdown = CancellationToken::new();
        hub.start(None, shutdown.clone()).await.unwrap();
        let before = store.latest_seq().await.unwrap();
        let missed = teams(store.as_ref(), 7).await;
        // The hub broadcasts these only after the stream subscribed: they come both ways.
        let mut frames = Box::pin(hub.stream(agent(), Resume::After(before)).await.unwrap());
        hub.ring();
        hub.reached(missed).await;
        let live = teams(store.as_ref(), 1).await;
        hub.ring();
        let mut ids = Vec::new();
        while ids.last() != Some(&live.0) {
            let frame = frames.next().await.unwrap();
            ids.push(frame.id().unwrap().0);
        }
        let expected: Vec<i64> = std::iter::once(before.0).chain(before.0 + 1..=live.0).collect();
        assert_eq!(ids, expected, "ready, the seven missed, then the live one, once each");
        shutdown.cancel();
        assert_eq!(frames.next().await, None, "the stream ends when the hub stops");
    }

    #[tokio::test]
    async fn a_client_too_far_behind_is_told_to_resync_rather_than_replayed() {
        let (_dir, store) = store().await;
        let settings = HubSettings { max_replay: 5, ..HubSettings::default() };
        let hub = EventHub::new(store.clone(), settings);
        hub.start(None, CancellationToken::new()).await.unwrap();
        let before = store.latest_seq().await.unwrap();
        teams(store.as_ref(), 6).await;
        let frames = hub.stream(agent(), Resume::After(before)).await.unwrap();
        let frames: Vec<Frame> = frames.collect().await;
        assert_eq!(frames, [Frame::Resync { reason: ResyncReason::TooFarBehind }]);
    }
}
