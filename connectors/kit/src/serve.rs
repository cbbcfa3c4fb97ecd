//! A simulator's server lifecycle: serve a router on a listener until told to stop or dropped,
//! and stop every background task (traffic trickles, webhook deliveries) with it.

use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A router being served, with the tasks that live as long as it. Dropping it stops the server
/// and signals every task; [`Served::shutdown`] also waits for them to end.
pub struct Served {
    name: &'static str,
    addr: SocketAddr,
    /// Flipped to `true` to stop the server and every task.
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Served {
    /// Binds `addr` (port 0 for a free one) and serves `app` on it. `name` (`"x"`, `"discourse"`)
    /// labels the logs.
    pub async fn bind(addr: SocketAddr, app: Router, name: &'static str) -> std::io::Result<Self> {
        Self::on(TcpListener::bind(addr).await?, app, name)
    }

    /// Serves `app` on an already bound listener. Must be called within a Tokio runtime.
    pub fn on(listener: TcpListener, app: Router, name: &'static str) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async move {
                // Either an explicit stop or the handle being dropped ends the server.
                let _ = stopped.wait_for(|stop| *stop).await;
            });
            if let Err(error) = server.await {
                tracing::error!(simulator = name, %error, "simulator stopped with an error");
            }
        });
        tracing::info!(simulator = name, %addr, "simulator listening");
        Ok(Self { name, addr, stop, tasks: vec![task] })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to configure an account with.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A signal that turns `true` when the server stops; background tasks end on it.
    pub fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Runs `task` until the server stops; [`Served::shutdown`] waits for it. The task must end on
    /// [`Served::stop_signal`].
    pub fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks.push(tokio::spawn(task));
    }

    /// Keeps a task spawned elsewhere so [`Served::shutdown`] waits for it too.
    pub fn track(&mut self, task: JoinHandle<()>) {
        self.tasks.push(task);
    }

    /// Stops serving and waits for the server and every task to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            if let Err(error) = task.await {
                tracing::error!(simulator = self.name, %error, "simulator task failed");
            }
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    fn app() -> Router {
        Router::new().route("/ping", get(|| async { "pong" }))
    }

    async fn get_ping(addr: SocketAddr) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(b"GET /ping HTTP/1.1\r\nhost: sim\r\nconnection: close\r\n\r\n").await?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await?;
        Ok(answer)
    }

    #[tokio::test]
    async fn a_served_router_answers_on_a_free_port_and_stops_on_shutdown() {
        let served = Served::bind("127.0.0.1:0".parse().unwrap(), app(), "test").await.unwrap();
        let addr = served.addr();
        assert_ne!(addr.port(), 0);
        assert_eq!(served.base_url(), format!("http://{addr}"));
        assert!(get_ping(addr).await.unwrap().ends_with("pong"));
        served.shutdown().await;
        assert!(get_ping(addr).await.is_err(), "still serving after shutdown");
    }

    #[tokio::test]
    async fn shutdown_ends_tasks_waiting_on_the_stop_signal() {
        let mut served = Served::bind("127.0.0.1:0".parse().unwrap(), app(), "test").await.unwrap();
        let (ended_tx, ended_rx) = tokio::sync::oneshot::channel();
        let mut stopped = served.stop_signal();
        served.spawn(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
            let _ = ended_tx.send(());
        });
        served.shutdown().await;
        assert!(ended_rx.await.is_ok(), "the task did not see the stop");
    }

    #[tokio::test]
    async fn dropping_the_handle_signals_the_stop() {
        let served = Served::bind("127.0.0.1:0".parse().unwrap(), app(), "test").await.unwrap();
        let mut stopped = served.stop_signal();
        drop(served);
        assert!(stopped.wait_for(|stop| *stop).await.is_ok());
    }
}
