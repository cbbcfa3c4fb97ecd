//! The PostgreSQL doorbell: `LISTEN trellis_changes`, ringing the follower at every notification.
//!
//! Only a doorbell: a notification carries nothing, and the follower reads the feed after each
//! ring. While the listener is down (PostgreSQL restarting, the connection cut) the follower
//! still reads the feed on its fallback timer, so events are late, never lost; and each
//! (re)connection rings once, for whatever was written while nobody listened.

use super::CHANGES_CHANNEL;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The first wait before reconnecting a listener that failed; doubled up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(60);

/// How long [`first_connection`] waits for PostgreSQL before leaving it to the background.
const FIRST_CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// A listener connected now, so that the hub is listening once it has started; `None` (logged)
/// when PostgreSQL cannot be reached at once, then [`listen`] keeps trying.
pub(super) async fn first_connection(url: &str) -> Option<PgListener> {
    match tokio::time::timeout(FIRST_CONNECTION_TIMEOUT, connect(url)).await {
        Ok(Ok(listener)) => Some(listener),
        Ok(Err(error)) => {
            tracing::warn!(%error, "cannot listen for changes yet; reading the feed on a timer");
            None
        }
        Err(_) => {
            tracing::warn!(
                "cannot listen for changes yet (timed out); reading the feed on a timer"
            );
            None
        }
    }
}

/// Listens on `url` (starting with `first`, when connected already) and rings `ring` at every
/// notification, reconnecting with backoff, until `stop` is cancelled.
pub(super) async fn listen(
    first: Option<PgListener>,
    url: String,
    ring: Arc<Notify>,
    stop: CancellationToken,
) {
    let mut first = first;
    let mut retry_in = FIRST_RETRY;
    loop {
        let connected = match first.take() {
            Some(listener) => Ok(listener),
            None => tokio::select! {
                () = stop.cancelled() => return,
                connected = connect(&url) => connected,
            },
        };
        match connected {
            Ok(mut listener) => {
                tracing::info!(channel = CHANGES_CHANNEL, "listening for changes");
                retry_in = FIRST_RETRY;
                ring.notify_one();
                loop {
                    let received = tokio::select! {
                        () = stop.cancelled() => return,
                        received = listener.try_recv() => received,
                    };
                    match received {
                        Ok(Some(_)) => ring.notify_one(),
                        // The connection dropped and sqlx reconnects on the next call; what was
                        // notified meanwhile is lost, so read the feed now.
                        Ok(None) => {
                            tracing::warn!("change listener lost its connection, reconnecting");
                            ring.notify_one();
                        }
                        Err(error) => {
                            tracing::warn!(
                                %error,
                                retry_in_s = retry_in.as_secs(),
                                "change listener failed; reading the feed on a timer meanwhile"
                            );
                            break;
                        }
                    }
                }
            }
            Err(error) => tracing::warn!(
                %error,
                retry_in_s = retry_in.as_secs(),
                "cannot listen for changes; reading the feed on a timer meanwhile"
            ),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(retry_in) => {}
        }
        retry_in = (retry_in * 2).min(MAX_RETRY);
    }
}

async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANGES_CHANNEL).await?;
    Ok(listener)
}
