//! Text analysis for social text: one tokenizer, used in two modes.
//!
//! - Words of spaced scripts (Latin, Cyrillic, Greek, Arabic, …) are case-folded, accent-folded
//!   (NFKD without combining marks, so `café` matches `cafe` and full-width letters match ASCII)
//!   and, when plain ASCII, stemmed as English (`refunds` → `refund`, `charging` → `charg`).
//! - `#hashtag` and `@handle` are kept whole (`#blackfriday`); when indexing, their body is also
//!   indexed at the same position so a plain `blackfriday` finds them too.
//! - Runs of unspaced scripts (Chinese, Japanese, Thai, …) become overlapping character bigrams;
//!   indexing also emits each character, so one- and two-character queries match.
//! - Each emoji is a token. Punctuation separates tokens, so `acme.com` is the phrase `acme com`.

mod scripts;

use scripts::{is_emoji, is_unsegmented, is_word_char};
use std::collections::HashMap;
use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

/// Name under which the indexing analyzer is registered with tantivy.
pub const INDEX_TOKENIZER: &str = "trellis_social";

/// Words whose normalized form is remembered per tokenizer; the cache is emptied when full.
/// Social text is Zipfian, so most words hit and skip folding and stemming.
const WORD_CACHE_ENTRIES: usize = 50_000;

/// Tokens longer than this many bytes (base64 blobs, long URLs' paths) are dropped.
const MAX_TOKEN_BYTES: usize = 80;

/// Whether tokens are produced for a document or for a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Emits alternatives at the same position (hashtag and its body, character and bigram).
    Index,
    /// Emits exactly one token per position, so a multi-token query is a plain phrase.
    Query,
}

/// The trellis social-text tokenizer.
#[derive(Clone)]
pub struct SocialTokenizer {
    mode: Mode,
    stemmer: Arc<rust_stemmers::Stemmer>,
    tokens: Vec<Token>,
    /// A word as written → its folded, stemmed form.
    words: HashMap<String, String>,
}

impl SocialTokenizer {
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            stemmer: Arc::new(rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English)),
            tokens: Vec::new(),
            words: HashMap::new(),
        }
    }

    fn run(&mut self, text: &str) {
        self.tokens.clear();
        if self.words.len() > WORD_CACHE_ENTRIES {
            self.words.clear();
        }
        let mut analysis = Analysis {
            mode: self.mode,
            stemmer: &self.stemmer,
            words: &mut self.words,
            text,
            tokens: &mut self.tokens,
        };
        analysis.run();
    }

    /// The tokens of `text`, for query translation and tests.
    pub fn analyze(&mut self, text: &str) -> Vec<Token> {
        self.run(text);
        std::mem::take(&mut self.tokens)
    }
}

impl Tokenizer for SocialTokenizer {
    type TokenStream<'a> = SocialTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SocialTokenStream<'a> {
        self.run(text);
        SocialTokenStream { tokens: &mut self.tokens, next: 0 }
    }
}

/// Tokens computed up front (a message is short), handed out one by one.
pub struct SocialTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    next: usize,
}

impl TokenStream for SocialTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

struct Analysis<'a> {
    mode: Mode,
    stemmer: &'a rust_stemmers::Stemmer,
    words: &'a mut HashMap<String, String>,
    text: &'a str,
    tokens: &'a mut Vec<Token>,
}

impl Analysis<'_> {
    fn run(&mut self) {
        let chars: Vec<(usize, char)> = self.text.char_indices().collect();
        let end_of = |i: usize| chars.get(i).map_or(self.text.len(), |(offset, _)| *offset);
        let mut position = 0;
        let mut i = 0;
        while i < chars.len() {
            let (start, c) = chars[i];
            if (c == '#' || c == '@') && chars.get(i + 1).is_some_and(|(_, n)| is_tag_char(*n)) {
                let body_end = run_end(&chars, i + 1, |c| is_tag_char(c) || c == '_');
                let body = &self.text[end_of(i + 1)..end_of(body_end)];
                let text = format!("{c}{}", fold(body));
                self.push(text, start, end_of(body_end), position);
                match self.mode {
                    // The body follows at the same position as the whole tag.
                    Mode::Index => i += 1,
                    Mode::Query => {
                        position += 1;
                        i = body_end;
                    }
                }
                continue;
            }
            if is_unsegmented(c) {
                let run = run_end(&chars, i, is_unsegmented);
                position = self.ngrams(&chars[i..run], end_of(run), position);
                i = run;
            } else if is_emoji(c) {
                self.push(c.to_string(), start, end_of(i + 1), position);
                position += 1;
                i += 1;
            } else if is_word_char(c) {
                let run = word_end(&chars, i);
                let text = self.word(&self.text[start..end_of(run)]);
                self.push(text, start, end_of(run), position);
                position += 1;
                i = run;
            } else {
                i += 1;
            }
        }
    }

    /// Bigrams of a run of unspaced script (plus unigrams when indexing); returns the next position.
    fn ngrams(&mut self, run: &[(usize, char)], run_end: usize, mut position: usize) -> usize {
        let end_of = |k: usize| run.get(k).map_or(run_end, |(offset, _)| *offset);
        let normalized: Vec<String> =
            run.iter().map(|(_, c)| c.to_string().nfkc().collect()).collect();
        if run.len() == 1 {
            self.push(normalized[0].clone(), run[0].0, run_end, position);
            return position + 1;
        }
        for k in 0..run.len() {
            let last = k + 1 == run.len();
            if self.mode == Mode::Index {
                self.push(normalized[k].clone(), run[k].0, end_of(k + 1), position);
            } else if last {
                break;
            }
            if !last {
                let bigram = format!("{}{}", normalized[k], normalized[k + 1]);
                self.push(bigram, run[k].0, end_of(k + 2), position);
            }
            position += 1;
        }
        position
    }

    /// The indexed form of a word: without apostrophes, folded, stemmed when plain ASCII.
    fn word(&mut self, written: &str) -> String {
        if let Some(known) = self.words.get(written) {
            return known.clone();
        }
        let folded = if written.contains(['\'', '’']) {
            fold(&written.replace(['\'', '’'], ""))
        } else {
            fold(written)
        };
        let text = if folded.len() > 2 && folded.bytes().all(|b| b.is_ascii_lowercase()) {
            self.stemmer.stem(&folded).into_owned()
        } else {
            folded
        };
        self.words.insert(written.to_owned(), text.clone());
        text
    }

    fn push(&mut self, text: String, offset_from: usize, offset_to: usize, position: usize) {
        if text.is_empty() || text.len() > MAX_TOKEN_BYTES {
            return;
        }
        self.tokens.push(Token { offset_from, offset_to, position, text, position_length: 1 });
    }
}

/// Characters of a hashtag or handle body.
fn is_tag_char(c: char) -> bool {
    is_word_char(c) || is_unsegmented(c)
}

fn run_end(chars: &[(usize, char)], from: usize, keep: impl Fn(char) -> bool) -> usize {
    chars[from..].iter().position(|(_, c)| !keep(*c)).map_or(chars.len(), |n| from + n)
}

/// The end of a word starting at `from`: word characters, and apostrophes between letters
/// (`don't` is one word, `dont`).
fn word_end(chars: &[(usize, char)], from: usize) -> usize {
    let mut end = from;
    while end < chars.len() {
        let c = chars[end].1;
        let joins = matches!(c, '\'' | '’')
            && end > from
            && chars.get(end + 1).is_some_and(|(_, n)| is_word_char(*n));
        if !(is_word_char(c) || joins) {
            break;
        }
        end += 1;
    }
    end
}

/// Case and accent folding: compatibility decomposition without combining marks, lowercased.
fn fold(word: &str) -> String {
    // Most words of social text are ASCII: skip normalization for them (indexing throughput).
    if word.is_ascii() {
        return word.to_ascii_lowercase();
    }
    word.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
