#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Polling both streams over HTTP: paging with `before`, stopping at the cursor, the backfill
//! window, topic context, parents, skipped post types, and the requests made.

mod common;

use chrono::{Duration, Utc};
use common::*;
use std::collections::HashMap;
use trellis_connector_discourse::simulator::{SimulatorConfig, TrafficSpec};
use trellis_connector_discourse::{DiscourseConfig, POSTS, PRIVATE_POSTS};
use trellis_core::{Connector, ConversationKey, Direction, MessageKind};

#[tokio::test]
async fn a_first_poll_pages_down_with_before_and_stores_the_newest_id() {
    let sim = simulator(SimulatorConfig::default()).await;
    let traffic = sim.generate(&TrafficSpec {
        topics: 12,
        posts: 180,
        private_posts: 0,
        ..TrafficSpec::default()
    });
    let discourse = connector();
    let poll = discourse.poll_stream(&request(&sim, &HashMap::new()), POSTS).await.unwrap();

    let mut got = ids(&poll);
    got.sort_unstable();
    let mut expected = traffic.posts.clone();
    expected.sort_unstable();
    assert_eq!(got, expected, "every regular post once, bookkeeping skipped");
    let newest = *sim.post_ids().iter().max().unwrap();
    assert_eq!(poll.cursors.len(), 1);
    assert_eq!(poll.cursors[0].value, newest.to_string());

    let requests = sim.requests();
    assert!(requests.iter().all(|r| r.header("api-key") == Some("sim-api-key")));
    assert!(requests.iter().all(|r| r.header("api-username") == Some("acme_support")));
    let pages: Vec<_> = requests.iter().filter(|r| r.path == "/posts.json").collect();
    assert_eq!(pages[0].param("before"), None);
    assert!(pages.len() >= 4, "180 posts and skipped ones take four pages of 50");
    for pair in pages.windows(2) {
        let before: u64 = pair[1].param("before").unwrap().parse().unwrap();
        assert!(pair[0].param("before").is_none_or(|b| b.parse::<u64>().unwrap() > before));
    }
    // Public listings carry their topic titles: no topic fetches.
    assert!(!requests.iter().any(|r| r.path.starts_with("/t/")));
}

#[tokio::test]
async fn an_incremental_poll_stops_at_the_cursor_and_reads_only_new_posts() {
    let sim = simulator(SimulatorConfig::default()).await;
    sim.generate(&TrafficSpec {
        topics: 5,
        posts: 120,
        private_posts: 0,
        bookkeeping_rate: 0.0,
        ..TrafficSpec::default()
    });
    let discourse = connector();
    let mut cursors = HashMap::new();
    let first = discourse.poll_stream(&request(&sim, &cursors), POSTS).await.unwrap();
    commit(&mut cursors, &first);

    let (topic, opener) = sim
        .create_topic(
            "marie_c",
            "Where is my invoice?",
            "I cannot find the invoice for May anywhere.",
            Utc::now(),
        )
        .unwrap();
    let reply = sim
        .add_post(topic, "kenji", "Look under Billing, then History.", Utc::now(), Some(1), 1)
        .unwrap();
    sim.clear_requests();
    let second = discourse.poll_stream(&request(&sim, &cursors), POSTS).await.unwrap();
    let mut got = ids(&second);
    got.sort_unstable();
    assert_eq!(got, vec![opener, reply]);
    let requests = sim.requests();
    assert_eq!(requests.len(), 1, "the first page reaches the cursor");
    assert_eq!(requests[0].param("before"), None);
    assert_eq!(second.cursors[0].value, reply.to_string());

    let answer =
        second.messages.iter().find(|m| m.platform_id.as_str() == reply.to_string()).unwrap();
    assert_eq!(answer.parent_platform_id.as_ref().unwrap().as_str(), opener.to_string());
    assert_eq!(answer.thread_title.as_deref(), Some("Where is my invoice?"));
    assert_eq!(answer.kind, MessageKind::ForumPost);
    assert_eq!(ConversationKey::for_message(answer).as_str(), format!("topic:{topic}"));

    commit(&mut cursors, &second);
    let third = discourse.poll_stream(&request(&sim, &cursors), POSTS).await.unwrap();
    assert!(third.messages.is_empty() && third.cursors.is_empty());
}

#[tokio::test]
async fn the_backfill_reads_only_the_configured_window() {
    let sim = simulator(SimulatorConfig::default()).await;
    let now = Utc::now();
    let (_, old) = sim
        .create_topic(
            "oleg",
            "Old question",
            "Asked ten days ago, long answered.",
            now - Duration::days(10),
        )
        .unwrap();
    let (_, recent) = sim
        .create_topic(
            "amara",
            "Recent question",
            "Asked two days ago, still open.",
            now - Duration::days(2),
        )
        .unwrap();
    let default = connector().poll_stream(&request(&sim, &HashMap::new()), POSTS).await.unwrap();
    assert_eq!(ids(&default), vec![recent]);
    assert_eq!(
        default.cursors[0].value,
        recent.to_string(),
        "the cursor still covers the old post"
    );

    let wide = connector_with(DiscourseConfig {
        backfill_window: Duration::days(30),
        ..DiscourseConfig::default()
    });
    let poll = wide.poll_stream(&request(&sim, &HashMap::new()), POSTS).await.unwrap();
    assert_eq!(ids(&poll), vec![recent, old]);
}

#[tokio::test]
async fn private_messages_get_their_topic_title_and_the_brands_posts_are_outbound() {
    let sim = simulator(SimulatorConfig::default()).await;
    let (topic, question) = sim
        .create_private_message(
            "lucia.g",
            "Pedido retrasado",
            "Mi pedido lleva dos semanas de retraso 😟",
            Utc::now(),
        )
        .unwrap();
    let answer = sim
        .add_post(
            topic,
            "acme_support",
            "Lo sentimos, lo revisamos ahora mismo.",
            Utc::now(),
            Some(1),
            1,
        )
        .unwrap();
    let (_, public) = sim
        .create_topic("kenji", "Public", "This one is public and not private.", Utc::now())
        .unwrap();

    let poll =
        connector().poll_stream(&request(&sim, &HashMap::new()), PRIVATE_POSTS).await.unwrap();
    let mut got = ids(&poll);
    got.sort_unstable();
    assert_eq!(got, vec![question, answer]);
    assert!(!got.contains(&public));
    for message in &poll.messages {
        assert_eq!(message.kind, MessageKind::DirectMessage);
        assert_eq!(message.thread_title.as_deref(), Some("Pedido retrasado"));
        assert_eq!(ConversationKey::for_message(message).as_str(), format!("dm:{topic}"));
    }
    let ours = poll.messages.iter().find(|m| m.platform_id.as_str() == answer.to_string()).unwrap();
    assert_eq!(ours.direction, Direction::Outbound);
    assert_eq!(ours.parent_platform_id.as_ref().unwrap().as_str(), question.to_string());
    let theirs =
        poll.messages.iter().find(|m| m.platform_id.as_str() == question.to_string()).unwrap();
    assert_eq!(theirs.direction, Direction::Inbound);
    assert_eq!(theirs.author.handle.as_ref().unwrap().as_str(), "lucia.g");
    // The private listing carries no titles: the topic was fetched once for both posts.
    let topic_fetches =
        sim.requests().iter().filter(|r| r.path == format!("/t/{topic}.json")).count();
    assert_eq!(topic_fetches, 1);
}

#[tokio::test]
async fn a_deleted_post_carries_deleted_at_and_hidden_stays_in_raw() {
    let sim = simulator(SimulatorConfig::default()).await;
    let (_, post) = sim
        .create_topic("sven", "Spam?", "Buy cheap watches at this totally real site.", Utc::now())
        .unwrap();
    sim.set_hidden(post, true);
    let discourse = connector();
    trellis_core::Connector::deliver(
        &discourse,
        &access(&sim, "sim-api-key"),
        &trellis_core::OutboundAction::Delete {
            id: trellis_core::PlatformId::parse(&post.to_string()).unwrap(),
        },
    )
    .await
    .unwrap();
    let poll = discourse.poll_stream(&request(&sim, &HashMap::new()), POSTS).await.unwrap();
    assert!(poll.messages[0].deleted_at.is_some());
    assert_eq!(poll.messages[0].raw["hidden"], true);
}

#[tokio::test]
async fn the_page_budget_commits_a_resume_cursor_that_finishes_later() {
    let sim = simulator(SimulatorConfig::default()).await;
    let traffic = sim.generate(&TrafficSpec {
        topics: 8,
        posts: 260,
        private_posts: 0,
        ..TrafficSpec::default()
    });
    let discourse =
        connector_with(DiscourseConfig { max_pages_per_poll: 2, ..DiscourseConfig::default() });
    let mut cursors = HashMap::new();
    let mut seen = Vec::new();
    for _ in 0..10 {
        let poll = discourse.poll_stream(&request(&sim, &cursors), POSTS).await.unwrap();
        seen.extend(ids(&poll));
        commit(&mut cursors, &poll);
        if !poll.more {
            break;
        }
    }
    seen.sort_unstable();
    let mut expected = traffic.posts;
    expected.sort_unstable();
    assert_eq!(seen, expected);
    assert_eq!(cursors[POSTS], sim.post_ids().iter().max().unwrap().to_string());
}
