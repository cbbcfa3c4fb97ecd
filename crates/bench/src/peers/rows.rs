//! The corpus as the peers store it: one flat row per message, with the conversation fields the
//! filters need denormalized onto it (as trellis's index does too).

use crate::corpus::{workflow_for, Corpus, CorpusConfig, ACCOUNTS};
use chrono::{DateTime, Utc};
use trellis_core::ConversationKey;

#[derive(Debug, Clone)]
pub struct PeerRow {
    pub id: i64,
    pub channel: &'static str,
    /// Case-folded handle; `None` where the platform has no handles (Facebook).
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
    pub status: &'static str,
    pub tags: Vec<&'static str>,
    pub unassigned: bool,
    pub text: String,
}

/// The same corpus trellis ingested, regenerated from its seed, a batch of rows at a time.
pub fn peer_rows(config: CorpusConfig) -> impl Iterator<Item = anyhow::Result<Vec<PeerRow>>> {
    let mut next_id = 0i64;
    Corpus::new(config).map(move |batch| {
        let batch = batch?;
        let channel = ACCOUNTS[batch.account].channel.as_str();
        Ok(batch
            .messages
            .into_iter()
            .map(|message| {
                next_id += 1;
                let key = ConversationKey::for_message(&message);
                let workflow = workflow_for(config.seed, batch.account, &key);
                PeerRow {
                    id: next_id,
                    channel,
                    author: message.author.handle.as_ref().map(|h| h.key()),
                    created_at: message.created_at,
                    status: workflow.status.as_str(),
                    tags: workflow.tags,
                    unassigned: workflow.assignee.is_none(),
                    text: message.text,
                }
            })
            .collect())
    })
}
