//! `GET /api/v1/events` over real TCP: writes reach connected clients, a reconnecting client gets
//! exactly what it missed, a client that stops reading is cut off with `resync` while the hub's
//! memory stays bounded, a notification reaches its recipient only, and on PostgreSQL a write on
//! one node reaches the clients of another through LISTEN/NOTIFY.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod live;

use live::{node, parse_events, person, sqlite, team, Client, PATIENCE};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trellis_core::{
    Actor, Channel, ConversationId, ConversationPatch, Direction, Handle, IngestBatch, MessageKind,
    NewAccount, NewContact, NewMessage, NewNotification, PlatformId, Priority, Role, Store,
};
use trellis_http::events::HubSettings;

/// An inbound mention on a new X account, opening a conversation; its id.
async fn mention(store: &dyn Store) -> ConversationId {
    let brand = store.create_brand("Acme").await.unwrap();
    let account = store
        .create_account(NewAccount {
            brand_id: brand.id,
            channel: Channel::X,
            platform_account_id: "acme".into(),
            display_name: "@acme".into(),
            base_url: String::new(),
        })
        .await
        .unwrap();
    let message = NewMessage {
        platform_id: PlatformId::parse("9001").unwrap(),
        kind: MessageKind::Mention,
        direction: Direction::Inbound,
        author: NewContact {
            platform_id: PlatformId::parse("u1").unwrap(),
            handle: Some(Handle::parse("dana").unwrap()),
            display_name: None,
            follower_count: None,
            verified: false,
        },
        parent_platform_id: None,
        thread_platform_id: None,
        thread_title: None,
        text: "@acme my order never came".into(),
        lang: None,
        raw: serde_json::Value::Null,
        created_at: chrono::Utc::now(),
        deleted_at: None,
    };
    let batch =
        IngestBatch { account_id: account.id, messages: vec![message], cursors: Vec::new() };
    store.ingest(batch).await.unwrap();
    store.list_conversations(&Default::default()).await.unwrap().items[0].id
}

#[tokio::test]
async fn a_write_reaches_a_connected_client_as_small_events_with_the_feed_seq_as_id() {
    let (_dir, store) = sqlite().await;
    let (_, token) = person(store.as_ref(), "agent", Role::Agent).await;
    let node = node(store.clone(), HubSettings::default(), None, None).await;
    let mut client = Client::connect(&node, &token, None).await;
    let ready = client.ready().await;
    let start = store.latest_seq().await.unwrap();
    assert_eq!(ready.id, Some(start.0));
    assert_eq!(ready.data["seq"], start.0);
    assert_eq!(ready.data["latest_seq"], start.0);

    let conversation = mention(store.as_ref()).await;
    let ingested = store.latest_seq().await.unwrap();
    let events = client.until_id(ingested).await;
    let names: Vec<&str> = events.iter().map(|event| event.event.as_str()).collect();
    assert!(names.contains(&"conversation_created"), "{names:?}");
    assert!(names.contains(&"message_created"), "{names:?}");
    let created = events.iter().find(|event| event.event == "message_created").unwrap();
    assert_eq!(created.data["type"], "message_created");
    assert_eq!(created.data["conversation_id"], conversation.0);
    assert_eq!(Some(created.data["seq"].as_i64().unwrap()), created.id);
    let ids: Vec<i64> = events.iter().map(|event| event.id.unwrap()).collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "ids rise: {ids:?}");
    assert!(ids[0] > start.0);

    let patch = ConversationPatch { priority: Some(Priority::High), ..Default::default() };
    store.patch_conversation(conversation, patch, Actor::System).await.unwrap();
    let patched = store.latest_seq().await.unwrap();
    let events = client.until_id(patched).await;
    let updated = events.iter().find(|event| event.event == "conversation_updated").unwrap();
    assert_eq!(updated.data["conversation_id"], conversation.0);
}

#[tokio::test]
async fn a_reconnecting_client_gets_exactly_what_it_missed_in_order_then_live_events() {
    let (_dir, store) = sqlite().await;
    let (_, token) = person(store.as_ref(), "agent", Role::Agent).await;
    // A small replay batch, so the missed events are read back in several pages.
    let settings = HubSettings { batch: 2, ..HubSettings::default() };
    let node = node(store.clone(), settings, None, None).await;

    let mut client = Client::connect(&node, &token, None).await;
    client.ready().await;
    let seen = team(store.as_ref(), "first").await;
    client.until_id(seen).await;
    assert_eq!(client.last_event_id, Some(seen.0));
    drop(client);

    let mut missed = Vec::new();
    for name in ["north", "south", "east", "west", "centre"] {
        missed.push(team(store.as_ref(), name).await.0);
    }
    let mut client = Client::connect(&node, &token, Some(seen.0)).await;
    let ready = client.ready().await;
    assert_eq!(
        (ready.id, ready.data["latest_seq"].as_i64()),
        (Some(seen.0), missed.last().copied())
    );
    let mut replayed = Vec::new();
    for _ in &missed {
        let event = client.next().await.unwrap();
        assert_eq!(event.event, "admin_updated", "{event:?}");
        assert_eq!(event.data["entity"], "team");
        replayed.push(event.id.unwrap());
    }
    assert_eq!(replayed, missed);

    // Then live, with nothing repeated: the next event is the next write.
    let next = team(store.as_ref(), "after").await;
    let event = client.next().await.unwrap();
    assert_eq!(event.id, Some(next.0), "{event:?}");
}

#[tokio::test]
async fn resuming_with_after_in_the_query_works_like_last_event_id() {
    let (_dir, store) = sqlite().await;
    let (_, token) = person(store.as_ref(), "agent", Role::Agent).await;
    let node = node(store.clone(), HubSettings::default(), None, None).await;
    let before = store.latest_seq().await.unwrap();
    let written = team(store.as_ref(), "north").await;
    node.hub.reached(written).await;
    let response = reqwest::Client::new()
        .get(format!("http://{}/api/v1/events?after={}", node.addr, before.0))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let mut response = response;
    let mut buffer = String::new();
    let mut events = Vec::new();
    while events.len() < 2 {
        let chunk = tokio::time::timeout(PATIENCE, response.chunk()).await.unwrap().unwrap();
        buffer.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
        events.extend(parse_events(&mut buffer));
    }
    assert_eq!(events[0].event, "ready");
    assert_eq!(events[1].id, Some(written.0));
}

#[tokio::test]
async fn a_client_resuming_from_a_seq_the_feed_never_reached_is_told_to_resync() {
    let (_dir, store) = sqlite().await;
    let (_, token) = person(store.as_ref(), "agent", Role::Agent).await;
    let node = node(store.clone(), HubSettings::default(), None, None).await;
    let mut client = Client::connect(&node, &token, Some(1_000_000)).await;
    let resync = client.next().await.unwrap();
    assert_eq!(resync.event, "resync");
    assert_eq!(resync.data["reason"], "unknown_position");
    assert_eq!(resync.id, None);
    assert!(client.next().await.is_none(), "the stream ends after resync");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_off_with_resync_and_the_hub_stays_bounded() {
    const CAPACITY: usize = 16;
    const WRITES: usize = 400;
    let (_dir, store) = sqlite().await;
    let (_, token) = person(store.as_ref(), "agent", Role::Agent).await;
    // The feed is read every few milliseconds, so that a client that reads keeps up.
    let settings = HubSettings {
        capacity: CAPACITY,
        poll_interval: Duration::from_millis(2),
        ..HubSettings::default()
    };
    let node = node(store.clone(), settings, None, Some(1)).await;

    // A raw client with the smallest receive window: once it stops reading, the server can put
    // only a few kilobytes on the wire before its writes block and its stream is no longer polled.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(1).unwrap();
    let mut slow = socket.connect(node.addr).await.unwrap();
    let request = format!(
        "GET /api/v1/events HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {token}\r\n\
         accept: text/event-stream\r\nconnection: close\r\n\r\n",
        node.addr
    );
    slow.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&received).contains("event: ready") {
        let read = tokio::time::timeout(PATIENCE, slow.read(&mut chunk)).await.unwrap().unwrap();
        assert!(read > 0, "closed before ready: {}", String::from_utf8_lossy(&received));
        received.extend_from_slice(&chunk[..read]);
    }
    let mut reading = Client::connect(&node, &token, None).await;
    reading.ready().await;
    assert_eq!(node.hub.subscribers(), 2);

    // Many more events than the socket buffers, hyper's queue and the channel hold together,
    // each read by the reading client before the next is written.
    for round in 0..WRITES {
        let seq = team(store.as_ref(), &format!("team {round}")).await;
        let events = reading.until_id(seq).await;
        assert_eq!(events.len(), 1, "{events:?}");
        assert!(node.hub.queued() <= CAPACITY, "{} events queued", node.hub.queued());
    }

    // The one that stopped reading gets what was on the wire, then `resync`, then the end.
    let read_all = async {
        loop {
            let read = slow.read(&mut chunk).await.unwrap();
            if read == 0 {
                break;
            }
            received.extend_from_slice(&chunk[..read]);
        }
    };
    tokio::time::timeout(PATIENCE, read_all).await.expect("the server kept the stream open");
    let text = String::from_utf8_lossy(&received);
    let body = text.split_once("\r\n\r\n").unwrap().1;
    // Unframe the chunked body: every chunk's size line is followed by that many bytes.
    let mut unframed = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        unframed.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    let events = parse_events(&mut unframed);
    let last = events.last().unwrap();
    assert_eq!(last.event, "resync", "{:?}", &events[events.len().saturating_sub(3)..]);
    assert_eq!(last.data["reason"], "lagged");
    let delivered = events.iter().filter(|event| event.event == "admin_updated").count();
    assert!(delivered < WRITES, "it got only what fit before it fell behind: {delivered}");
    assert_eq!(node.hub.subscribers(), 1, "its stream is gone; the reading one stays");

    // The client that kept reading is still live.
    let seq = team(store.as_ref(), "after").await;
    assert_eq!(reading.until_id(seq).await.len(), 1);
}

#[tokio::test]
async fn a_notification_reaches_its_recipient_and_nobody_else() {
    let (_dir, store) = sqlite().await;
    let (ana, ana_token) = person(store.as_ref(), "ana", Role::Supervisor).await;
    let (_, ben_token) = person(store.as_ref(), "ben", Role::Admin).await;
    let node = node(store.clone(), HubSettings::default(), None, None).await;
    let mut for_ana = Client::connect(&node, &ana_token, None).await;
    let mut for_ben = Client::connect(&node, &ben_token, None).await;
    for_ana.ready().await;
    for_ben.ready().await;

    let notification = store
        .notify(NewNotification {
            user_id: ana.id,
            conversation_id: None,
            kind: "sla_breached".into(),
            text: "first response overdue".into(),
            at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    let notified = store.latest_seq().await.unwrap();
    // A later write both may see: once it has arrived, the notification would have too.
    let marker = team(store.as_ref(), "marker").await;

    let ana_saw = for_ana.until_id(marker).await;
    let names: Vec<&str> = ana_saw.iter().map(|event| event.event.as_str()).collect();
    assert_eq!(names, ["notification_created", "admin_updated"]);
    assert_eq!(ana_saw[0].id, Some(notified.0));
    assert_eq!(ana_saw[0].data["notification_id"], notification.id.0);
    assert_eq!(ana_saw[0].data["user_id"], ana.id.0);
    assert_eq!(ana_saw[0].data["kind"], "sla_breached");

    let ben_saw = for_ben.until_id(marker).await;
    let names: Vec<&str> = ben_saw.iter().map(|event| event.event.as_str()).collect();
    assert_eq!(names, ["admin_updated"], "{ben_saw:?}");

    // Nor is it replayed to him when he resumes from before it.
    drop(for_ben);
    let mut for_ben = Client::connect(&node, &ben_token, Some(notified.0 - 1)).await;
    for_ben.ready().await;
    let replayed = for_ben.next().await.unwrap();
    assert_eq!((replayed.event.as_str(), replayed.id), ("admin_updated", Some(marker.0)));
}

#[tokio::test]
async fn without_a_started_hub_the_stream_is_refused_as_unavailable() {
    let (dir, store) = sqlite().await;
    let (_, token) = person(store.as_ref(), "agent", Role::Agent).await;
    let index = trellis_search::TantivyIndex::in_memory().unwrap();
    let connection =
        trellis_sync::ConnectionSettings::new(dir.path().to_owned(), Default::default());
    let http = trellis_http::HttpSettings::new("127.0.0.1:8080".parse().unwrap(), connection);
    let state = trellis_http::AppState::new(store, Arc::new(index), Arc::new(http));
    let request = axum::http::Request::get("/api/v1/events")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(trellis_http::app(state), request).await.unwrap();
    assert_eq!(response.status(), 503);
}

#[tokio::test]
async fn on_postgresql_a_write_on_one_node_reaches_the_clients_of_another_at_once() {
    let Some(database) = trellis_store::testing::fresh_postgres_database().await.unwrap() else {
        eprintln!(
            "\n!!! SKIPPED on postgresql: {} is unreachable (set CI=true to make this fail)\n",
            trellis_store::testing::postgres_test_url()
        );
        return;
    };
    let store_a = trellis_store::connect(&database.url).await.unwrap();
    store_a.migrate().await.unwrap();
    let store_b = trellis_store::connect(&database.url).await.unwrap();
    let (_, token) = person(store_a.as_ref(), "agent", Role::Agent).await;
    // The fallback timer is far longer than the test waits: only the doorbell can be in time.
    let settings = HubSettings { fallback_interval: Duration::from_secs(30), ..Default::default() };
    let url = Some(database.url.clone());
    let node_a = node(store_a.clone(), settings.clone(), url.clone(), None).await;
    let node_b = node(store_b.clone(), settings, url, None).await;
    let mut on_a = Client::connect(&node_a, &token, None).await;
    let mut on_b = Client::connect(&node_b, &token, None).await;
    on_a.ready().await;
    on_b.ready().await;

    let conversation = mention(store_a.as_ref()).await;
    let written = store_a.latest_seq().await.unwrap();
    let in_time = Duration::from_secs(3);
    let events = tokio::time::timeout(in_time, on_b.until_id(written)).await.unwrap();
    let created = events.iter().find(|event| event.event == "message_created").unwrap();
    assert_eq!(created.data["conversation_id"], conversation.0);

    // And back: a write through node B's store reaches node A's client.
    let seq = tokio::time::timeout(in_time, team(store_b.as_ref(), "night shift")).await.unwrap();
    let events = tokio::time::timeout(in_time, on_a.until_id(seq)).await.unwrap();
    assert_eq!(events.last().unwrap().data["entity"], "team");
    drop((on_a, on_b, node_a, node_b));
    database.cleanup().await.unwrap();
}

#[tokio::test]
async fn presence_reaches_the_others_as_events_and_ends_when_left_or_expired() {
    let (_dir, store) = sqlite().await;
    let (ava, ava_token) = person(store.as_ref(), "ava", Role::Agent).await;
    let (_, ben_token) = person(store.as_ref(), "ben", Role::Agent).await;
    let conversation = mention(store.as_ref()).await;
    let node = node(store.clone(), HubSettings::default(), None, None).await;
    let mut ben = Client::connect(&node, &ben_token, None).await;
    ben.ready().await;

    let http = reqwest::Client::new();
    let uri = format!("http://{}/api/v1/conversations/{}/presence", node.addr, conversation.0);
    let typing = serde_json::json!({"state": "typing"});
    let answer = http.put(&uri).bearer_auth(&ava_token).json(&typing).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let on: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(on["on"][0]["user_id"], ava.id.0);
    assert_eq!(on["on"][0]["state"], "typing");
    let seen = ben.until_id(store.latest_seq().await.unwrap()).await;
    let event = seen.iter().find(|e| e.event == "presence_updated").unwrap();
    assert_eq!(
        (event.data["user_id"].as_i64(), event.data["state"].as_str()),
        (Some(ava.id.0), Some("typing"))
    );

    // A renewal is no news; leaving is.
    let before = store.latest_seq().await.unwrap();
    http.put(&uri).bearer_auth(&ava_token).json(&typing).send().await.unwrap();
    assert_eq!(store.latest_seq().await.unwrap(), before, "a renewal appends nothing");
    let left = http.delete(&uri).bearer_auth(&ava_token).send().await.unwrap();
    assert_eq!(left.status(), 204);
    let seen = ben.until_id(store.latest_seq().await.unwrap()).await;
    let event = seen.iter().find(|e| e.event == "presence_updated").unwrap();
    assert!(event.data["state"].is_null(), "{}", event.data);
    let listed: serde_json::Value =
        http.get(&uri).bearer_auth(&ben_token).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["on"], serde_json::json!([]));

    // A presence not renewed ends at the sweep, as news.
    let stale = trellis_core::PresenceEntry {
        conversation_id: conversation,
        user_id: ava.id,
        state: trellis_core::PresenceState::Viewing,
        expires_at: chrono::Utc::now() - chrono::Duration::seconds(1),
    };
    store.set_presence(stale).await.unwrap();
    assert_eq!(store.expire_presence(chrono::Utc::now()).await.unwrap(), 1);
    let seen = ben.until_id(store.latest_seq().await.unwrap()).await;
    assert!(seen.iter().any(|e| e.event == "presence_updated" && e.data["state"].is_null()));
}
