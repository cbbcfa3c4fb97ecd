//! One message under evaluation: its facts, the conversation as earlier rules of the run left it,
//! and text prepared at most once, only if some condition needs it.

use super::facts::MessageFacts;
use super::text::{fold, Words};
use trellis_core::{ConversationStatus, Priority, TagName, TeamId, UserId};

/// The conversation fields actions change, as they stand after the actions applied so far.
#[derive(Debug, Clone)]
pub(crate) struct ConversationState {
    pub status: ConversationStatus,
    pub priority: Priority,
    pub assignee_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    /// Tag changes over the stored tags; empty until a rule touches tags, so most runs allocate
    /// nothing here.
    added_tags: Vec<TagName>,
    removed_tags: Vec<TagName>,
}

impl ConversationState {
    fn of(facts: &MessageFacts) -> Self {
        Self {
            status: facts.status,
            priority: facts.priority,
            assignee_id: facts.assignee_id,
            team_id: facts.team_id,
            added_tags: Vec::new(),
            removed_tags: Vec::new(),
        }
    }

    pub(crate) fn add_tag(&mut self, tag: &TagName) {
        self.removed_tags.retain(|removed| removed != tag);
        if !self.added_tags.contains(tag) {
            self.added_tags.push(tag.clone());
        }
    }

    pub(crate) fn remove_tag(&mut self, tag: &TagName) {
        self.added_tags.retain(|added| added != tag);
        if !self.removed_tags.contains(tag) {
            self.removed_tags.push(tag.clone());
        }
    }
}

pub(crate) struct Subject<'a> {
    pub facts: &'a MessageFacts,
    pub state: ConversationState,
    folded: Option<String>,
    words: Option<Words>,
    /// Per calendar index of the rule set: whether it was open at `created_at`, once asked.
    open: Vec<Option<bool>>,
}

impl<'a> Subject<'a> {
    pub(crate) fn new(facts: &'a MessageFacts) -> Self {
        Self {
            facts,
            state: ConversationState::of(facts),
            folded: None,
            words: None,
            open: Vec::new(),
        }
    }

    /// The folded text, computed on first use.
    pub(crate) fn folded(&mut self) -> &str {
        self.folded.get_or_insert_with(|| fold(&self.facts.text))
    }

    /// The words of the folded text, computed on first use.
    pub(crate) fn words(&mut self) -> &Words {
        if self.words.is_none() {
            let words = Words::split(self.folded());
            self.words = Some(words);
        }
        self.words.get_or_insert_with(Words::default)
    }

    pub(crate) fn has_conversation_tag(&self, tag: &TagName) -> bool {
        if self.state.added_tags.contains(tag) {
            return true;
        }
        !self.state.removed_tags.contains(tag) && self.facts.conversation_tags.contains(tag)
    }

    /// Whether calendar number `index` was open when the message was written, asking `is_open`
    /// once per calendar and message however many conditions name it.
    pub(crate) fn open_at(
        &mut self,
        index: usize,
        is_open: impl FnOnce() -> Option<bool>,
    ) -> Option<bool> {
        if self.open.len() <= index {
            self.open.resize(index + 1, None);
        }
        if let Some(known) = self.open[index] {
            return Some(known);
        }
        let answer = is_open();
        self.open[index] = answer;
        answer
    }
}
