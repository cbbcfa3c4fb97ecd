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
/// dropped (`don't` is `dont`), a leading `#` or `@` kept (`#blackfriday`, `@acme`). Words are
/// ranges of the folded text; only words that lose an apostrophe are copied.
#[derive(Debug, Default)]
pub(crate) struct Words {
    /// Words with their apostrophes removed, back to back.
    copied: String,
    /// `(start, end, copied)`: a range of the folded text, or of `copied`.
    spans: Vec<(usize, usize, bool)>,
}

impl Words {
    pub(crate) fn split(folded: &str) -> Self {
        // About one word per six bytes of social text: size once instead of growing four times.
        let mut words =
            Words { copied: String::new(), spans: Vec::with_capacity(folded.len() / 6 + 1) };
        let mut chars = folded.char_indices().peekable();
        // The current word's start, and whether it holds an apostrophe to drop.
        let mut start: Option<usize> = None;
        let mut apostrophe = false;
        while let Some((at, c)) = chars.next() {
            if c.is_alphanumeric() {
                start.get_or_insert(at);
                continue;
            }
            let next_is_word = chars.peek().is_some_and(|(_, n)| n.is_alphanumeric());
            match start {
                None if matches!(c, '#' | '@') && next_is_word => start = Some(at),
                Some(_) if matches!(c, '\'' | '’') && next_is_word => apostrophe = true,
                Some(from) => {
                    words.push(folded, from, at, apostrophe);
                    start = None;
                    apostrophe = false;
                }
                None => {}
            }
        }
        if let Some(from) = start {
            words.push(folded, from, folded.len(), apostrophe);
        }
        words
    }

    fn push(&mut self, folded: &str, from: usize, to: usize, apostrophe: bool) {
        if !apostrophe {
            self.spans.push((from, to, false));
            return;
        }
        let begin = self.copied.len();
        self.copied.extend(folded[from..to].chars().filter(|c| !matches!(c, '\'' | '’')));
        self.spans.push((begin, self.copied.len(), true));
    }

    /// The words, in order; `folded` must be the text they were split from.
    pub(crate) fn iter<'a>(&'a self, folded: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.spans.iter().map(move |&(from, to, copied)| {
            let source = if copied { self.copied.as_str() } else { folded };
            source.get(from..to).unwrap_or("")
        })
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
        let folded = fold(text);
        Words::split(&folded).iter(&folded).map(str::to_owned).collect()
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
