//! Which conversations must be re-indexed whole. Every message document carries its
//! conversation's workflow fields (status, priority, assignee, team, tags, subject), so a change to
//! those means rewriting all the conversation's documents. But most `ConversationUpdated` changes
//! come from ingest (a new message moved the message count), and re-indexing a long thread for each
//! of them costs more than the new message itself.
//!
//! The indexer therefore remembers, per conversation, a fingerprint of the workflow fields its
//! indexed documents hold. A conversation updated in a batch that also brought one of its messages
//! is compared through that message's fresh document: same fingerprint, nothing else to rewrite.
//! Anything unknown (after a restart, an evicted entry, an update without a new message) is
//! re-indexed whole, so the memory only ever saves work, never skips needed work.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use trellis_core::{ConversationId, IndexDoc};

/// Conversations remembered; the memory is emptied when it grows past this (≈ 30 MB).
const MAX_CONVERSATIONS: usize = 1_000_000;

#[derive(Debug, Default)]
pub(crate) struct ConversationStates {
    indexed: Mutex<HashMap<ConversationId, u64>>,
}

/// The conversation-level fields of a document.
pub(crate) fn fingerprint(doc: &IndexDoc) -> u64 {
    let mut hasher = DefaultHasher::new();
    (doc.status, doc.priority, doc.assignee_id, doc.team_id, &doc.tags, &doc.subject)
        .hash(&mut hasher);
    hasher.finish()
}

/// Each document's conversation and fingerprint, taken before the documents go to the index.
pub(crate) fn fingerprints(docs: &[IndexDoc]) -> Vec<(ConversationId, u64)> {
    docs.iter().map(|doc| (doc.conversation_id, fingerprint(doc))).collect()
}

impl ConversationStates {
    /// Whether a conversation changed in a batch needs all its documents rewritten, given the fresh
    /// documents of its messages that the batch brings anyway.
    pub(crate) fn needs_reindex(
        &self,
        conversation: ConversationId,
        created_in_batch: bool,
        fresh: &[&IndexDoc],
    ) -> bool {
        if created_in_batch {
            // Its messages all come after its creation, so none is indexed yet: nothing stale.
            return false;
        }
        let Some(first) = fresh.first() else { return true };
        let Ok(indexed) = self.indexed.lock() else { return true };
        let Some(known) = indexed.get(&conversation) else { return true };
        !(fingerprint(first) == *known && fresh.iter().all(|doc| fingerprint(doc) == *known))
    }

    /// Forgets everything (the index is being rebuilt).
    pub(crate) fn forget_all(&self) {
        if let Ok(mut indexed) = self.indexed.lock() {
            indexed.clear();
        }
    }

    /// Records what a committed batch left in the index, from [`fingerprints`] of its documents.
    pub(crate) fn record(
        &self,
        prints: &[(ConversationId, u64)],
        reindexed: &HashSet<ConversationId>,
        created: &HashSet<ConversationId>,
    ) {
        let Ok(mut indexed) = self.indexed.lock() else { return };
        if indexed.len() > MAX_CONVERSATIONS {
            indexed.clear();
        }
        let mut by_conversation: HashMap<ConversationId, Option<u64>> = HashMap::new();
        for &(conversation, print) in prints {
            by_conversation
                .entry(conversation)
                .and_modify(|seen| {
                    if *seen != Some(print) {
                        *seen = None;
                    }
                })
                .or_insert(Some(print));
        }
        for (conversation, print) in by_conversation {
            let whole = reindexed.contains(&conversation) || created.contains(&conversation);
            match print {
                // Every document of the conversation now holds this state.
                Some(print) if whole => {
                    indexed.insert(conversation, print);
                }
                // Only some documents were written: the memory holds only if they agree with it.
                Some(print) if indexed.get(&conversation) == Some(&print) => {}
                _ => {
                    indexed.remove(&conversation);
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::Utc;
    use trellis_core::{
        AccountId, BrandId, Channel, ConversationStatus, Direction, MessageId, MessageKind,
        Priority,
    };

    fn doc(message: i64, status: ConversationStatus) -> IndexDoc {
        IndexDoc {
            message_id: MessageId(message),
            conversation_id: ConversationId(1),
            account_id: AccountId(1),
            brand_id: BrandId(1),
            channel: Channel::X,
            kind: MessageKind::Reply,
            direction: Direction::Inbound,
            text: String::new(),
            lang: None,
            author_handle: None,
            author_name: None,
            subject: None,
            status,
            priority: Priority::Normal,
            assignee_id: None,
            team_id: None,
            tags: Vec::new(),
            created_at: Utc::now(),
            deleted: false,
        }
    }

    #[test]
    fn an_unknown_conversation_is_reindexed() {
        let states = ConversationStates::default();
        let fresh = doc(1, ConversationStatus::Open);
        assert!(states.needs_reindex(ConversationId(1), false, &[&fresh]));
        assert!(!states.needs_reindex(ConversationId(1), true, &[&fresh]));
    }

    #[test]
    fn a_known_state_is_reindexed_only_when_it_changed() {
        let states = ConversationStates::default();
        states.record(
            &fingerprints(&[doc(1, ConversationStatus::Open)]),
            &HashSet::from([ConversationId(1)]),
            &HashSet::new(),
        );
        assert!(!states.needs_reindex(
            ConversationId(1),
            false,
            &[&doc(2, ConversationStatus::Open)]
        ));
        assert!(states.needs_reindex(
            ConversationId(1),
            false,
            &[&doc(2, ConversationStatus::Pending)]
        ));
        assert!(
            states.needs_reindex(ConversationId(1), false, &[]),
            "no fresh document to compare"
        );
    }

    #[test]
    fn a_partial_write_with_another_state_forgets_the_conversation() {
        let states = ConversationStates::default();
        let whole = HashSet::from([ConversationId(1)]);
        states.record(&fingerprints(&[doc(1, ConversationStatus::Open)]), &whole, &HashSet::new());
        let partial = fingerprints(&[doc(2, ConversationStatus::Resolved)]);
        states.record(&partial, &HashSet::new(), &HashSet::new());
        assert!(states.needs_reindex(
            ConversationId(1),
            false,
            &[&doc(3, ConversationStatus::Resolved)]
        ));
    }
}
