//! Previewing a draft rule against the stored messages of the last N days: the search index
//! narrows the candidates with the rule's prefilter, the store supplies each candidate's facts,
//! and the pure preview says what the rule would match and do. Nothing is changed.

use super::facts::message_facts;
use super::{TriageError, TriageService};
use crate::rules::{EvalContext, PreviewReport, Rule, RuleSet};
use chrono::{Duration, Utc};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;
use trellis_core::{
    Contact, ContactId, Conversation, ConversationId, SearchIndex, SearchRequest, SortOrder,
    StoreError,
};

/// The most candidates a preview looks at, newest first: a preview answers "what would this do",
/// not "everything it would ever have matched".
pub const PREVIEW_CANDIDATES: usize = 2_000;

impl TriageService {
    /// What `draft` would match and do over the inbound messages of the last `days` days (at most
    /// [`PREVIEW_CANDIDATES`] of them), with up to `sample_size` examples.
    pub async fn preview(
        &self,
        index: Arc<dyn SearchIndex>,
        draft: Rule,
        days: u32,
        sample_size: usize,
    ) -> Result<PreviewReport, TriageError> {
        let now = Utc::now();
        let since = (now - Duration::days(i64::from(days))).date_naive();
        let prefilter = draft.search_prefilter().unwrap_or_else(|| "direction:inbound".to_owned());
        let request = SearchRequest {
            query: format!("{prefilter} after:{}", since.format("%Y-%m-%d")),
            sort: SortOrder::Newest,
            limit: PREVIEW_CANDIDATES,
            offset: 0,
            brands: None,
        };
        let results = tokio::task::spawn_blocking(move || index.search(&request))
            .await
            .map_err(|error| TriageError::Task(error.to_string()))??;

        let store = self.store();
        let mut contacts: HashMap<ContactId, Option<Contact>> = HashMap::new();
        let mut conversations: HashMap<ConversationId, Conversation> = HashMap::new();
        let mut candidates = Vec::with_capacity(results.hits.len());
        for hit in results.hits {
            let message = match store.get_message(hit.message_id).await {
                Ok(message) => message,
                // Indexed but gone from the store: the index is a projection and may lag.
                Err(StoreError::NotFound { .. }) => continue,
                Err(error) => return Err(error.into()),
            };
            if let Entry::Vacant(slot) = contacts.entry(message.contact_id) {
                slot.insert(store.get_contact(message.contact_id).await.ok());
            }
            if let Entry::Vacant(slot) = conversations.entry(message.conversation_id) {
                slot.insert(store.get_conversation(message.conversation_id).await?);
            }
            let contact = contacts.get(&message.contact_id).and_then(Option::as_ref);
            if let Some(conversation) = conversations.get(&message.conversation_id) {
                candidates.push(message_facts(&message, contact, conversation));
            }
        }

        let catalog = self.catalog();
        let report = tokio::task::spawn_blocking(move || {
            let context = EvalContext { calendars: &catalog.calendars, now };
            RuleSet::preview(draft, candidates, &context, sample_size)
        })
        .await
        .map_err(|error| TriageError::Task(error.to_string()))??;
        Ok(report)
    }
}
