#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Polling the feed, comments and Messenger against the simulator over HTTP: paging, cursors,
//! backfill bounds and the exact requests made.

mod common;

use chrono::{Duration, Utc};
use common::*;
use std::collections::HashMap;
use trellis_connector_facebook::simulator::SimulatorConfig;
use trellis_connector_facebook::wire::{
    parse_time, COMMENT_FIELDS, FEED_CHANGE_FIELDS, FEED_FIELDS,
};
use trellis_connector_facebook::{FacebookConfig, COMMENTS, CONVERSATIONS, FEED};
use trellis_core::{Connector, Direction, MessageKind, RateLimit};

#[tokio::test]
async fn a_first_feed_poll_follows_the_time_based_links_to_the_end_and_keeps_a_watermark() {
    let sim = simulator(SimulatorConfig::default()).await;
    let generated = sim.generate(&only(250, 0, 0));
    let fb = connector();

    let poll = fb.poll_stream(&request(&sim, &HashMap::new()), FEED).await.unwrap();

    assert_eq!(ids(&poll), sorted(generated.posts.clone()));
    assert!(poll.messages.iter().all(|m| m.kind == MessageKind::Post));
    assert!(!poll.more && poll.interrupted.is_none());
    let requests = sim.requests();
    assert_eq!(requests.len(), 3, "250 posts are three pages of 100");
    let path = format!("/v19.0/{}/feed", sim.page_id());
    let since = requests[0].param("since").unwrap().parse::<i64>().unwrap();
    assert!(
        (since - (Utc::now() - Duration::days(7)).timestamp()).abs() < 60,
        "backfill of 7 days"
    );
    for (index, sent) in requests.iter().enumerate() {
        assert_eq!((sent.method.as_str(), sent.path.as_str()), ("GET", path.as_str()));
        assert_eq!(sent.param("access_token"), Some(TOKEN));
        assert_eq!(sent.param("fields"), Some(FEED_FIELDS));
        assert_eq!(sent.param("limit"), Some("100"));
        assert_eq!(sent.param("since"), Some(since.to_string().as_str()), "links keep since");
        assert_eq!(sent.param("until").is_some(), index > 0);
        assert_eq!(sent.param("__paging_token").is_some(), index > 0);
    }
    let mut cursors = HashMap::new();
    commit(&mut cursors, &poll);
    let newest = generated
        .posts
        .iter()
        .map(|id| sim.post(id).unwrap()["updated_time"].as_str().map(parse_time).unwrap().unwrap())
        .max()
        .unwrap();
    let cursor = cursor_json(&cursors, FEED);
    assert_eq!(cursor["since"], newest.timestamp());
    assert!(cursor.get("resume").is_none());
}

#[tokio::test]
async fn incremental_feed_polls_read_only_new_and_edited_posts_and_a_quiet_poll_keeps_the_cursor() {
    let sim = simulator(SimulatorConfig::default()).await;
    sim.generate(&only(30, 0, 0));
    let fb = connector();
    let mut cursors = HashMap::new();
    let first = fb.poll_stream(&request(&sim, &cursors), FEED).await.unwrap();
    commit(&mut cursors, &first);
    let watermark = cursor_json(&cursors, FEED)["since"].as_i64().unwrap();

    let person = sim.add_person("Lucía García");
    let newer =
        sim.post_as(&person, "¿Abren mañana? ☕", Utc::now() - Duration::seconds(30)).unwrap();
    sim.clear_requests();
    let poll = fb.poll_stream(&request(&sim, &cursors), FEED).await.unwrap();
    assert_eq!(ids(&poll), vec![newer.clone()]);
    assert_eq!(poll.messages[0].direction, Direction::Inbound);
    assert_eq!(poll.messages[0].author.display_name.as_deref(), Some("Lucía García"));
    let sent = sim.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].param("since"), Some(watermark.to_string().as_str()));
    commit(&mut cursors, &poll);

    let quiet = fb.poll_stream(&request(&sim, &cursors), FEED).await.unwrap();
    assert!(
        quiet.messages.is_empty(),
        "the post at the watermark is not read again: {:?}",
        ids(&quiet)
    );
    assert!(quiet.cursors.is_empty(), "a quiet poll keeps the stored cursor");
    // The simulator states its usage on every answer; one quiet poll is far below the paced share.
    assert_eq!(quiet.rate_limit, Some(RateLimit::default()));
}

#[tokio::test]
async fn the_first_poll_reads_back_only_as_far_as_the_backfill_window() {
    let sim = simulator(SimulatorConfig::default()).await;
    let person = sim.add_person("Hans Müller");
    let old = sim.post_as(&person, "old news", Utc::now() - Duration::days(5)).unwrap();
    let recent = sim.post_as(&person, "recent news", Utc::now() - Duration::days(1)).unwrap();
    let fb = connector_with(FacebookConfig { backfill_window: Duration::days(3), ..config() });
    let poll = fb.poll_stream(&request(&sim, &HashMap::new()), FEED).await.unwrap();
    assert_eq!(ids(&poll), vec![recent]);
    assert_ne!(old, poll.messages[0].platform_id.as_str());
    let since: i64 = sim.requests()[0].param("since").unwrap().parse().unwrap();
    assert!((since - (Utc::now() - Duration::days(3)).timestamp()).abs() < 60);
}

#[tokio::test]
async fn comments_of_changed_posts_arrive_under_their_post_with_their_parent() {
    let sim = simulator(SimulatorConfig::default()).await;
    let page = sim.page_id().to_owned();
    let ana = sim.add_person("Ana Souza");
    let at = Utc::now() - Duration::minutes(30);
    let post = sim.post_as(&page, "New autumn blend 🍂", at).unwrap();
    let quiet_post = sim.post_as(&ana, "nobody answers this", at).unwrap();
    let mut comments = Vec::new();
    for n in 0..5 {
        comments.push(
            sim.comment_as(
                &ana,
                &post,
                None,
                &format!("comment {n} 😍"),
                at + Duration::seconds(n),
            )
            .unwrap(),
        );
    }
    let reply = sim
        .comment_as(&page, &post, Some(&comments[0]), "Thank you! ❤️", at + Duration::seconds(9))
        .unwrap();
    let fb = connector_with(FacebookConfig { page_size: 2, ..config() });

    let mut cursors = HashMap::new();
    let poll = fb.poll_stream(&request(&sim, &cursors), COMMENTS).await.unwrap();
    let mut expected = comments.clone();
    expected.push(reply.clone());
    assert_eq!(ids(&poll), sorted(expected));
    let by_id = |id: &str| poll.messages.iter().find(|m| m.platform_id.as_str() == id).unwrap();
    assert_eq!(by_id(&comments[1]).parent_platform_id.as_ref().unwrap().as_str(), post);
    assert_eq!(by_id(&comments[1]).thread_platform_id.as_ref().unwrap().as_str(), post);
    assert_eq!(
        by_id(&comments[1]).direction,
        Direction::Inbound,
        "comments under the Page's own post are inbound"
    );
    assert_eq!(by_id(&reply).parent_platform_id.as_ref().unwrap().as_str(), comments[0]);
    assert_eq!(by_id(&reply).direction, Direction::Outbound);
    assert!(poll.messages.iter().all(|m| m.kind == MessageKind::Comment));

    let sent = sim.requests();
    let feed: Vec<_> = sent.iter().filter(|r| r.path.ends_with("/feed")).collect();
    assert_eq!(feed[0].param("fields"), Some(FEED_CHANGE_FIELDS));
    let on_post: Vec<_> =
        sent.iter().filter(|r| r.path == format!("/v19.0/{post}/comments")).collect();
    assert_eq!(on_post.len(), 3, "six comments are three pages of two");
    for (index, sent) in on_post.iter().enumerate() {
        assert_eq!(sent.param("fields"), Some(COMMENT_FIELDS));
        assert_eq!(sent.param("filter"), Some("stream"));
        assert_eq!(sent.param("order"), Some("chronological"));
        assert_eq!(sent.param("summary"), Some("true"));
        assert_eq!(sent.param("after").is_some(), index > 0);
    }
    assert!(sent.iter().any(|r| r.path == format!("/v19.0/{quiet_post}/comments")));
    commit(&mut cursors, &poll);

    // One new comment: only that post's comments are read again.
    let newest = sim
        .comment_as(
            &ana,
            &post,
            Some(&comments[2]),
            "still waiting 😕",
            Utc::now() - Duration::seconds(20),
        )
        .unwrap();
    sim.clear_requests();
    let poll = fb.poll_stream(&request(&sim, &cursors), COMMENTS).await.unwrap();
    assert!(ids(&poll).contains(&newest));
    let read: Vec<String> = sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/comments"))
        .map(|r| r.path.clone())
        .collect();
    assert!(read.iter().all(|path| *path == format!("/v19.0/{post}/comments")), "{read:?}");
    assert!(!read.is_empty());
}

#[tokio::test]
async fn an_edited_comment_arrives_again_with_its_new_text() {
    let sim = simulator(SimulatorConfig::default()).await;
    let ana = sim.add_person("Ana Souza");
    let post = sim.post_as(&ana, "order #123?", Utc::now() - Duration::minutes(10)).unwrap();
    let comment =
        sim.comment_as(&ana, &post, None, "it is late", Utc::now() - Duration::minutes(9)).unwrap();
    let fb = connector();
    let mut cursors = HashMap::new();
    let first = fb.poll_stream(&request(&sim, &cursors), COMMENTS).await.unwrap();
    commit(&mut cursors, &first);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // the edit must fall in a later second
    assert!(sim.edit_comment(&comment, "it arrived, thanks ✅"));
    let poll = fb.poll_stream(&request(&sim, &cursors), COMMENTS).await.unwrap();
    assert_eq!(poll.messages.len(), 1);
    assert_eq!(poll.messages[0].text, "it arrived, thanks ✅");
}

#[tokio::test]
async fn messenger_polls_read_new_messages_down_to_the_watermark() {
    let sim = simulator(SimulatorConfig::default()).await;
    let generated = sim.generate(&only(0, 0, 60));
    let fb = connector_with(FacebookConfig { inline_messages: 3, ..config() });
    let mut cursors = HashMap::new();
    let poll = fb.poll_stream(&request(&sim, &cursors), CONVERSATIONS).await.unwrap();
    assert_eq!(ids(&poll), sorted(generated.messages.clone()));
    for message in &poll.messages {
        let truth = sim.message(message.platform_id.as_str()).unwrap();
        assert_eq!(message.kind, MessageKind::DirectMessage);
        assert_eq!(message.thread_platform_id.as_ref().unwrap().as_str(), truth["conversation_id"]);
        assert_eq!(message.text, truth["message"]);
        let outbound = truth["from"]["id"] == sim.page_id();
        assert_eq!(message.direction == Direction::Outbound, outbound);
    }
    let sent = sim.requests();
    let list = &sent[0];
    assert_eq!(list.path, format!("/v19.0/{}/conversations", sim.page_id()));
    assert_eq!(list.param("platform"), Some("messenger"));
    assert!(list
        .param("fields")
        .unwrap()
        .contains("messages.limit(3){id,created_time,from,to,message}"));
    assert!(
        sent.iter().any(|r| r.path.ends_with("/messages") && r.param("after").is_some()),
        "long conversations page into /messages"
    );
    commit(&mut cursors, &poll);

    let person = poll
        .messages
        .iter()
        .find(|m| m.direction == Direction::Inbound)
        .unwrap()
        .author
        .platform_id
        .clone();
    let new = sim
        .message_from(person.as_str(), "one more thing 🙏", Utc::now() - Duration::seconds(10))
        .unwrap();
    sim.clear_requests();
    let poll = fb.poll_stream(&request(&sim, &cursors), CONVERSATIONS).await.unwrap();
    assert_eq!(ids(&poll), vec![new]);
    assert_eq!(
        sim.requests().len(),
        1,
        "the walk stops at the first conversation older than the watermark"
    );
}

#[tokio::test]
async fn a_short_page_with_a_next_link_is_not_the_end() {
    let sim = simulator(SimulatorConfig::default()).await;
    let (visible, hidden) = (sim.add_person("Ana Souza"), sim.add_person("Age Gated"));
    sim.restrict_person(&hidden);
    let start = Utc::now() - Duration::hours(1);
    let mut expected = Vec::new();
    for n in 0..30 {
        // Newest first, the first page of ten is all hidden posts, the others half.
        let author = if n >= 20 || n % 2 == 0 { &hidden } else { &visible };
        let id = sim.post_as(author, &format!("post {n}"), start + Duration::seconds(n)).unwrap();
        if author == &visible {
            expected.push(id);
        }
    }
    let fb = connector_with(FacebookConfig { page_size: 10, ..config() });
    let poll = fb.poll_stream(&request(&sim, &HashMap::new()), FEED).await.unwrap();
    assert_eq!(ids(&poll), sorted(expected));
    assert_eq!(sim.requests().len(), 3, "an empty first page and two short ones, then no next");
}

#[tokio::test]
async fn a_poll_cut_by_the_request_budget_resumes_exactly_where_it_stopped() {
    let sim = simulator(SimulatorConfig::default()).await;
    let generated = sim.generate(&only(55, 0, 0));
    let fb = connector_with(FacebookConfig { max_requests_per_poll: 2, page_size: 10, ..config() });
    let mut cursors = HashMap::new();
    let mut seen = Vec::new();
    let mut polls = 0;
    loop {
        let poll = fb.poll_stream(&request(&sim, &cursors), FEED).await.unwrap();
        polls += 1;
        seen.extend(ids(&poll));
        commit(&mut cursors, &poll);
        assert!(!cursors[FEED].contains(TOKEN), "a resume cursor never stores the token");
        if !poll.more {
            break;
        }
        assert!(cursor_json(&cursors, FEED).get("resume").is_some());
    }
    assert_eq!(polls, 3, "six pages, two a poll");
    assert_eq!(sorted(seen), sorted(generated.posts));
    assert!(cursor_json(&cursors, FEED).get("resume").is_none());
}
