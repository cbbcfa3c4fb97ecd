//! Every word the rule set's queries look for, gathered at compile time, so a message's words are
//! looked up once each instead of every query term scanning every word.
//!
//! A message word matches a query word when they are equal, when the message word is a `#tag` or
//! `@handle` whose body equals a plain query word, or when both are plain ASCII words with the same
//! English stem (as the search index would find them).

use rust_stemmers::Stemmer;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a: words are short and chosen by administrators, so a fast non-keyed hash is safe here and
/// several times cheaper than SipHash on the hot path.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &byte in bytes {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

type FastMap<V> = HashMap<String, V, BuildHasherDefault<Fnv>>;

/// Index of a distinct query word in the vocabulary.
pub(crate) type WordId = u32;

#[derive(Debug, Default)]
pub(crate) struct Vocabulary {
    /// Query word as folded → its id (one id per distinct word).
    exact: FastMap<WordId>,
    /// The stem of each word, by id, when it has one.
    stem_of: Vec<Option<String>>,
    /// English stem of a plain ASCII query word → the ids with that stem.
    stems: FastMap<Vec<WordId>>,
    /// The distinct lengths of those stems, to look up a message word's prefixes.
    stem_lengths: Vec<usize>,
    /// Bit per first-two-bytes of every key above: most message words share no start with any
    /// query word and are dismissed without hashing.
    starts: Vec<u64>,
    len: u32,
}

fn start_key(word: &str) -> usize {
    let bytes = word.as_bytes();
    let first = usize::from(bytes.first().copied().unwrap_or(0));
    let second = usize::from(bytes.get(1).copied().unwrap_or(0));
    (first << 8) | second
}

impl Vocabulary {
    /// The id of a (folded) query word, adding it when new.
    pub(crate) fn intern(&mut self, word: &str, stemmer: &Stemmer) -> WordId {
        if let Some(&id) = self.exact.get(word) {
            return id;
        }
        let id = self.len;
        self.len += 1;
        self.exact.insert(word.to_owned(), id);
        self.mark(word);
        self.stem_of.push(None);
        if word.is_ascii() && !word.starts_with(['#', '@']) {
            let stem = stemmer.stem(word).into_owned();
            if let Some(slot) = self.stem_of.last_mut() {
                *slot = Some(stem.clone());
            }
            if !self.stem_lengths.contains(&stem.len()) {
                self.stem_lengths.push(stem.len());
                self.stem_lengths.sort_unstable();
            }
            self.mark(&stem);
            self.stems.entry(stem).or_default().push(id);
        }
        id
    }

    fn mark(&mut self, word: &str) {
        if self.starts.is_empty() {
            self.starts = vec![0; 1 << 10];
        }
        let key = start_key(word);
        // A one-byte word may be the stem or body of a longer message word: mark every second byte.
        let keys = if word.len() == 1 { key..key + 256 } else { key..key + 1 };
        for key in keys {
            self.starts[key >> 6] |= 1 << (key & 63);
        }
    }

    fn may_start(&self, word: &str) -> bool {
        let key = start_key(word);
        self.starts.get(key >> 6).is_some_and(|bits| bits & (1 << (key & 63)) != 0)
    }

    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// Calls `hit` with the id of every query word this message word matches (an id may repeat).
    pub(crate) fn matches(
        &self,
        message_word: &str,
        stemmer: &Stemmer,
        mut hit: impl FnMut(WordId),
    ) {
        let body = message_word.strip_prefix(['#', '@']).unwrap_or(message_word);
        if body.len() != message_word.len() && self.may_start(message_word) {
            if let Some(&id) = self.exact.get(message_word) {
                hit(id);
            }
        }
        if !self.may_start(body) {
            return;
        }
        if let Some(&id) = self.exact.get(body) {
            hit(id);
            // A vocabulary word's stem is known: its stem group is found without stemming.
            if let Some(Some(stem)) = self.stem_of.get(id as usize) {
                if body.is_ascii() {
                    self.stems.get(stem).into_iter().flatten().copied().for_each(&mut hit);
                }
            }
            return;
        }
        if !body.is_ascii() || self.stem_lengths.is_empty() {
            return;
        }
        let mut stem: Option<String> = None;
        for &length in &self.stem_lengths {
            if length > body.len() {
                break;
            }
            let Some(ids) = self.stems.get(&body[..length]) else { continue };
            // Stemming only shortens a word or keeps its start, so only a word that begins with
            // a known stem can share it; this keeps stemming off the common path.
            let stem = stem.get_or_insert_with(|| stemmer.stem(body).into_owned());
            if stem.as_str() == &body[..length] {
                ids.iter().copied().for_each(&mut hit);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::rules::text::english;

    fn hits(vocabulary: &Vocabulary, word: &str) -> Vec<WordId> {
        let mut found = Vec::new();
        vocabulary.matches(word, &english(), |id| found.push(id));
        found.sort_unstable();
        found.dedup();
        found
    }

    #[test]
    fn a_query_word_finds_its_inflections_hashtags_and_nothing_else() {
        let stemmer = english();
        let mut vocabulary = Vocabulary::default();
        let refund = vocabulary.intern("refund", &stemmer);
        let tagged = vocabulary.intern("#sale", &stemmer);
        assert_eq!(vocabulary.intern("refund", &stemmer), refund);
        assert_eq!(hits(&vocabulary, "refund"), [refund]);
        assert_eq!(hits(&vocabulary, "refunds"), [refund]);
        assert_eq!(hits(&vocabulary, "refunded"), [refund]);
        assert_eq!(hits(&vocabulary, "#refund"), [refund]);
        assert!(hits(&vocabulary, "fund").is_empty());
        assert_eq!(hits(&vocabulary, "#sale"), [tagged]);
        assert!(hits(&vocabulary, "sale").is_empty());
    }

    #[test]
    fn one_letter_words_are_found() {
        let stemmer = english();
        let mut vocabulary = Vocabulary::default();
        let x = vocabulary.intern("x", &stemmer);
        assert_eq!(hits(&vocabulary, "x"), [x]);
        assert!(hits(&vocabulary, "xy").is_empty());
    }
}
