//! `trellis serve`: the HTTP API plus the indexer, the triage service and the live-event hub
//! following the change feed, until SIGINT/SIGTERM.

use crate::config::Config;
use crate::startup::Search;
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use trellis_core::Backend;
use trellis_http::{AppState, RebuildProgress};

/// Runs until a shutdown signal, then stops accepting, drains in-flight requests and stops the
/// indexer.
pub async fn run(config: Arc<Config>) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let signals = tokio::spawn(cancel_on_signal(shutdown.clone()));
    let outcome = serve_until(config, shutdown.clone(), |_| {}).await;
    signals.abort();
    outcome
}

/// Serves until `shutdown` is cancelled. `on_listening` gets the bound address (the only way to
/// learn it when binding port 0). Split from [`run`] so tests can stop the server without signals.
pub async fn serve_until(
    config: Arc<Config>,
    shutdown: CancellationToken,
    on_listening: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    let store = crate::startup::open_store(&config).await?;
    let search = crate::startup::open_search(&config, &store).await?;

    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let local_addr = listener.local_addr().context("cannot read the bound address")?;

    let index = search.index.clone();
    let committed_seq = tokio::task::spawn_blocking(move || index.committed_seq())
        .await
        .context("index check task failed")?
        .context("cannot read the search index")?;
    tracing::info!(
        bind = %local_addr,
        backend = backend_name(store.backend()),
        data_dir = %config.data_dir.display(),
        database = %config.redacted_database_url(),
        index_seq = %committed_seq,
        index_rebuild = search.stale.unwrap_or("no"),
        "trellis is serving"
    );
    on_listening(local_addr);
    let base_url = config.public_url.clone().unwrap_or_else(|| format!("http://{local_addr}"));
    announce_setup_link(store.as_ref(), &base_url).await;

    // Rules, SLA clocks and the triage jobs follow the change feed beside the indexer.
    let triage =
        trellis_triage::service::TriageService::spawn(store.clone(), shutdown.child_token());
    let mut state =
        AppState::new(store.clone(), search.index.clone(), Arc::new(config.http_settings()));
    let sync = if config.sync.enabled {
        let ctx =
            trellis_sync::SyncContext::from_settings(&config.connection_settings(), store.clone())?;
        let runtime = trellis_sync::SyncRuntime::start(ctx, trellis_sync::node_id(), &shutdown);
        state.sync = runtime.sync.clone();
        state.outbox = runtime.outbox.clone();
        Some(runtime)
    } else {
        tracing::info!("sync is disabled on this node: no polling, no outbox delivery");
        None
    };
    // Live events follow the feed from here on; on PostgreSQL the hub listens for every node's
    // writes, so a browser on this node sees what was done on any other.
    let postgres_url = (store.backend() == Backend::Postgres).then(|| config.database_url.clone());
    let live_events = match state.events.start(postgres_url, shutdown.child_token()).await {
        Ok(task) => task,
        Err(err) => {
            // Stop what already started (triage, sync) rather than leave it running.
            shutdown.cancel();
            return Err(anyhow::Error::new(err).context("cannot start live events"));
        }
    };
    let progress = state.rebuild.clone();
    if search.stale.is_some() {
        // Marked before the first request is accepted, so /readyz never reports a half-built
        // index as ready.
        progress.begin();
    }
    let sweeper = tokio::spawn(
        sweep_sign_ins(store.clone(), shutdown.child_token())
            .instrument(tracing::info_span!("task", task = "sign-in-sweeper")),
    );
    let presence = tokio::spawn(
        sweep_presence(store.clone(), shutdown.child_token())
            .instrument(tracing::info_span!("task", task = "presence-sweeper")),
    );
    let follower = tokio::spawn(
        run_indexer(search, progress, shutdown.child_token())
            .instrument(tracing::info_span!("task", task = "search-indexer")),
    );

    let served = axum::serve(
        listener,
        trellis_http::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.clone().cancelled_owned())
    .await
    .context("http server failed");
    // Whatever ended the server (signal or error), the follower stops with it.
    shutdown.cancel();
    match follower.await {
        Ok(()) => tracing::info!(task = "search-indexer", "stopped"),
        Err(err) => tracing::error!(task = "search-indexer", error = %err, "task failed"),
    }
    match sweeper.await {
        Ok(()) => tracing::info!(task = "sign-in-sweeper", "stopped"),
        Err(err) => tracing::error!(task = "sign-in-sweeper", error = %err, "task failed"),
    }
    match presence.await {
        Ok(()) => tracing::info!(task = "presence-sweeper", "stopped"),
        Err(err) => tracing::error!(task = "presence-sweeper", error = %err, "task failed"),
    }
    match live_events.await {
        Ok(()) => tracing::info!(task = "live-events", "stopped"),
        Err(err) => tracing::error!(task = "live-events", error = %err, "task failed"),
    }
    match triage.await {
        Ok(()) => tracing::info!(task = "triage", "stopped"),
        Err(err) => tracing::error!(task = "triage", error = %err, "task failed"),
    }
    if let Some(sync) = sync {
        sync.stopped().await;
    }
    tracing::info!("trellis stopped");
    served
}

/// While no admin exists, logs a one-time link that creates the first one.
async fn announce_setup_link(store: &dyn trellis_core::Store, base_url: &str) {
    match trellis_app::identity::setup::issue(store).await {
        Ok(Some(secret)) => tracing::warn!(
            setup_url = %format!("{base_url}/setup?token={secret}"),
            "no admin exists yet: open the setup link (it works once, for 24 hours) or run `trellis user add --role admin --password-stdin`"
        ),
        Ok(None) => {}
        Err(error) => tracing::error!(%error, "cannot issue a setup link"),
    }
}

/// How often expired sessions and old sign-in failures are deleted.
const SWEEP_EVERY: Duration = Duration::from_secs(600);

/// Deletes expired sessions and sign-in failures older than the throttle window, every few
/// minutes: neither is needed once past, and without a sweep both tables only grow.
async fn sweep_sign_ins(store: Arc<dyn trellis_core::Store>, shutdown: CancellationToken) {
    let window = trellis_app::identity::sessions::Throttle::default().window;
    loop {
        let now = chrono::Utc::now();
        match store.sweep_expired_sessions(now).await {
            Ok(0) => {}
            Ok(swept) => tracing::info!(swept, "expired sessions deleted"),
            Err(error) => tracing::warn!(%error, "cannot delete expired sessions"),
        }
        if let Err(error) = store.sweep_login_failures(now - window).await {
            tracing::warn!(%error, "cannot delete old sign-in failures");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(SWEEP_EVERY) => {}
        }
    }
}

/// How often presences not renewed in time are ended.
const PRESENCE_SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Ends presences whose browser stopped renewing them (a closed tab, a lost connection), so the
/// others stop seeing a viewer who left. Every node sweeps; the store ends each presence once.
async fn sweep_presence(store: Arc<dyn trellis_core::Store>, shutdown: CancellationToken) {
    let mut failing = false;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(PRESENCE_SWEEP_EVERY) => {}
        }
        match store.expire_presence(chrono::Utc::now()).await {
            Ok(_) => failing = false,
            // Logged once per outage, not every five seconds.
            Err(error) if !failing => {
                tracing::warn!(%error, "cannot end expired presences");
                failing = true;
            }
            Err(_) => {}
        }
    }
}

/// The search-indexer task: rebuilds a stale index first (in the background, so the server answers
/// health checks meanwhile), then follows the change feed until shutdown.
async fn run_indexer(search: Search, progress: Arc<RebuildProgress>, shutdown: CancellationToken) {
    if let Some(reason) = search.stale {
        tracing::info!(reason, "rebuilding search index from the store in the background");
        let mut retry_in = Duration::from_secs(1);
        loop {
            let report = progress.clone();
            let on_progress = move |done, total| report.advance(done, total);
            let rebuilt = tokio::select! {
                () = shutdown.cancelled() => return,
                rebuilt = search.indexer.rebuild(&on_progress) => rebuilt,
            };
            match rebuilt {
                Ok(_) => break,
                Err(err) => {
                    tracing::error!(error = %err, retry_in_s = retry_in.as_secs(), "search index rebuild failed");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(retry_in) => {}
                    }
                    retry_in = (retry_in * 2).min(Duration::from_secs(60));
                }
            }
        }
        progress.finish();
    }
    if let Err(err) = search.indexer.spawn(shutdown).await {
        tracing::error!(error = %err, "search indexer panicked");
    }
}

/// `trellis sync` without `--once`: the polling scheduler and the outbox worker without the HTTP
/// server (webhooks need `serve`), until SIGINT/SIGTERM.
pub async fn run_sync_only(config: Arc<Config>) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let signals = tokio::spawn(cancel_on_signal(shutdown.clone()));
    let store = crate::startup::open_store(&config).await?;
    let ctx =
        trellis_sync::SyncContext::from_settings(&config.connection_settings(), store.clone())?;
    let runtime = trellis_sync::SyncRuntime::start(ctx, trellis_sync::node_id(), &shutdown);
    tracing::info!(database = %config.redacted_database_url(), "trellis is syncing");
    shutdown.cancelled().await;
    runtime.stopped().await;
    signals.abort();
    Ok(())
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// Cancels `shutdown` on the first SIGINT or SIGTERM. Every long-running command (`serve`, `demo`,
/// `sync`, `simulate`) stops through it.
pub(crate) async fn cancel_on_signal(shutdown: CancellationToken) {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for sigterm");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = interrupt => tracing::info!(signal = "SIGINT", "shutting down"),
        () = terminate => tracing::info!(signal = "SIGTERM", "shutting down"),
    }
    shutdown.cancel();
}
