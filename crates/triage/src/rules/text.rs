//! Text as rules see it: folded (case, accents, compatibility forms) and split into words, close
//! enough to the search index's analysis that a query means the same in a rule as in the search
//! box, and cheap enough to run on every message.

use rust_stemmers::{Algorithm, Stemmer};

/// Case and accent folding: compatibility decomposition without combining marks, lowercased.
/// Equal to NFKD-then-drop-marks: canonical reordering only moves combining marks, which are
/// dropped, so each character can be decomposed on its own, which is much faster.
pub(crate) fn fold(text: &str) -> String {
    // Most social text is ASCII: skip decomposition for it.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            folded.push(c.to_ascii_lowercase());
            continue;
        }
        unicode_normalization::char::decompose_compatible(c, |part| {
            if !unicode_normalization::char::is_combining_mark(part) {
                folded.extend(part.to_lowercase());
            }
        });
    }
    folded
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

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        self.ranges.iter().map(|&(from, to)| &self.buffer[from..to])
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
    fn folding_char_by_char_equals_folding_the_normalized_string() {
        use unicode_normalization::UnicodeNormalization;
        for text in
            ["Ǆemal ﬁnance Å ẞ Ω ①", "e\u{301}\u{323} q\u{307}\u{323}", "한국어 日本語 🇩🇪 👍🏽"]
        {
            let reference: String = text
                .nfkd()
                .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
                .flat_map(char::to_lowercase)
                .collect();
            assert_eq!(fold(text), reference, "{text}");
        }
    }

    #[test]
    fn words_keep_hashtags_and_handles_and_drop_inner_apostrophes() {
        assert_eq!(
            words("Don't @Acme me, #BlackFriday sale!! 50% off - '"),
            ["dont", "@acme", "me", "#blackfriday", "sale", "50", "off"]
        );
    }
}
