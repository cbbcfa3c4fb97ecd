//! Live-event test kit: a node (the HTTP app with its hub started) on a real TCP port, people with
//! API tokens, writes that append to the change feed, and an SSE client that reads the stream as
//! a browser's `EventSource` would.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::sync::CancellationToken;
use trellis_app::identity::tokens;
use trellis_app::identity::users::{self, NewUserInput};
use trellis_app::teams;
use trellis_app::Principal;
use trellis_core::{Role, Seq, Store, User};
use trellis_http::events::{EventHub, HubSettings};
use trellis_http::{app, AppState, HttpSettings};

/// How long a test waits for something that should come at once.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A fresh, migrated SQLite store.
pub async fn sqlite() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store =
        trellis_store::connect(&trellis_store::testing::temp_sqlite_url(dir.path())).await.unwrap();
    store.migrate().await.unwrap();
    (dir, store)
}

/// The team every agent of these tests works in. It names no brand, so it serves every brand, as
/// in a deployment of one brand (an agent in no team sees no conversation).
const SUPPORT: &str = "Support";

/// A user of `role` and an API token of theirs; an agent joins [`SUPPORT`].
pub async fn person(store: &dyn Store, name: &str, role: Role) -> (User, String) {
    let operator = Principal::operator();
    let input = NewUserInput {
        email: format!("{name}@example.com"),
        name: name.to_owned(),
        role,
        password: None,
    };
    let user = users::create_user(store, &operator, input).await.unwrap();
    if role == Role::Agent {
        let support =
            match store.list_teams().await.unwrap().into_iter().find(|t| t.name == SUPPORT) {
                Some(team) => team.id,
                None => teams::create(store, &operator, SUPPORT, &[]).await.unwrap().team.id,
            };
        teams::add_member(store, &operator, support, user.id).await.unwrap();
    }
    let token = tokens::create(store, &operator, user.id, "live", None).await.unwrap().secret;
    (user, token)
}

/// One `trellis serve` node: the app with a started hub, served on 127.0.0.1.
pub struct Node {
    pub addr: SocketAddr,
    pub hub: EventHub,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Serves `store` with a hub of `settings`, listening for PostgreSQL's notifications at
/// `postgres_url` if given. `send_buffer` shrinks the kernel's send buffer of every connection,
/// so a client that stops reading stalls the server after a few kilobytes.
pub async fn node(
    store: Arc<dyn Store>,
    settings: HubSettings,
    postgres_url: Option<String>,
    send_buffer: Option<u32>,
) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let index = trellis_search::TantivyIndex::in_memory().unwrap();
    let connection =
        trellis_sync::ConnectionSettings::new(dir.path().to_owned(), Default::default());
    let http = HttpSettings::new("127.0.0.1:8080".parse().unwrap(), connection);
    let mut state = AppState::new(store.clone(), Arc::new(index), Arc::new(http));
    state.events = EventHub::new(store, settings);
    let shutdown = CancellationToken::new();
    state.events.start(postgres_url, shutdown.child_token()).await.unwrap();

    let socket = TcpSocket::new_v4().unwrap();
    if let Some(size) = send_buffer {
        // Accepted connections inherit the listening socket's buffer sizes.
        socket.set_send_buffer_size(size).unwrap();
    }
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener: TcpListener = socket.listen(64).unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        axum::serve(listener, service).with_graceful_shutdown(stop.cancelled_owned()).await
    });
    Node { addr, hub: state.events, shutdown, _dir: dir }
}

/// One event as a client reads it.
#[derive(Debug, Clone)]
pub struct Received {
    pub event: String,
    pub id: Option<i64>,
    pub data: Value,
}

/// Parses complete events off the front of `buffer` (comments, the heartbeats, are dropped).
pub fn parse_events(buffer: &mut String) -> Vec<Received> {
    let mut events = Vec::new();
    while let Some(end) = buffer.find("\n\n") {
        let block: String = buffer.drain(..end + 2).collect();
        let (mut event, mut id, mut data) = (String::from("message"), None, String::new());
        for line in block.lines() {
            if let Some(value) = line.strip_prefix("event:") {
                event = value.trim().to_owned();
            } else if let Some(value) = line.strip_prefix("id:") {
                id = Some(value.trim().parse().unwrap());
            } else if let Some(value) = line.strip_prefix("data:") {
                data.push_str(value.trim());
            }
        }
        if !data.is_empty() {
            events.push(Received { event, id, data: serde_json::from_str(&data).unwrap() });
        }
    }
    events
}

/// An SSE client over reqwest.
pub struct Client {
    response: reqwest::Response,
    buffer: String,
    ready: VecDeque<Received>,
    /// The id of the last event read, as `EventSource` keeps it for `Last-Event-ID`.
    pub last_event_id: Option<i64>,
}

impl Client {
    /// Opens `GET /api/v1/events` on `node` as the holder of `token`.
    pub async fn connect(node: &Node, token: &str, last_event_id: Option<i64>) -> Client {
        let mut request = reqwest::Client::new()
            .get(format!("http://{}/api/v1/events", node.addr))
            .bearer_auth(token)
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Client { response, buffer: String::new(), ready: VecDeque::new(), last_event_id }
    }

    /// The next event, `None` when the stream ended; fails the test after [`PATIENCE`].
    pub async fn next(&mut self) -> Option<Received> {
        self.next_within(PATIENCE).await.expect("no event came in time")
    }

    /// The next event, `Err` when none came within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Result<Option<Received>, ()> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(event) = self.ready.pop_front() {
                if event.id.is_some() {
                    self.last_event_id = event.id;
                }
                return Ok(Some(event));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .map_err(|_| ())?
                .unwrap();
            match chunk {
                Some(bytes) => {
                    self.buffer.push_str(std::str::from_utf8(&bytes).unwrap());
                    self.ready.extend(parse_events(&mut self.buffer));
                }
                None => return Ok(None),
            }
        }
    }

    /// Reads until an event with this id, returning every event read, that one included.
    pub async fn until_id(&mut self, id: Seq) -> Vec<Received> {
        let mut read = Vec::new();
        loop {
            let event = self.next().await.expect("the stream ended");
            let done = event.id == Some(id.0);
            read.push(event);
            if done {
                return read;
            }
        }
    }

    /// Reads the `ready` event every stream starts with.
    pub async fn ready(&mut self) -> Received {
        let ready = self.next().await.expect("the stream ended before ready");
        assert_eq!(ready.event, "ready", "{ready:?}");
        ready
    }
}

/// Appends one `team_updated` change (an `admin_updated` event) and returns its seq.
pub async fn team(store: &dyn Store, name: &str) -> Seq {
    store.create_team(name).await.unwrap();
    store.latest_seq().await.unwrap()
}
