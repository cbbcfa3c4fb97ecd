//! Turns Discourse's `cooked` HTML into plain text, for posts that come without their markdown
//! `raw`. Not a general HTML parser: it knows the tags Discourse's renderer emits (paragraphs,
//! breaks, lists, quotes, code blocks, links, emoji images, headings) and the common entities.

/// Tags that end a line of text: the text after them starts on a new line.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "blockquote",
    "aside",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "table",
    "tr",
    "hr",
    "details",
    "summary",
];

/// Plain text of `html`: blocks on their own lines, list items prefixed by `- `, emoji images as
/// their `alt` text, entities decoded, runs of whitespace collapsed outside `<pre>`.
pub fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut pre_depth = 0usize;
    let mut skip_until: Option<&'static str> = None;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            push_text(&mut out, rest, pre_depth > 0, skip_until.is_some());
            break;
        };
        push_text(&mut out, &rest[..open], pre_depth > 0, skip_until.is_some());
        let after = &rest[open..];
        let starts_tag =
            after[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        if !starts_tag {
            // `2 < 3`: a `<` not followed by a tag name is text.
            push_text(&mut out, "<", pre_depth > 0, skip_until.is_some());
            rest = &after[1..];
            continue;
        }
        let Some(close) = after.find('>') else {
            // A stray `<` with no tag after it is text.
            push_text(&mut out, after, pre_depth > 0, skip_until.is_some());
            break;
        };
        let tag = &after[1..close];
        rest = &after[close + 1..];
        let closing = tag.starts_with('/');
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if let Some(until) = skip_until {
            if closing && name == until {
                skip_until = None;
            }
            continue;
        }
        match name.as_str() {
            "script" | "style" if !closing => {
                skip_until = Some(if name == "script" { "script" } else { "style" })
            }
            "br" => out.push('\n'),
            "li" if !closing => {
                new_line(&mut out);
                out.push_str("- ");
            }
            "img" => {
                if let Some(alt) = attribute(tag, "alt") {
                    push_text(&mut out, &alt, true, false);
                }
            }
            "pre" => {
                new_line(&mut out);
                pre_depth = if closing { pre_depth.saturating_sub(1) } else { pre_depth + 1 };
            }
            name if BLOCK_TAGS.contains(&name) => new_line(&mut out),
            _ => {}
        }
    }
    tidy(&out)
}

/// Appends text, decoding entities; outside `<pre>` whitespace runs become one space.
fn push_text(out: &mut String, text: &str, preformatted: bool, skipped: bool) {
    if skipped || text.is_empty() {
        return;
    }
    let decoded = decode_entities(text);
    if preformatted {
        out.push_str(&decoded);
        return;
    }
    for c in decoded.chars() {
        if c.is_whitespace() && c != '\u{a0}' {
            if !out.is_empty() && !out.ends_with([' ', '\n']) {
                out.push(' ');
            }
        } else {
            out.push(if c == '\u{a0}' { ' ' } else { c });
        }
    }
}

fn new_line(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Trims every line and the whole, and keeps at most one blank line between blocks.
fn tidy(text: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() && lines.last().is_none_or(|last| last.trim().is_empty()) {
            continue;
        }
        lines.push(line);
    }
    lines.join("\n").trim().to_owned()
}

/// The value of `name="…"` (or single-quoted) inside a tag, entities decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut search = tag;
    while let Some(at) = search.find(name) {
        let before_ok = at == 0 || search.as_bytes()[at - 1].is_ascii_whitespace();
        let after = search[at + name.len()..].trim_start();
        if before_ok {
            if let Some(value) = after.strip_prefix('=') {
                let value = value.trim_start();
                let quote = value.chars().next()?;
                if quote == '"' || quote == '\'' {
                    let inner = &value[1..];
                    let end = inner.find(quote)?;
                    return Some(decode_entities(&inner[..end]));
                }
            }
        }
        search = &search[at + name.len()..];
    }
    None
}

/// Decodes named entities Discourse emits and every numeric one; unknown entities stay as written.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let decoded = after.find(';').filter(|end| *end <= 12).and_then(|end| {
            let entity = &after[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                "hellip" => Some('…'),
                "mdash" => Some('—'),
                "ndash" => Some('–'),
                "rsquo" => Some('’'),
                "lsquo" => Some('‘'),
                "rdquo" => Some('”'),
                "ldquo" => Some('“'),
                _ => numeric(entity),
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn numeric(entity: &str) -> Option<char> {
    let number = entity.strip_prefix('#')?;
    let code = match number.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => number.parse().ok()?,
    };
    char::from_u32(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_become_lines_and_inline_tags_vanish() {
        let html = "<p>Hello <strong>world</strong>,\n  how   are <em>you</em>?</p><p>Second</p>";
        assert_eq!(to_text(html), "Hello world, how are you?\nSecond");
    }

    #[test]
    fn breaks_lists_and_quotes_keep_their_shape() {
        let html = "<aside class=\"quote\"><blockquote><p>quoted</p></blockquote></aside>\
                    <p>line one<br>line two</p><ul>\n<li>first</li>\n<li>second</li>\n</ul>";
        assert_eq!(to_text(html), "quoted\nline one\nline two\n- first\n- second");
    }

    #[test]
    fn entities_are_decoded_once() {
        let html = "<p>Fish &amp; chips &lt;3 &quot;yes&quot; &#39;ok&#39; &#x1F600; &amp;lt; a&nbsp;b &bogus;</p>";
        assert_eq!(to_text(html), "Fish & chips <3 \"yes\" 'ok' 😀 &lt; a b &bogus;");
    }

    #[test]
    fn emoji_images_become_their_alt_text_and_scripts_vanish() {
        let html = "<p>Thanks <img src=\"/images/emoji/twitter/heart.png?v=12\" title=\":heart:\" \
                    class=\"emoji\" alt=\":heart:\" loading=\"lazy\"> <script>alert(1)</script>!</p>";
        assert_eq!(to_text(html), "Thanks :heart: !");
    }

    #[test]
    fn code_blocks_keep_their_whitespace() {
        let html = "<p>Run:</p><pre><code>cargo  test\n  -p core</code></pre><p>done</p>";
        assert_eq!(to_text(html), "Run:\ncargo  test\n  -p core\ndone");
    }

    #[test]
    fn links_keep_their_text_and_stray_brackets_survive() {
        let html = "<p>See <a href=\"https://meta.discourse.org/t/1\">the guide</a> if 2 < 3</p>";
        assert_eq!(to_text(html), "See the guide if 2 < 3");
    }
}
