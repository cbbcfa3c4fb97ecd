//! One message under evaluation: its facts, the conversation as earlier rules of the run left it,
//! and text prepared at most once, only if some condition needs it.

use super::facts::MessageFacts;
use super::scan::Scanners;
use super::text::{fold, Words};
use super::vocabulary::{Vocabulary, WordId};
use regex::SetMatches;
use rust_stemmers::Stemmer;
use trellis_core::{ConversationStatus, Priority, TagName, TeamId, UserId};

/// The conversation fields actions change, as they stand after the actions applied so far.
#[derive(Debug, Clone)]
pub(crate) struct ConversationState<'a> {
    pub status: ConversationStatus,
    pub priority: Priority,
    pub assignee_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    /// Tag changes over the stored tags, borrowed from the rules' actions: empty until a rule
    /// touches tags, and recording a change copies no tag.
    added_tags: Vec<&'a TagName>,
    removed_tags: Vec<&'a TagName>,
}

impl<'a> ConversationState<'a> {
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

    pub(crate) fn add_tag(&mut self, tag: &'a TagName) {
        self.removed_tags.retain(|removed| *removed != tag);
        if !self.added_tags.contains(&tag) {
            self.added_tags.push(tag);
        }
    }

    pub(crate) fn remove_tag(&mut self, tag: &'a TagName) {
        self.added_tags.retain(|added| *added != tag);
        if !self.removed_tags.contains(&tag) {
            self.removed_tags.push(tag);
        }
    }
}

pub(crate) struct Subject<'a> {
    pub facts: &'a MessageFacts,
    pub state: ConversationState<'a>,
    folded: Option<String>,
    words: Option<Words>,
    hits: Option<WordHits>,
    needles: Option<Vec<u64>>,
    patterns: Option<Option<SetMatches>>,
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
            hits: None,
            needles: None,
            patterns: None,
            open: Vec::new(),
        }
    }

    /// The folded text, computed on first use.
    pub(crate) fn folded(&mut self) -> &str {
        self.folded.get_or_insert_with(|| fold(&self.facts.text))
    }

    /// The folded text and its words, computed on first use.
    pub(crate) fn words(&mut self) -> (&str, &Words) {
        if self.words.is_none() {
            let words = Words::split(self.folded());
            self.words = Some(words);
        }
        let folded = self.folded.as_deref().unwrap_or("");
        (folded, self.words.get_or_insert_with(Words::default))
    }

    /// The vocabulary words this message contains, computed on first use.
    pub(crate) fn hits(&mut self, vocabulary: &Vocabulary, stemmer: &Stemmer) -> &WordHits {
        if self.hits.is_none() {
            let (folded, words) = self.words();
            let hits = WordHits::of(words.iter(folded), vocabulary, stemmer);
            self.hits = Some(hits);
        }
        self.hits.get_or_insert_with(WordHits::default)
    }

    /// Which of the rule set's needles the folded text contains, computed on first use.
    pub(crate) fn needles(&mut self, scanners: &Scanners) -> &[u64] {
        if self.needles.is_none() {
            let found = scanners.needles_in(self.folded());
            self.needles = Some(found);
        }
        self.needles.get_or_insert_with(Vec::new)
    }

    /// Which of the rule set's regexes match the text, computed on first use.
    pub(crate) fn patterns(&mut self, scanners: &Scanners) -> Option<&SetMatches> {
        let text = &self.facts.text;
        self.patterns.get_or_insert_with(|| scanners.patterns_in(text)).as_ref()
    }

    pub(crate) fn has_conversation_tag(&self, tag: &TagName) -> bool {
        if self.state.added_tags.contains(&tag) {
            return true;
        }
        !self.state.removed_tags.contains(&tag) && self.facts.conversation_tags.contains(tag)
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

/// Which vocabulary words a message contains, and where: computed once per message, then every
/// query term is a bit test and every phrase a few lookups.
#[derive(Debug, Default)]
pub(crate) struct WordHits {
    present: Vec<u64>,
    /// `(position, word id)`, ordered.
    at: Vec<(u32, WordId)>,
}

impl WordHits {
    fn of<'w>(
        words: impl Iterator<Item = &'w str>,
        vocabulary: &Vocabulary,
        stemmer: &Stemmer,
    ) -> Self {
        let mut hits = WordHits {
            present: vec![0; vocabulary.len().div_ceil(64)],
            at: Vec::with_capacity(16),
        };
        for (position, word) in words.enumerate() {
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            vocabulary.matches(word, stemmer, |id| {
                hits.present[id as usize / 64] |= 1 << (id % 64);
                hits.at.push((position, id));
            });
        }
        hits.at.sort_unstable();
        hits.at.dedup();
        hits
    }

    fn has(&self, id: WordId) -> bool {
        self.present.get(id as usize / 64).is_some_and(|bits| bits & (1 << (id % 64)) != 0)
    }

    /// Whether the words occur adjacent and in order. No words (a term of punctuation) is
    /// everywhere.
    pub(crate) fn contains_phrase(&self, phrase: &[WordId]) -> bool {
        let Some((&first, rest)) = phrase.split_first() else { return true };
        if !phrase.iter().all(|&id| self.has(id)) {
            return false;
        }
        if rest.is_empty() {
            return true;
        }
        self.at.iter().filter(|&&(_, id)| id == first).any(|&(start, _)| {
            rest.iter().zip(1..).all(|(&id, offset)| {
                start
                    .checked_add(offset)
                    .is_some_and(|position| self.at.binary_search(&(position, id)).is_ok())
            })
        })
    }
}
