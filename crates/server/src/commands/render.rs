//! Terminal rendering: search hits one line a hit, and the cells the conversation and outbox
//! tables share.

use chrono::{DateTime, Utc};
use trellis_core::SearchHit;

/// How matched terms stand out in a snippet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emphasis {
    /// Bold, for a terminal.
    Ansi,
    /// `[term]`, for pipes and files where escape codes would be noise.
    Brackets,
}

/// `2024-05-01 12:00  x          @jane             I love the new [latte]`
pub fn hit_line(hit: &SearchHit, emphasis: Emphasis) -> String {
    let author = match &hit.author_handle {
        Some(handle) => format!("@{handle}"),
        None => "-".to_owned(),
    };
    format!(
        "{}  {:<9}  {:<16}  {}",
        hit.created_at.format("%Y-%m-%d %H:%M"),
        hit.channel.as_str(),
        author,
        snippet_text(&hit.snippet_html, emphasis)
    )
}

/// Turns an HTML snippet (matches in `<mark>`, the rest escaped) into plain terminal text on one
/// line.
pub fn snippet_text(html: &str, emphasis: Emphasis) -> String {
    let (open, close) = match emphasis {
        Emphasis::Ansi => ("\u{1b}[1m", "\u{1b}[0m"),
        Emphasis::Brackets => ("[", "]"),
    };
    // Marks first: the text itself is escaped, so a literal "<mark>" typed by a user arrives as
    // "&lt;mark&gt;" and is never mistaken for one.
    let marked = html.replace("<mark>", open).replace("</mark>", close);
    let text = unescape_html(&marked);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn unescape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').filter(|end| *end <= 10).and_then(|end| {
            let entity = &rest[1..end];
            let ch = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let code = if let Some(hex) =
                        entity.strip_prefix("#x").or(entity.strip_prefix("#X"))
                    {
                        u32::from_str_radix(hex, 16).ok()
                    } else {
                        entity.strip_prefix('#').and_then(|dec| dec.parse().ok())
                    };
                    code.and_then(char::from_u32)
                }
            };
            ch.map(|ch| (ch, end + 1))
        });
        match decoded {
            Some((ch, len)) => {
                out.push(ch);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `2024-05-01 12:00:03`: a time as the tables show it, always UTC.
pub fn utc_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// User or platform text as one table cell: whitespace (newlines too) collapsed to single spaces,
/// cut to `width` characters with `…` when longer, so a row never wraps or breaks.
pub fn cell(text: &str, width: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= width {
        return flat;
    }
    let mut short: String = flat.chars().take(width.saturating_sub(1)).collect();
    short.push('…');
    short
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_is_one_line_and_cut_with_an_ellipsis() {
        assert_eq!(cell("Open\non  Sunday?", 20), "Open on Sunday?");
        assert_eq!(cell("Open on Sunday?", 8), "Open on…");
        assert_eq!(cell("", 8), "");
    }

    #[test]
    fn times_are_shown_in_utc_to_the_second() {
        assert_eq!(
            utc_time(DateTime::from_timestamp(1_714_564_803, 0).unwrap()),
            "2024-05-01 12:00:03"
        );
    }
    use chrono::DateTime;
    use trellis_core::{Channel, ConversationId, MessageId};

    #[test]
    fn marks_become_brackets_and_entities_are_decoded() {
        let html = "I &lt;3 the new <mark>latte</mark> &amp; &#39;cake&#x27;";
        assert_eq!(snippet_text(html, Emphasis::Brackets), "I <3 the new [latte] & 'cake'");
    }

    #[test]
    fn marks_become_bold_on_a_terminal() {
        assert_eq!(snippet_text("<mark>a</mark>", Emphasis::Ansi), "\u{1b}[1ma\u{1b}[0m");
    }

    #[test]
    fn an_escaped_mark_typed_by_a_user_stays_literal() {
        assert_eq!(snippet_text("&lt;mark&gt;x", Emphasis::Brackets), "<mark>x");
    }

    #[test]
    fn a_stray_ampersand_survives() {
        assert_eq!(
            snippet_text("fish & chips &bogus; &", Emphasis::Brackets),
            "fish & chips &bogus; &"
        );
    }

    #[test]
    fn a_hit_is_one_line_with_time_channel_and_author() {
        let hit = SearchHit {
            message_id: MessageId(1),
            conversation_id: ConversationId(2),
            channel: Channel::X,
            author_handle: Some("jane".into()),
            created_at: DateTime::from_timestamp(1_714_564_800, 0).unwrap(),
            score: 1.0,
            snippet_html: "line one\nline <mark>two</mark>".into(),
        };
        let line = hit_line(&hit, Emphasis::Brackets);
        assert!(line.starts_with("2024-05-01 12:00  x"), "{line}");
        assert!(line.contains("@jane") && line.ends_with("line one line [two]"), "{line}");
        assert!(!line.contains('\n'));
    }
}
