#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use std::collections::{HashMap, HashSet};
use trellis_core::{ConversationKey, MessageKind};

fn corpus(messages: u64, seed: u64) -> Vec<CorpusBatch> {
    Corpus::new(CorpusConfig { messages, seed, batch_size: 500 }).map(|b| b.unwrap()).collect()
}

#[test]
fn the_same_seed_yields_the_same_corpus() {
    let first = corpus(3_000, 42);
    let second = corpus(3_000, 42);
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.account, b.account);
        assert_eq!(a.messages, b.messages);
    }
}

#[test]
fn another_seed_yields_another_corpus() {
    let first = corpus(1_000, 1);
    let second = corpus(1_000, 2);
    let texts = |batches: &[CorpusBatch]| -> Vec<String> {
        batches.iter().flat_map(|b| b.messages.iter().map(|m| m.text.clone())).collect()
    };
    assert_ne!(texts(&first), texts(&second));
}

#[test]
fn exactly_the_requested_number_of_messages_comes_out_in_bounded_batches() {
    let batches = corpus(4_321, 7);
    assert_eq!(batches.iter().map(|b| b.messages.len()).sum::<usize>(), 4_321);
    assert!(batches.iter().all(|b| !b.messages.is_empty() && b.messages.len() <= 500));
    let accounts: HashSet<usize> = batches.iter().map(|b| b.account).collect();
    assert_eq!(accounts.len(), ACCOUNTS.len());
}

#[test]
fn message_kinds_and_thread_ids_fit_each_channel() {
    let batches = corpus(6_000, 3);
    // Per account: every platform id seen so far, to check that threads point backwards.
    let mut seen: HashMap<usize, HashSet<String>> = HashMap::new();
    let mut kinds = HashSet::new();
    for batch in &batches {
        let channel = ACCOUNTS[batch.account].channel;
        let seen = seen.entry(batch.account).or_default();
        for message in &batch.messages {
            kinds.insert(message.kind);
            let allowed: &[MessageKind] = match channel {
                Channel::X => {
                    &[MessageKind::Mention, MessageKind::Reply, MessageKind::DirectMessage]
                }
                Channel::Facebook => {
                    &[MessageKind::Post, MessageKind::Comment, MessageKind::DirectMessage]
                }
                Channel::Discourse => &[MessageKind::ForumPost, MessageKind::DirectMessage],
            };
            assert!(allowed.contains(&message.kind), "{:?} on {channel}", message.kind);
            let thread = message.thread_platform_id.as_ref().map(|t| t.as_str().to_owned());
            match message.kind {
                MessageKind::Post => assert!(thread.is_none(), "a post is its own thread"),
                MessageKind::Comment | MessageKind::Reply => {
                    let thread = thread.expect("replies and comments name their thread");
                    assert!(seen.contains(&thread), "thread root {thread} came earlier");
                    let parent = message.parent_platform_id.as_ref().expect("a parent");
                    assert!(seen.contains(parent.as_str()));
                }
                MessageKind::Mention | MessageKind::ForumPost | MessageKind::DirectMessage => {
                    assert!(thread.is_some(), "{:?} carries its thread id", message.kind);
                }
            }
            if channel == Channel::Discourse {
                assert!(message.thread_title.is_some(), "forum topics have titles");
            }
            assert!(seen.insert(message.platform_id.as_str().to_owned()), "ids are unique");
        }
    }
    assert_eq!(kinds.len(), MessageKind::ALL.len(), "every kind occurs: {kinds:?}");
}

#[test]
fn conversations_vary_in_length_and_authors_in_activity() {
    let batches = corpus(20_000, 11);
    let mut per_conversation: HashMap<(usize, ConversationKey), u32> = HashMap::new();
    let mut per_author: HashMap<String, u32> = HashMap::new();
    for batch in &batches {
        for message in &batch.messages {
            *per_conversation
                .entry((batch.account, ConversationKey::for_message(message)))
                .or_default() += 1;
            *per_author.entry(message.author.platform_id.as_str().to_owned()).or_default() += 1;
        }
    }
    let singles = per_conversation.values().filter(|&&n| n == 1).count();
    let longest = per_conversation.values().copied().max().unwrap();
    assert!(per_conversation.len() > 2_000, "{} conversations", per_conversation.len());
    assert!(singles > per_conversation.len() / 5, "many one-message conversations");
    assert!(longest >= 30, "some long ones: {longest}");
    assert!(per_author.len() > 1_000, "{} authors", per_author.len());
    let most = per_author.values().copied().max().unwrap();
    assert!(most > 100, "regulars write a lot: {most}");
}

#[test]
fn texts_look_social_and_multilingual_and_span_about_ninety_days() {
    let batches = corpus(10_000, 5);
    let messages: Vec<&NewMessage> = batches.iter().flat_map(|b| &b.messages).collect();
    let has = |needle: &str| messages.iter().filter(|m| m.text.contains(needle)).count();
    assert!(has("#") > 500, "hashtags");
    assert!(has("@") > 500, "mentions");
    assert!(has("https://") > 100, "links");
    assert!(has("refund") > 50 && has("order number") > 20 && has("shipping") > 50);
    assert!(messages
        .iter()
        .any(|m| m.text.chars().any(|c| ('\u{1F300}'..='\u{1FAFF}').contains(&c))));
    let langs: HashSet<&str> = messages.iter().filter_map(|m| m.lang.as_deref()).collect();
    assert_eq!(langs.len(), LANGUAGES.len(), "{langs:?}");
    assert!(has("返金") > 0 && has("доставка") + has("Доставка") > 0);
    let longest = messages.iter().map(|m| m.text.chars().count()).max().unwrap();
    let shortest = messages.iter().map(|m| m.text.chars().count()).min().unwrap();
    assert!(longest > 1_000 && shortest < 60, "{shortest}..{longest}");
    let first = messages.iter().map(|m| m.created_at).min().unwrap();
    let last = messages.iter().map(|m| m.created_at).max().unwrap();
    let days = (last - first).num_days();
    assert!((80..=100).contains(&days), "{days} days");
}

#[test]
fn messages_of_an_account_come_in_time_order() {
    let batches = corpus(3_000, 9);
    let mut last: HashMap<usize, DateTime<Utc>> = HashMap::new();
    for batch in &batches {
        for message in &batch.messages {
            if let Some(previous) = last.insert(batch.account, message.created_at) {
                assert!(previous <= message.created_at);
            }
        }
    }
}

#[test]
fn workflow_is_a_pure_function_of_the_conversation() {
    let key = ConversationKey::from_stored("thread:123".into());
    assert_eq!(workflow_for(1, 0, &key), workflow_for(1, 0, &key));
    let keys: Vec<ConversationKey> =
        (0..2_000).map(|i| ConversationKey::from_stored(format!("thread:{i}"))).collect();
    let flows: Vec<Workflow> = keys.iter().map(|k| workflow_for(1, 0, k)).collect();
    let resolved = flows.iter().filter(|w| w.status == trellis_core::ConversationStatus::Resolved);
    let tagged = flows.iter().filter(|w| !w.tags.is_empty()).count();
    assert!((700..1_100).contains(&resolved.count()));
    assert!((400..800).contains(&tagged), "{tagged}");
}
