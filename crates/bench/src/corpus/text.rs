//! Composes message texts: sentences from templates and Zipf-drawn words in the author's language,
//! with the decorations of social text (mentions, hashtags, links, emoji), at a length typical of
//! the kind of message (a tweet, a comment, a forum post).

use super::vocab::{tail_word, Language, CITIES, EMOJI, LANGUAGES, PRODUCTS};
use super::zipf::Zipf;
use rand::Rng;

/// How many generated words follow each language's common words in the vocabulary.
const TAIL_WORDS: usize = 20_000;

/// What a text should look like.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub min_chars: usize,
    pub max_chars: usize,
    /// Chance of one to three hashtags.
    pub hashtags: f64,
    pub emoji: f64,
    pub link: f64,
}

impl Shape {
    pub const TWEET: Shape =
        Shape { min_chars: 20, max_chars: 270, hashtags: 0.35, emoji: 0.35, link: 0.08 };
    pub const DIRECT: Shape =
        Shape { min_chars: 8, max_chars: 400, hashtags: 0.0, emoji: 0.25, link: 0.05 };
    pub const COMMENT: Shape =
        Shape { min_chars: 10, max_chars: 350, hashtags: 0.08, emoji: 0.4, link: 0.03 };
    pub const PAGE_POST: Shape =
        Shape { min_chars: 80, max_chars: 900, hashtags: 0.5, emoji: 0.5, link: 0.4 };
    pub const FORUM_POST: Shape =
        Shape { min_chars: 150, max_chars: 2_500, hashtags: 0.02, emoji: 0.05, link: 0.2 };
}

/// Writes texts; holds the shared vocabulary tables, built once.
#[derive(Debug)]
pub struct Composer {
    tail: Vec<String>,
    /// Per language: Zipf over its common words followed by the tail.
    words: Vec<Zipf>,
    emoji: Zipf,
}

impl Default for Composer {
    fn default() -> Self {
        Self::new()
    }
}

impl Composer {
    pub fn new() -> Self {
        let words =
            LANGUAGES.iter().map(|language| Zipf::new(language.words.len() + TAIL_WORDS, 1.05));
        Self {
            tail: (0..TAIL_WORDS).map(tail_word).collect(),
            words: words.collect(),
            emoji: Zipf::new(EMOJI.len(), 1.0),
        }
    }

    /// A text in `language` (index into [`LANGUAGES`]), starting with `mentions` (handles
    /// without `@`).
    pub fn compose<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        language: usize,
        shape: Shape,
        mentions: &[&str],
    ) -> String {
        let lang = &LANGUAGES[language.min(LANGUAGES.len() - 1)];
        // Skewed towards short texts, as on every platform.
        let u: f64 = rng.gen();
        let span = (shape.max_chars - shape.min_chars) as f64;
        let target = shape.min_chars + (span * u * u) as usize;

        let mut text = String::with_capacity(target + 64);
        for handle in mentions {
            text.push('@');
            text.push_str(handle);
            text.push(' ');
        }
        loop {
            if rng.gen_bool(0.55) {
                self.template(rng, lang, &mut text);
            } else {
                self.free_sentence(rng, language, lang, &mut text);
            }
            if text.chars().count() >= target {
                break;
            }
            text.push(' ');
        }
        if rng.gen_bool(shape.link) {
            text.push_str(&format!(" https://t.co/{}", short_code(rng)));
        }
        if rng.gen_bool(shape.hashtags) {
            for _ in 0..rng.gen_range(1..=3) {
                text.push(' ');
                text.push_str(lang.hashtags[rng.gen_range(0..lang.hashtags.len())]);
            }
        }
        if rng.gen_bool(shape.emoji) {
            text.push(' ');
            for _ in 0..rng.gen_range(1..=3) {
                text.push_str(EMOJI[self.emoji.sample(rng)]);
            }
        }
        text
    }

    /// A short subject line, for forum topics.
    pub fn title<R: Rng + ?Sized>(&self, rng: &mut R, language: usize) -> String {
        let lang = &LANGUAGES[language.min(LANGUAGES.len() - 1)];
        let mut title = String::new();
        self.template(rng, lang, &mut title);
        let cut: String = title.chars().take(80).collect();
        cut.trim_end_matches(['.', ',', ' ']).to_owned()
    }

    fn template<R: Rng + ?Sized>(&self, rng: &mut R, lang: &Language, out: &mut String) {
        let template = lang.templates[rng.gen_range(0..lang.templates.len())];
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else { break };
            match &rest[open + 1..open + close] {
                "order" => out.push_str(&rng.gen_range(1_000_000..9_999_999u32).to_string()),
                "product" => out.push_str(PRODUCTS[rng.gen_range(0..PRODUCTS.len())]),
                "city" => out.push_str(CITIES[rng.gen_range(0..CITIES.len())]),
                "days" => out.push_str(&rng.gen_range(2..21u32).to_string()),
                other => out.push_str(other),
            }
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
    }

    fn free_sentence<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        language: usize,
        lang: &Language,
        out: &mut String,
    ) {
        let words = rng.gen_range(4..=14);
        let start = out.len();
        for index in 0..words {
            if index > 0 {
                out.push(' ');
            }
            let rank = self.words[language].sample(rng);
            match lang.words.get(rank) {
                Some(word) => out.push_str(word),
                None => out.push_str(&self.tail[rank - lang.words.len()]),
            }
        }
        // Capitalize the first letter where the script has case.
        if let Some(first) = out[start..].chars().next() {
            if first.is_lowercase() {
                let upper: String = first.to_uppercase().collect();
                out.replace_range(start..start + first.len_utf8(), &upper);
            }
        }
        let end = match rng.gen_range(0..10) {
            0..=6 => ".",
            7 | 8 => "?",
            _ => "!",
        };
        out.push_str(if lang.code == "ja" { "。" } else { end });
    }
}

fn short_code<R: Rng + ?Sized>(rng: &mut R) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..10).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}
