//! Text as rules see it: folded (case, accents, compatibility forms) and split into words, close
//! enough to the search index's analysis that a query means the same in a rule as in the search
//! box, and cheap enough to run on every message.

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

/// Case and accent folding: compatibility decomposition without combining marks, lowercased.
pub(crate) fn fold(text: &str) -> String {
    // Most social text is ASCII: skip normalization for it.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of an already folded text: runs of letters and digits, apostrophes inside a word
/// dropped (`don't` is `dont`), a leading `#` or `@` kept (`#blackfriday`, `@acme`). Stored in one
/// buffer with ranges, so splitting a message costs two allocations.
#[derive(Debug, Default)]
pub(crate) struct Words {
    buffer: String,
    ranges: Vec<(usize, usize)>,
}

impl Words {
    pub(crate) fn split(folded: &str) -> Self {
        let mut words = Words { buffer: String::with_capacity(folded.len()), ranges: Vec::new() };
        let mut chars = folded.chars().peekable();
        let mut start: Option<usize> = None;
        while let Some(c) = chars.next() {
            let next_is_word = chars.peek().is_some_and(|n| n.is_alphanumeric());
            match (start, c) {
                (_, c) if c.is_alphanumeric() => {
                    if start.is_none() {
                        start = Some(words.buffer.len());
                    }
                    words.buffer.push(c);
                }
                (None, '#' | '@') if next_is_word => {
                    start = Some(words.buffer.len());
                    words.buffer.push(c);
                }
                (Some(_), '\'' | '’') if next_is_word => {}
                (Some(from), _) => {
                    words.ranges.push((from, words.buffer.len()));
                    start = None;
                }
                (None, _) => {}
            }
        }
        if let Some(from) = start {
            words.ranges.push((from, words.buffer.len()));
        }
        words
    }

    pub(crate) fn len(&self) -> usize {
        self.ranges.len()
    }

    pub(crate) fn get(&self, index: usize) -> &str {
        self.ranges.get(index).map_or("", |&(from, to)| &self.buffer[from..to])
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        self.ranges.iter().map(|&(from, to)| &self.buffer[from..to])
    }
}

/// One word of a query term or phrase, ready to compare with a message's words.
#[derive(Debug, Clone)]
pub(crate) struct QueryWord {
    word: String,
    /// The English stem of a plain ASCII word, so `refund` finds `refunds` as in search.
    stem: Option<String>,
}

impl QueryWord {
    pub(crate) fn new(word: &str, stemmer: &Stemmer) -> Self {
        let tagged = word.starts_with(['#', '@']);
        let stem = (!tagged && word.is_ascii()).then(|| stemmer.stem(word).into_owned());
        Self { word: word.to_owned(), stem }
    }

    /// Whether a message word is this word: equal, the body of a hashtag or handle equal to a plain
    /// word, or the same English stem. A `#tag` or `@handle` in the query matches only itself.
    pub(crate) fn matches(&self, message_word: &str, stemmer: &Stemmer) -> bool {
        if message_word == self.word {
            return true;
        }
        let Some(stem) = &self.stem else { return false };
        let body = message_word.strip_prefix(['#', '@']).unwrap_or(message_word);
        if body == self.word {
            return true;
        }
        // Stemming only ever shortens or keeps a word's start, so a word that does not begin with
        // the stem cannot share it; this keeps stemming off the hot path.
        body.is_ascii() && body.starts_with(stem.as_str()) && stemmer.stem(body) == stem.as_str()
    }
}

/// The shared English stemmer.
pub(crate) fn english() -> Stemmer {
    Stemmer::create(Algorithm::English)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        Words::split(&fold(text)).iter().map(str::to_owned).collect()
    }

    #[test]
    fn folding_removes_case_accents_and_width() {
        assert_eq!(fold("CAFÉ Crème ｃａｆｅ"), "cafe creme cafe");
    }

    #[test]
    fn words_keep_hashtags_and_handles_and_drop_inner_apostrophes() {
        assert_eq!(
            words("Don't @Acme me, #BlackFriday sale!! 50% off - '"),
            ["dont", "@acme", "me", "#blackfriday", "sale", "50", "off"]
        );
    }

    #[test]
    fn a_stemmed_query_word_finds_inflected_forms_only() {
        let stemmer = english();
        let refund = QueryWord::new("refund", &stemmer);
        assert!(refund.matches("refunds", &stemmer));
        assert!(refund.matches("refunded", &stemmer));
        assert!(refund.matches("#refund", &stemmer));
        assert!(!refund.matches("fund", &stemmer));
        let tag = QueryWord::new("#refund", &stemmer);
        assert!(!tag.matches("refund", &stemmer));
    }
}
