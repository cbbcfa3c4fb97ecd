//! Character classes the tokenizer splits on. Hand-written ranges rather than a Unicode property
//! crate: the few blocks that matter for social text are stable and listed here for review.

/// Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) and
/// Hangul, whose particles attach to words. Runs of these are indexed as character n-grams.
pub(crate) fn is_unsegmented(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF      // Thai, Lao
        | 0x1000..=0x109F    // Myanmar
        | 0x1100..=0x11FF    // Hangul jamo
        | 0x1780..=0x17FF    // Khmer
        | 0x3005..=0x3007    // 々 〆 〇
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3130..=0x318F    // Hangul compatibility jamo
        | 0x31F0..=0x31FF    // Katakana phonetic extensions
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFF66..=0xFF9F    // Halfwidth Katakana
        | 0x20000..=0x2FA1F  // CJK extensions B–F, compatibility supplement
    )
}

/// Pictographs that people search for one by one (🔥, ❤, 👍). Skin-tone modifiers, variation
/// selectors and joiners are not included: they decorate the pictograph before them.
pub(crate) fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x2600..=0x27BF          // Miscellaneous symbols, dingbats (☀ ❤ ✅)
        | 0x2B50 | 0x2B55        // ⭐ ⭕
        | 0x1F000..=0x1F3FA      // tiles, cards, enclosed, pictographs up to the skin tones
        | 0x1F400..=0x1F6FF      // pictographs, emoticons, transport
        | 0x1F900..=0x1F9FF      // supplemental symbols and pictographs
        | 0x1FA70..=0x1FAFF      // symbols and pictographs extended-A
    )
}

/// Letters and digits of segmented scripts, and the combining marks that belong to them.
pub(crate) fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)) && !is_unsegmented(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_kana_hangul_and_thai_are_unsegmented_but_latin_is_not() {
        for c in ['東', 'ひ', 'カ', '한', 'ไ', 'ｶ'] {
            assert!(is_unsegmented(c), "{c}");
        }
        for c in ['a', 'é', 'ж', 'ع', '1'] {
            assert!(!is_unsegmented(c), "{c}");
            assert!(is_word_char(c), "{c}");
        }
    }

    #[test]
    fn pictographs_are_emoji_but_skin_tones_are_not() {
        for c in ['🔥', '❤', '👍', '😀', '🚀', '🤔', '⭐'] {
            assert!(is_emoji(c), "{c}");
        }
        assert!(!is_emoji('\u{1F3FD}'));
        assert!(!is_emoji('\u{FE0F}'));
        assert!(!is_emoji('a'));
    }
}
