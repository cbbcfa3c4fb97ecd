//! Ingesting webhook deliveries: the same idempotent path as polling, with unreadable items kept
//! as ingest errors against their account. The routes check signatures; what a signed delivery
//! means for each account is decided here.

use crate::ingest::{add_outcome, ingest_keeping_the_rest};
use crate::SyncHandle;
use chrono::Utc;
use serde_json::{json, Value};
use std::sync::Arc;
use trellis_connector_facebook::webhook as facebook;
use trellis_core::{
    Account, Channel, IngestBatch, IngestOutcome, IngestSource, MessageKind, NewIngestError,
    NewMessage, Store, StoreResult,
};

/// What a delivery did, answered to the platform (which only looks at the status).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub outcome: IngestOutcome,
    /// Items recorded as ingest errors.
    pub refused: usize,
    /// Streams rung for an immediate poll.
    pub poked: usize,
}

impl Delivered {
    pub fn absorb(&mut self, other: Delivered) {
        add_outcome(&mut self.outcome, other.outcome);
        self.refused += other.refused;
        self.poked += other.poked;
    }

    pub fn to_json(&self) -> Value {
        json!({
            "inserted": self.outcome.inserted,
            "updated": self.outcome.updated,
            "unchanged": self.outcome.unchanged,
            "refused": self.refused,
            "polls_requested": self.poked,
        })
    }
}

/// An ingest error for one item of a delivery that could not be read.
pub fn item_error(account: &Account, stream: &str, item: &Value, reason: &str) -> NewIngestError {
    let platform_id = ["id", "comment_id", "mid"]
        .iter()
        .find_map(|key| item.get(*key).or_else(|| item.pointer(&format!("/message/{key}"))))
        .or_else(|| item.pointer("/value/comment_id"))
        .or_else(|| item.pointer("/post/id"))
        .and_then(|id| match id {
            Value::String(id) => Some(id.clone()),
            Value::Number(id) => Some(id.to_string()),
            _ => None,
        });
    NewIngestError {
        account_id: account.id,
        source: IngestSource::Webhook,
        stream: Some(stream.to_owned()),
        platform_id,
        reason: reason.to_owned(),
        payload_excerpt: item.to_string(),
        at: Utc::now(),
    }
}

/// Ingests a delivery's readable messages (keeping the rest when the store refuses some) and
/// records its unreadable items.
pub async fn ingest_delivery(
    store: &Arc<dyn Store>,
    account: &Account,
    messages: Vec<NewMessage>,
    errors: Vec<NewIngestError>,
) -> StoreResult<Delivered> {
    let mut delivered = Delivered::default();
    let mut errors = errors;
    if !messages.is_empty() {
        let ingest = |batch| {
            let store = store.clone();
            async move { store.ingest(batch).await }
        };
        let batch = IngestBatch { account_id: account.id, messages, cursors: Vec::new() };
        let ingested =
            ingest_keeping_the_rest(ingest, batch, IngestSource::Webhook, None, Utc::now()).await?;
        delivered.outcome = ingested.outcome;
        errors.extend(ingested.refused);
    }
    for error in errors {
        tracing::warn!(account_id = %account.id, stream = error.stream.as_deref().unwrap_or("-"), reason = %error.reason, "webhook item not ingested");
        store.record_ingest_error(error).await?;
        delivered.refused += 1;
    }
    if delivered.outcome.inserted + delivered.outcome.updated > 0 {
        tracing::info!(account_id = %account.id, inserted = delivered.outcome.inserted, updated = delivered.outcome.updated, "webhook delivery ingested");
    }
    Ok(delivered)
}

/// A signed Facebook delivery: each entry is routed to the connected Page it names (entries for
/// Pages not connected here are logged and skipped), its readable items ingested and the rest
/// recorded. Messenger messages name people, not threads: they ring the Page's `conversations`
/// stream instead, so they enter through polling with the thread polling gives them.
pub async fn facebook(
    store: &Arc<dyn Store>,
    sync: &SyncHandle,
    envelope: &Value,
) -> StoreResult<Delivered> {
    let entries = envelope.get("entry").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let mut delivered = Delivered::default();
    for entry in entries {
        let Some(page_id) = entry.get("id").and_then(Value::as_str) else {
            tracing::warn!(platform = "facebook", "delivery entry without a page id");
            continue;
        };
        let Some(account) = store.find_account(Channel::Facebook, page_id).await? else {
            tracing::warn!(platform = "facebook", page_id, "delivery for a page not connected");
            continue;
        };
        let items = facebook_entry_items(&account, entry);
        if items.doorbell {
            let streams = vec![trellis_connector_facebook::CONVERSATIONS.to_owned()];
            delivered.poked += usize::from(sync.poke(account.id, streams));
        }
        delivered.absorb(ingest_delivery(store, &account, items.messages, items.errors).await?);
    }
    Ok(delivered)
}

/// What one entry of a Facebook delivery holds for its account.
#[derive(Debug, Default)]
struct EntryItems {
    messages: Vec<NewMessage>,
    errors: Vec<NewIngestError>,
    /// A thread-less Messenger message came: poll the conversations now.
    doorbell: bool,
}

/// Reads an entry's items one at a time, so one unreadable item does not cost its neighbours.
fn facebook_entry_items(account: &Account, entry: &Value) -> EntryItems {
    let page_id = account.platform_account_id.as_str();
    let mut items = EntryItems::default();
    for (field, stream) in [("messaging", "conversations"), ("changes", "feed")] {
        for item in entry.get(field).and_then(Value::as_array).into_iter().flatten() {
            let single = json!({"object": "page", "entry": [{
                "id": page_id, "time": entry.get("time"), field: [item],
            }]});
            match facebook::parse_delivery(page_id, single.to_string().as_bytes()) {
                Ok(parsed) => {
                    for message in parsed {
                        if message.kind == MessageKind::DirectMessage
                            && message.thread_platform_id.is_none()
                        {
                            items.doorbell = true;
                        } else {
                            items.messages.push(message);
                        }
                    }
                }
                Err(error) => {
                    items.errors.push(item_error(account, stream, item, &error.to_string()));
                }
            }
        }
    }
    items
}
