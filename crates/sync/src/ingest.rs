//! Ingesting what a poll or a webhook brought, keeping everything the store accepts.
//!
//! A batch goes to the store whole first: messages and cursors in one transaction. When the store
//! refuses it as invalid (one bad item spoils the transaction), the messages are retried one by
//! one; the ones still refused are recorded as ingest errors for an admin to see, and the cursors
//! are committed last, on their own, once every acceptable message is stored. A crash between the
//! single messages and the cursors only means the next poll reads those pages again, which the
//! upsert absorbs: nothing is lost and nothing is stored twice.

use chrono::{DateTime, Utc};
use std::future::Future;
use trellis_core::{
    IngestBatch, IngestOutcome, IngestSource, NewIngestError, NewMessage, StoreError, StoreResult,
};

/// What ingesting one batch did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Ingested {
    pub outcome: IngestOutcome,
    /// Messages the store refused even alone; each became an ingest error.
    pub refused: Vec<NewIngestError>,
}

impl Ingested {
    pub fn absorb(&mut self, other: Ingested) {
        add_outcome(&mut self.outcome, other.outcome);
        self.refused.extend(other.refused);
    }
}

/// Sums `more` into `total`: counts add, conversations join without repeats, the last seq wins.
pub fn add_outcome(total: &mut IngestOutcome, more: IngestOutcome) {
    total.inserted += more.inserted;
    total.updated += more.updated;
    total.unchanged += more.unchanged;
    for conversation in more.conversations {
        if !total.conversations.contains(&conversation) {
            total.conversations.push(conversation);
        }
    }
    total.last_seq = more.last_seq.or(total.last_seq);
}

/// Ingests `batch` through `ingest` (the store's), falling back to one message at a time when the
/// store refuses the batch as invalid. Errors other than `Invalid` (the database is down) are
/// returned at once with nothing committed past what already was, so the cursors stay put.
///
/// `ingest` is a parameter so the fallback is testable without a store that refuses things.
pub async fn ingest_keeping_the_rest<F, Fut>(
    ingest: F,
    batch: IngestBatch,
    source: IngestSource,
    stream: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<Ingested>
where
    F: Fn(IngestBatch) -> Fut,
    Fut: Future<Output = StoreResult<IngestOutcome>>,
{
    let account_id = batch.account_id;
    let whole = ingest(batch.clone()).await;
    let reason = match whole {
        Ok(outcome) => return Ok(Ingested { outcome, refused: Vec::new() }),
        Err(StoreError::Invalid(reason))
            if batch.messages.len() > 1 || !batch.cursors.is_empty() =>
        {
            reason
        }
        Err(StoreError::Invalid(reason)) => {
            // A single message without cursors: it is the culprit.
            let refused = batch
                .messages
                .iter()
                .map(|message| refusal(account_id, message, &reason, source, stream, now))
                .collect();
            return Ok(Ingested { outcome: IngestOutcome::default(), refused });
        }
        Err(other) => return Err(other),
    };
    tracing::warn!(
        account_id = %account_id,
        messages = batch.messages.len(),
        reason = %reason,
        "store refused a batch, ingesting its messages one by one"
    );
    let mut ingested = Ingested::default();
    for message in &batch.messages {
        let single =
            IngestBatch { account_id, messages: vec![message.clone()], cursors: Vec::new() };
        match ingest(single).await {
            Ok(outcome) => add_outcome(&mut ingested.outcome, outcome),
            Err(StoreError::Invalid(reason)) => {
                ingested.refused.push(refusal(account_id, message, &reason, source, stream, now));
            }
            Err(other) => return Err(other),
        }
    }
    if !batch.cursors.is_empty() {
        let cursors = IngestBatch { account_id, messages: Vec::new(), cursors: batch.cursors };
        add_outcome(&mut ingested.outcome, ingest(cursors).await?);
    }
    Ok(ingested)
}

fn refusal(
    account_id: trellis_core::AccountId,
    message: &NewMessage,
    reason: &str,
    source: IngestSource,
    stream: Option<&str>,
    now: DateTime<Utc>,
) -> NewIngestError {
    NewIngestError {
        account_id,
        source,
        stream: stream.map(str::to_owned),
        platform_id: Some(message.platform_id.as_str().to_owned()),
        reason: format!("refused by the store: {reason}"),
        payload_excerpt: message.raw.to_string(),
        at: now,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use trellis_core::{AccountId, CursorUpdate, Direction, MessageKind, NewContact, PlatformId};

    fn message(id: &str, text: &str) -> NewMessage {
        NewMessage {
            platform_id: PlatformId::parse(id).unwrap(),
            kind: MessageKind::Mention,
            direction: Direction::Inbound,
            author: NewContact {
                platform_id: PlatformId::parse("u1").unwrap(),
                handle: None,
                display_name: None,
                follower_count: None,
                verified: false,
            },
            parent_platform_id: None,
            thread_platform_id: None,
            thread_title: None,
            text: text.into(),
            lang: None,
            raw: serde_json::json!({"id": id}),
            created_at: Utc::now(),
            deleted_at: None,
        }
    }

    /// A store stand-in refusing any batch holding a "poison" message, recording what it kept.
    #[derive(Default)]
    struct Picky {
        kept: Mutex<Vec<String>>,
        cursors: Mutex<Vec<String>>,
    }

    impl Picky {
        async fn ingest(&self, batch: IngestBatch) -> StoreResult<IngestOutcome> {
            if batch.messages.iter().any(|m| m.text.contains("poison")) {
                return Err(StoreError::Invalid("poisoned".into()));
            }
            let count = batch.messages.len() as u64;
            self.kept.lock().unwrap().extend(batch.messages.iter().map(|m| m.text.clone()));
            self.cursors.lock().unwrap().extend(batch.cursors.iter().map(|c| c.value.clone()));
            Ok(IngestOutcome { inserted: count, ..Default::default() })
        }
    }

    fn batch(texts: &[&str]) -> IngestBatch {
        IngestBatch {
            account_id: AccountId(3),
            messages: texts
                .iter()
                .enumerate()
                .map(|(i, text)| message(&format!("m{i}"), text))
                .collect(),
            cursors: vec![CursorUpdate { stream: "mentions".into(), value: "42".into() }],
        }
    }

    #[tokio::test]
    async fn a_refused_item_becomes_an_ingest_error_and_the_rest_and_the_cursor_are_kept() {
        let store = Picky::default();
        let ingested = ingest_keeping_the_rest(
            |b| store.ingest(b),
            batch(&["fine", "poison", "also fine"]),
            IngestSource::Poll,
            Some("mentions"),
            Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(ingested.outcome.inserted, 2);
        assert_eq!(*store.kept.lock().unwrap(), ["fine", "also fine"]);
        assert_eq!(*store.cursors.lock().unwrap(), ["42"]);
        assert_eq!(ingested.refused.len(), 1);
        let refused = &ingested.refused[0];
        assert_eq!(refused.platform_id.as_deref(), Some("m1"));
        assert_eq!(refused.stream.as_deref(), Some("mentions"));
        assert!(refused.reason.contains("poisoned"), "{}", refused.reason);
    }

    #[tokio::test]
    async fn an_accepted_batch_goes_in_whole() {
        let store = Picky::default();
        let ingested = ingest_keeping_the_rest(
            |b| store.ingest(b),
            batch(&["a", "b"]),
            IngestSource::Webhook,
            None,
            Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(ingested.outcome.inserted, 2);
        assert!(ingested.refused.is_empty());
    }

    #[tokio::test]
    async fn an_unavailable_store_fails_the_batch_without_committing_the_cursor() {
        let cursors = Mutex::new(0);
        let result = ingest_keeping_the_rest(
            |b: IngestBatch| {
                *cursors.lock().unwrap() += b.cursors.len();
                async { Err::<IngestOutcome, _>(StoreError::Unavailable("down".into())) }
            },
            batch(&["a"]),
            IngestSource::Poll,
            None,
            Utc::now(),
        )
        .await;
        assert!(matches!(result, Err(StoreError::Unavailable(_))));
        assert_eq!(*cursors.lock().unwrap(), 1, "only the whole batch was tried");
    }
}
