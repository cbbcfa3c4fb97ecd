#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Polling mentions and DMs against the simulator over HTTP: paging, cursors, backfill bounds and
//! the exact requests made.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use std::collections::HashMap;
use trellis_connector_x::simulator::{SimulatorConfig, TrafficSpec};
use trellis_connector_x::wire::{DM_EVENT_FIELDS, TWEET_FIELDS, USER_FIELDS};
use trellis_connector_x::{XConfig, DM_EVENTS, MENTIONS};
use trellis_core::{Connector, Direction, MessageKind, OutboundAction, PlatformId};

fn only_mentions(count: usize) -> TrafficSpec {
    TrafficSpec { mentions: count, dms: 0, ..TrafficSpec::default() }
}

#[tokio::test]
async fn a_first_poll_pages_to_the_end_and_keeps_the_newest_id_as_cursor() {
    let sim = simulator(SimulatorConfig::default()).await;
    let generated = sim.generate(&only_mentions(250));
    let x = connector();

    let poll = x.poll_stream(&request(&sim, &HashMap::new()), MENTIONS).await.unwrap();

    assert_eq!(sorted(ids(&poll)), sorted(generated.mentions.clone()));
    assert_eq!(poll.cursors.len(), 1);
    assert_eq!(&poll.cursors[0].value, generated.mentions.last().unwrap());
    assert!(!poll.more && poll.interrupted.is_none());
    let requests = sim.requests();
    assert_eq!(requests.len(), 3, "250 mentions are three pages of 100");
    let path = format!("/2/users/{}/mentions", sim.account_id());
    for (index, sent) in requests.iter().enumerate() {
        assert_eq!(sent.method, "GET");
        assert_eq!(sent.path, path);
        assert_eq!(sent.header("authorization"), Some("Bearer sim-access-token"));
        assert_eq!(sent.param("max_results"), Some("100"));
        assert_eq!(sent.param("tweet.fields"), Some(TWEET_FIELDS));
        assert_eq!(sent.param("expansions"), Some("author_id"));
        assert_eq!(sent.param("user.fields"), Some(USER_FIELDS));
        assert_eq!(sent.param("since_id"), None, "a first poll has no cursor");
        let start = DateTime::parse_from_rfc3339(sent.param("start_time").unwrap()).unwrap();
        let expected = Utc::now() - Duration::days(7);
        assert!((start.with_timezone(&Utc) - expected).num_seconds().abs() < 60);
        assert_eq!(sent.param("pagination_token").is_some(), index > 0);
    }
    assert_ne!(requests[1].param("pagination_token"), requests[2].param("pagination_token"));
}

#[tokio::test]
async fn incremental_polls_return_only_new_mentions_and_an_empty_page_keeps_the_cursor() {
    let sim = simulator(SimulatorConfig::default()).await;
    sim.generate(&only_mentions(120));
    let x = connector();
    let mut cursors = HashMap::new();
    let first = x.poll_stream(&request(&sim, &cursors), MENTIONS).await.unwrap();
    commit(&mut cursors, &first);
    let first_cursor = cursors[MENTIONS].clone();

    let newer = sim.generate(&TrafficSpec { start: Some(Utc::now()), ..only_mentions(30) });
    sim.clear_requests();
    let poll = x.poll_stream(&request(&sim, &cursors), MENTIONS).await.unwrap();
    assert_eq!(sorted(ids(&poll)), sorted(newer.mentions.clone()));
    let sent = sim.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].param("since_id"), Some(first_cursor.as_str()));
    assert_eq!(sent[0].param("start_time"), None);
    commit(&mut cursors, &poll);
    assert_eq!(&cursors[MENTIONS], newer.mentions.last().unwrap());

    let quiet = x.poll_stream(&request(&sim, &cursors), MENTIONS).await.unwrap();
    assert!(quiet.messages.is_empty());
    assert!(quiet.cursors.is_empty(), "an empty page keeps the stored cursor");
    assert!(quiet.rate_limit.is_some_and(|limit| limit.remaining == Some(296)));
}

#[tokio::test]
async fn the_first_poll_reads_back_only_as_far_as_the_backfill_window() {
    let sim = simulator(SimulatorConfig::default()).await;
    let ten_days_ago = Utc::now() - Duration::days(10);
    let old = sim.generate(&TrafficSpec {
        start: Some(ten_days_ago),
        end: Some(ten_days_ago + Duration::days(1)),
        ..only_mentions(50)
    });
    let recent = sim.generate(&only_mentions(40));

    let seven_days =
        connector().poll_stream(&request(&sim, &HashMap::new()), MENTIONS).await.unwrap();
    assert_eq!(sorted(ids(&seven_days)), sorted(recent.mentions.clone()));

    let month =
        connector_with(XConfig { backfill_window: Duration::days(30), ..XConfig::default() });
    let everything = month.poll_stream(&request(&sim, &HashMap::new()), MENTIONS).await.unwrap();
    assert_eq!(everything.messages.len(), old.mentions.len() + recent.mentions.len());
}

#[tokio::test]
async fn dm_paging_stops_at_the_event_already_seen() {
    let sim = simulator(SimulatorConfig::default()).await;
    let first = sim.generate(&TrafficSpec { mentions: 0, dms: 250, ..TrafficSpec::default() });
    let x = connector();
    let mut cursors = HashMap::new();
    let poll = x.poll_stream(&request(&sim, &cursors), DM_EVENTS).await.unwrap();
    assert_eq!(sorted(ids(&poll)), sorted(first.dms.clone()));
    commit(&mut cursors, &poll);
    assert_eq!(&cursors[DM_EVENTS], first.dms.last().unwrap());
    let sent = sim.requests();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|r| r.path == "/2/dm_events"
        && r.param("event_types") == Some("MessageCreate")
        && r.param("dm_event.fields") == Some(DM_EVENT_FIELDS)
        && r.param("expansions") == Some("sender_id")
        && r.param("max_results") == Some("100")));

    let second = sim.generate(&TrafficSpec {
        mentions: 0,
        dms: 30,
        start: Some(Utc::now()),
        ..TrafficSpec::default()
    });
    sim.clear_requests();
    let poll = x.poll_stream(&request(&sim, &cursors), DM_EVENTS).await.unwrap();
    assert_eq!(sorted(ids(&poll)), sorted(second.dms.clone()));
    assert_eq!(sim.requests().len(), 1, "the first page already reaches the seen event");
    commit(&mut cursors, &poll);
    assert_eq!(&cursors[DM_EVENTS], second.dms.last().unwrap());
}

#[tokio::test]
async fn messages_carry_their_authors_threads_parents_and_raw_json() {
    let sim = simulator(SimulatorConfig::default()).await;
    sim.generate(&TrafficSpec {
        mentions: 300,
        dms: 100,
        reply_share: 0.5,
        ..TrafficSpec::default()
    });
    let x = connector();
    let outcome = x.poll(&request(&sim, &HashMap::new())).await;
    let batches = outcome.batches(trellis_core::AccountId(1));
    assert_eq!(batches.len(), 2, "one batch per stream, each with its own cursor");
    let (mut replies, mut outbound) = (0, 0);
    for message in batches.iter().flat_map(|batch| &batch.messages) {
        let id = message.platform_id.as_str();
        let (expected, author_id) = match message.kind {
            MessageKind::DirectMessage => {
                let event = sim.dm_event(id).unwrap();
                assert_eq!(
                    message.thread_platform_id.as_ref().unwrap().as_str(),
                    event["dm_conversation_id"]
                );
                if message.direction == Direction::Outbound {
                    outbound += 1;
                    assert_eq!(event["sender_id"], sim.account_id());
                }
                (event.clone(), event["sender_id"].as_str().unwrap().to_owned())
            }
            kind => {
                let tweet = sim.tweet(id).unwrap();
                assert_eq!(
                    message.thread_platform_id.as_ref().unwrap().as_str(),
                    tweet["conversation_id"]
                );
                assert_eq!(message.lang.as_deref(), tweet["lang"].as_str());
                match message.parent_platform_id.as_ref() {
                    Some(parent) => {
                        replies += 1;
                        assert_eq!(kind, MessageKind::Reply);
                        assert_eq!(parent.as_str(), tweet["referenced_tweets"][0]["id"]);
                    }
                    None => assert_eq!(kind, MessageKind::Mention),
                }
                (tweet.clone(), tweet["author_id"].as_str().unwrap().to_owned())
            }
        };
        assert_eq!(message.text, expected["text"]);
        assert_eq!(message.raw["text"], expected["text"]);
        let created =
            DateTime::parse_from_rfc3339(expected["created_at"].as_str().unwrap()).unwrap();
        assert_eq!(message.created_at, created);
        let author = sim.user(&author_id).unwrap();
        assert_eq!(message.author.platform_id.as_str(), author_id);
        assert_eq!(message.author.handle.as_ref().unwrap().as_str(), author["username"]);
        assert_eq!(message.author.display_name.as_deref(), author["name"].as_str());
        assert_eq!(
            message.author.follower_count,
            author["public_metrics"]["followers_count"].as_i64()
        );
    }
    assert!(replies > 50, "reply chains are generated and mapped, got {replies}");
    assert!(outbound > 0, "the brand's own DMs come back as outbound");
}

#[tokio::test]
async fn a_poll_cut_short_by_its_page_budget_resumes_below_what_it_read() {
    let sim = simulator(SimulatorConfig::default()).await;
    let generated = sim.generate(&only_mentions(250));
    let x = connector_with(XConfig { max_pages_per_poll: 1, ..XConfig::default() });
    let mut cursors = HashMap::new();
    let mut seen = Vec::new();
    let mut polls = 0;
    loop {
        let poll = x.poll_stream(&request(&sim, &cursors), MENTIONS).await.unwrap();
        polls += 1;
        seen.extend(ids(&poll));
        commit(&mut cursors, &poll);
        if !poll.more {
            break;
        }
        assert!(
            cursors[MENTIONS].starts_with('{'),
            "a resume state, not an id: {}",
            cursors[MENTIONS]
        );
    }
    assert_eq!(polls, 3);
    assert_eq!(sorted(seen), sorted(generated.mentions.clone()));
    assert_eq!(&cursors[MENTIONS], generated.mentions.last().unwrap());
    let resumed = &sim.requests()[1];
    assert!(resumed.param("until_id").is_some());
    assert!(resumed.param("start_time").is_some(), "the backfill bound survives the resume");
}

#[tokio::test]
async fn a_reply_under_a_deleted_post_still_arrives_beside_the_partial_error() {
    let sim = simulator(SimulatorConfig::default()).await;
    let x = connector();
    let access = access(&sim, "sim-access-token");
    let mention =
        sim.generate(&TrafficSpec { reply_share: 0.0, ..only_mentions(1) }).mentions[0].clone();
    let customer = sim.tweet(&mention).unwrap()["author_id"].as_str().unwrap().to_owned();
    let answer = x
        .deliver(
            &access,
            &OutboundAction::Reply {
                in_reply_to: PlatformId::parse(&mention).unwrap(),
                text: "We're on it!".into(),
            },
        )
        .await
        .unwrap();
    let thanks = sim.post_as(&customer, "thanks! 🙌", Some(answer.platform_id.as_str())).unwrap();
    x.deliver(&access, &OutboundAction::Delete { id: answer.platform_id.clone() }).await.unwrap();

    let poll = x.poll_stream(&request(&sim, &HashMap::new()), MENTIONS).await.unwrap();
    assert_eq!(sorted(ids(&poll)), sorted(vec![mention.clone(), thanks.clone()]));
    let reply = poll.messages.iter().find(|m| m.platform_id.as_str() == thanks).unwrap();
    assert_eq!(reply.parent_platform_id.as_ref(), Some(&answer.platform_id));
    assert_eq!(
        reply.thread_platform_id.as_ref().unwrap().as_str(),
        mention,
        "the chain keeps its root"
    );
}

#[tokio::test]
async fn a_dm_resume_token_the_platform_refuses_restarts_the_walk_without_losing_events() {
    let sim = simulator(SimulatorConfig::default()).await;
    let generated = sim.generate(&TrafficSpec { mentions: 0, dms: 150, ..TrafficSpec::default() });
    let stale = serde_json::json!({"newest": generated.dms[120], "token": "expired-token", "stop_at": generated.dms[9]});
    let cursors = HashMap::from([(DM_EVENTS.to_owned(), stale.to_string())]);

    let poll = connector().poll_stream(&request(&sim, &cursors), DM_EVENTS).await.unwrap();

    assert_eq!(
        sorted(ids(&poll)),
        sorted(generated.dms[10..].to_vec()),
        "everything above the stop, once"
    );
    assert_eq!(&poll.cursors[0].value, generated.dms.last().unwrap());
    let sent = sim.requests();
    assert_eq!(sent[0].param("pagination_token"), Some("expired-token"));
    assert_eq!(sent[1].param("pagination_token"), None, "the walk starts again from the top");
}

#[tokio::test]
async fn an_unreadable_cursor_falls_back_to_the_backfill_window() {
    let sim = simulator(SimulatorConfig::default()).await;
    let generated = sim.generate(&only_mentions(20));
    let cursors = HashMap::from([(MENTIONS.to_owned(), "not-a-cursor".to_owned())]);

    let poll = connector().poll_stream(&request(&sim, &cursors), MENTIONS).await.unwrap();

    assert_eq!(sorted(ids(&poll)), sorted(generated.mentions.clone()));
    assert_eq!(&poll.cursors[0].value, generated.mentions.last().unwrap());
    assert!(sim.requests()[0].param("start_time").is_some());
}
